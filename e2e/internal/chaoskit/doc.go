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
//
// The saga's chaos runs (e2e/chaos kills orderd under it, e2e/brokerchaos
// kills brokers) share a plan of their own, since the saga's commands
// would collide with predicted results: orders placed, cancelled or
// approved by their customers, the rest left to the saga and the simulated
// outside systems:
//
//	NewSagaPlan ──▶ SagaSends ──▶ StartSagaLoad ──▶ orderd ×n (SagaSettings)
//	                                                  │
//	WatchSaga (AtRest) ◀── order.events, payment.results
//	ReadAndVerifySaga ◀── events, results, dlq, payment.results (read whole)
//
// ReadAndVerifySaga checks: every order Settled (delivered, cancelled with
// its money back and no stock held, or explicitly waiting), no money left
// at the gateway, gapless logs with every event id once, nothing
// dead-lettered.
package chaoskit
