// Package failover measures how long commands wait when a processor member
// goes away under a steady load, and checks that nothing is lost or
// doubled meanwhile.
//
// Each scenario runs orderd processors (a real binary, a real broker) in
// one group, sends a planned load at a fixed rate, and ends or restarts
// members: kill -9 of one of two members and a fresh one started later;
// SIGTERM of one of two; a rolling restart of three. Every command's wait
// is timed from the moment it is handed to the producer to the moment its
// result is read (read_committed), and the figures of each fault window
// are reported: max and p99 command→result, and how long after the fault
// the waits stayed raised. Then the usual invariants are checked (package
// e2e/internal/chaoskit): one result per command, gapless events, no
// repeated event id, last state equal to the fold.
//
// `make test` runs the kill scenario at a modest rate and checks the
// invariants; speed is never asserted there. `make bench` runs every
// scenario at 5,000 commands/s (ORDERLOG_FAILOVER_BENCH=1) and prints the
// figures beside the targets of docs/operations.md ("Failover"), writing
// them to $ORDERLOG_FAILOVER_REPORT when set.
package failover
