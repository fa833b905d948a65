// Package brokerchaos is orderlog's broker chaos test (issue 12): exactly
// once when a Kafka *broker* dies, not an orderd. It starts its own
// three-node KRaft cluster with scripts/testbed/kafka3.sh (three combined
// broker+controller nodes, replication factor 3, min.insync.replicas 2),
// creates the topics with the built `orderctl topics create
// --replication-factor 3 --min-insync-replicas 2`, runs three built orderd
// (roles processor and projector, Redis from the test bed) under a steady
// load of commands and, beside them on a topic set of their own (prefix
// <prefix>saga., created the same way, groups of their own), three more
// with the roles processor, saga and simulators under the saga chaos plan
// of e2e/chaos (chaoskit.NewSagaPlan: orders placed, some cancelled or
// approved by their customers, against simulated systems that decline,
// drop and answer UNAVAILABLE). The saga needs topics of its own: its
// commands would collide with the processor plan's predicted results on
// the same orders. Then it injects a fault:
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
// the fold (version, status, totals, last event id of every order). The
// saga's orders must all come to rest (chaoskit.ReadAndVerifySaga):
// delivered, cancelled with their money back and no stock held, or
// explicitly waiting; with gapless logs, unique event ids, nothing
// dead-lettered and no money left at the gateway. No orderd of either
// fleet may exit on its own. Each fault logs how long commands waited for
// their results while it lasted (p99 and max, command sent to result
// committed) beside the same figures outside any fault; the run logs how
// long the saga's orders took to come to rest after the fault.
//
// `make test` runs TestBrokerLeaderKillUnderLoad (one leader kill). `make
// test-brokerchaos` sets ORDERLOG_BROKERCHAOS_FULL=1 and runs
// TestBrokerFaultsUnderLoad too: the three faults, one run each.
//
//	load ──▶ order.commands ──▶ orderd ×3 ──▶ events, state, results ──▶ Redis
//	              ▲                 (kafka3: node 1, 2, 3; one killed)
//	              └── latency: send time ◀── result follower (read_committed)
//	saga load ──▶ saga.order.commands ──▶ orderd ×3 (processor, saga, simulators)
//	                                        └──▶ saga.order.events ──▶ at rest?
package brokerchaos
