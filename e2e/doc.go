// Package e2e holds black-box tests of orderlog's built binaries on the
// real test bed (`make test`: Apache Kafka, the schema registry, the Kafka
// console tools). They drive orderd as an operator and a downstream team
// would: commands go in with kcat, events come out through Python's
// confluent-kafka and fastavro, results through Kafka's own console
// consumer, the dead-letter topic through kcat.
//
// TestMain builds ./cmd/orderd once (with -race when the tests run with
// -race); each test starts it as a subprocess under its own topic prefix and
// consumer group, waits for /readyz, and at the end stops it with SIGTERM
// and expects exit status 0. Without the bed (ORDERLOG_KAFKA_BROKERS unset)
// nothing is built and every test skips.
package e2e
