// Package topics is the one registry of orderlog's Kafka topics: their names,
// partition counts, replication factor and configs (ARCHITECTURE.md §2).
//
// A name is written once, here. Everything else asks a Set for it:
//
//	set, err := topics.New(topics.Config{Prefix: "staging.", Partitions: 12, ReplicationFactor: 3})
//	set.Names().Events                   // "staging.order.events"
//	created, err := set.Ensure(ctx, adm) // create what is missing, leave the rest alone, wait until listed
//	err = set.Verify(ctx, adm)           // *VerifyError listing what is wrong
//
// All of orderlog's topics are keyed by orderId and co-partitioned: they have
// the same partition count, so the processor that owns partition p of
// order.commands also owns partition p of order.state. Verify checks that,
// and that every topic has the cleanup policy and retention it is declared
// with (above all, that order.state is compacted).
//
// # Starting together
//
// Several processes may run Ensure on the same set at the same moment, as
// orderd instances started together on a fresh cluster do. Each creates
// what it finds missing; a topic another one created first is answered
// TOPIC_ALREADY_EXISTS, which is fine. A broker answers CreateTopics before
// its metadata lists the topic, so Ensure then waits until the cluster lists
// every topic that was missing when it looked, whoever created it, with a
// leader for each partition, asking again after 50 ms, then twice as long
// each time up to 1 s: a topic it created with its declared partition
// count, one another process created with the partitions that process gave
// it (the cluster lists a topic with all its partitions at once; a count
// other than the declared one is for Verify to report). The wait is
// bounded, DefaultListWait (30 s) unless WaitListed says otherwise; after
// it Ensure returns a *NotListedError naming each topic still missing and
// what its listing lacked. Topics that existed when Ensure looked are not
// waited for: Verify judges them.
//
// The wait asks one broker of the cluster; with several brokers, another
// one may still lag for a moment, which Verify (and the clients) see.
//
// To add a topic, add one entry to catalog in topics.go (and a field to
// Names when code needs to refer to it by name).
package topics
