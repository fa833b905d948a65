// Package brokerchaos is orderlog's broker chaos test (issue 12): exactly
// once when a Kafka *broker* dies, not an orderd. It starts its own
// three-node KRaft cluster with scripts/testbed/kafka3.sh (three combined
// broker+controller nodes, replication factor 3, min.insync.replicas 2),
// creates the topics with the built `orderctl topics create
// --replication-factor 3 --min-insync-replicas 2`, runs three built orderd
// (roles processor and projector, Redis from the test bed) under a steady
// load of commands, and injects a fault:
//
//   - leader: kill -9 the broker leading most partitions of order.commands,
//     restart it after a while;
//   - controller: kill -9 the active controller (the quorum's leader; on
//     combined nodes also a broker), restart it after a while;
//   - rolling: stop each broker in turn (SIGTERM), restart it and wait
//     until every partition's replicas are in sync before the next; its
//     load lasts 150 s instead of 45, so that all three happen under it.
//
// Afterwards, read back read_committed, the invariants of e2e/chaos
// (chaoskit.Verify): every command record has exactly its predicted result,
// events gapless per order with no repeated event id, every accepted
// command's events once, the last state equals the fold; and Redis equals
// the fold (version, status, totals, last event id of every order); no
// orderd exited on its own. The saga is not in these runs: its plan and
// this plan's commands would collide on the same orders. Each fault logs how long commands waited for
// their results while it lasted (p99 and max, command sent to result
// committed) beside the same figures outside any fault.
//
// `make test` runs TestBrokerLeaderKillUnderLoad (one leader kill). `make
// test-brokerchaos` sets ORDERLOG_BROKERCHAOS_FULL=1 and runs
// TestBrokerFaultsUnderLoad too: the three faults, one run each.
//
//	load ──▶ order.commands ──▶ orderd ×3 ──▶ events, state, results ──▶ Redis
//	              ▲                 (kafka3: node 1, 2, 3; one killed)
//	              └── latency: send time ◀── result follower (read_committed)
package brokerchaos
