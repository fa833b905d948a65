// Package topics is the one registry of orderlog's Kafka topics: their names,
// partition counts, replication factor and configs (ARCHITECTURE.md §2).
//
// A name is written once, here. Everything else asks a Set for it:
//
//	set, err := topics.New(topics.Config{Prefix: "staging.", Partitions: 12, ReplicationFactor: 3})
//	set.Names().Events                   // "staging.order.events"
//	created, err := set.Ensure(ctx, adm) // create what is missing, leave the rest alone
//	err = set.Verify(ctx, adm)           // *VerifyError listing what is wrong
//
// All of orderlog's topics are keyed by orderId and co-partitioned: they have
// the same partition count, so the processor that owns partition p of
// order.commands also owns partition p of order.state. Verify checks that,
// and that every topic has the cleanup policy and retention it is declared
// with (above all, that order.state is compacted).
//
// To add a topic, add one entry to catalog in topics.go (and a field to
// Names when code needs to refer to it by name).
package topics
