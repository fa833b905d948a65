// Command orderbench measures orderlog on a real Kafka broker and Redis,
// in steady state, and writes what it measured beside the targets of the
// performance issue (docs/performance.md; `make bench` runs it on the test
// bed).
//
// What it runs, in this order:
//
//   - Throughput: the same preloaded commands (at least 500,000 per run,
//     after a warm-up whose results are not timed) through three systems in
//     turn, A B C A B C: the at-least-once pipe (a copy, no transactions),
//     the transactional pipe (the exactly-once ceiling: orderlog's
//     transactions and record counts, no decoding, no logic) and the
//     orderlog processor. Median and range of the steady commands/s, the
//     ratios of each round, and each run's CPU (this process's and the
//     broker's) and bytes allocated per command, which the machine's other
//     work sways much less than a rate.
//   - Profiles: one more processor run with CPU and allocation profiles
//     (-profile DIR), their top entries in the report.
//   - Latency at fixed rates, command to result (read_committed): 10,000/s
//     for the processor and the transactional pipe, and half of the
//     processor's own peak. Open loop; a run that falls behind its rate
//     counts its outstanding answers as lower bounds after -drain.
//   - A -failover run, when failover.go adds it, goes after the latency.
//   - The read side: the projector's events/s into one redis-server, the
//     pipeline's (processor and projector) peak and command to visible in
//     Redis at half of it, POST /orders at 500/s through the whole stack,
//     GET /orders/{id} at 1,000/s; the same on a Redis Cluster if given.
//   - Restore of 1,000,000 order states and the heap each takes.
//
// Every load is in-process with the system under test, as is the
// measuring consumer: on a machine of few cores they share them, so
// figures compare within one run only. -quick runs everything small, to
// check the harness.
package main
