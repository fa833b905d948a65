// Package records counts the records a read_committed consumer would read
// in ranges of offsets: no transaction markers, no aborted records. Offsets
// alone overcount, since every commit or abort takes an offset of each
// partition its transaction wrote: one dead letter written in a
// transaction is two offsets, and an idle partition behind a transactional
// writer "lags" 1. The dashboard's queue figures and `orderctl lag` count
// with it.
package records
