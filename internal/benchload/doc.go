// Package benchload is the command mix of orderlog's benchmarks: one
// order's lifecycle, from CreateOrder to DeliverOrder, as the commands an
// upstream sends. cmd/orderbench sends it to Kafka; the processor's
// in-memory benchmark runs it through the same topology, so the two
// measure the same work.
package benchload
