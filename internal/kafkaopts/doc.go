// Package kafkaopts turns the Kafka connection settings every orderlog
// binary shares (TLS, SASL, logging) into franz-go client options, so that
// each role and tool connects the same way:
//
//	Config{TLS: true, SASLMechanism: "SCRAM-SHA-512", ...} ──ClientOpts──▶ []kgo.Opt
//
// Reading the settings from flags and environment variables, and naming a
// bad one, is the binary's job; this package only checks that they fit
// together and builds the options.
package kafkaopts
