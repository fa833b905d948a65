// Package gather tops up a poll with one more fetch, for the consumers
// that work in batches (the exactly-once runtime's members, the
// projector).
//
// franz-go fetches ahead one response per broker and sends the next fetch
// only when the buffered one is taken. So a batch polled right after the
// previous batch's work holds what had arrived when that work began; the
// records that came during it are one fetch round trip away, and without
// this they would wait for the whole next batch:
//
//	poll ──▶ batch N (work) ──▶ poll: what came before N began
//	                              └─ More: + one fetch, what came during N
//
// More waits at most a short bound for that fetch, and only when the poll
// did not fill the batch (a full batch has nothing to gain). A topped-up
// poll holds a partition's records in two fetches; Partitions gives each
// partition once.
package gather
