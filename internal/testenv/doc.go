// Package testenv connects tests to the test bed: the real Apache Kafka broker
// and redis-server that `make test` starts (scripts/testbed/).
//
// The bed announces itself through environment variables, written by
// scripts/testbed/up.sh into .testbed/env:
//
//	ORDERLOG_KAFKA_BROKERS    e.g. 127.0.0.1:19092 (comma-separated)
//	ORDERLOG_REDIS_ADDR       e.g. 127.0.0.1:16379
//	ORDERLOG_KAFKA_CLASSPATH  the Kafka jars, for the console tools
//
// An integration test asks for what it needs and is skipped, with a message
// saying how to run it, when the bed is not there:
//
//	func TestSomethingOnKafka(t *testing.T) {
//		brokers := testenv.KafkaBrokers(t)  // skips under plain `go test`
//		prefix := testenv.TopicPrefix(t)    // "t-TestSomethingOnKafka-3f9a1c."
//		...
//	}
//
// Tests share one broker, so every test names its topics, groups and
// transactional ids with its own TopicPrefix.
package testenv
