// Package kafkaopts is the Kafka connection settings every orderlog binary
// shares (TLS, client certificate, SASL, logging): declared once as flags
// with the same names in orderd and orderctl, checked once, turned into
// franz-go client options, and used to name the setting behind a refusal:
//
//	--kafka-tls, --kafka-sasl-user, ... ──Flags──▶ Config ──ClientOpts──▶ []kgo.Opt
//	Config ──Problems──▶ what is wrong, by flag
//	a refused SASL login, an untrusted certificate, a missing ACL ──Explain──▶ the setting to fix
//
// Reading each flag's environment variable (ORDERLOG_KAFKA_TLS for
// --kafka-tls) and rendering a setting's name is the binary's job.
package kafkaopts
