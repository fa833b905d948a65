// Package chaoskit is what orderlog's chaos tests share (e2e/chaos kills
// orderd processes, e2e/brokerchaos kills Kafka brokers): a plan of
// commands with the result a single pass of order.Decider.Handle predicts
// for each, a steady load that sends it, a fleet of built orderd processes
// to start, kill -9 and stop, and the verdict read back as a downstream
// consumer would (read_committed):
//
//	NewPlan ──▶ StartLoad ──▶ order.commands ──▶ Fleet (orderd ×n)
//	                                               │
//	Verify(plan, results, events, states, dlq) ◀──┘ ReadAll, once WaitStable
//
// Verify checks: every command record has exactly its predicted result;
// every order's events have sequence numbers 1..n and no event id appears
// twice; an accepted command's result names exactly the events it caused;
// the last order.state record of every order is the fold of its events.
package chaoskit
