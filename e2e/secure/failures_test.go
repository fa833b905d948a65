package secure

import (
	"testing"
	"time"
)

// TestBadCredentialsAndMissingACLsFailAtStartNamingTheSetting: orderd with
// a wrong Kafka password, a CA that did not sign the brokers' certificate,
// a principal without the role's ACLs, a wrong Redis password or a CA that
// did not sign Redis's certificate exits 1 at start (no retry loop), with
// a message that names what to fix.
func TestBadCredentialsAndMissingACLsFailAtStartNamingTheSetting(t *testing.T) {
	b := needBed(t)
	n := b.ensureTopics(t)
	with := func(env []string, kv ...string) []string { return append(append([]string(nil), env...), kv...) }
	processor := b.kafkaEnv("processor", "processor", "processor-secret")
	projector := with(b.kafkaEnv("projector", "projector", "projector-secret"), b.redisEnv("projector", "projector-secret", "sec-fail:")...)
	for _, tc := range []struct {
		name  string
		env   []string
		wants []string
	}{
		{"wrong Kafka password", with(processor, "ORDERLOG_KAFKA_SASL_PASSWORD=not-it"),
			[]string{"refused the SASL credentials", "ORDERLOG_KAFKA_SASL_PASSWORD / --kafka-sasl-password"}},
		{"untrusted Kafka certificate", with(processor, "ORDERLOG_KAFKA_TLS_CA_FILE="+b.file("untrusted-ca.pem")),
			[]string{"not signed by a CA orderd trusts", "ORDERLOG_KAFKA_TLS_CA_FILE / --kafka-tls-ca-file"}},
		{"principal without the role's ACLs", with(b.kafkaEnv("processor", "noacl", "noacl-secret")),
			[]string{"principal User:noacl lacks ACLs", "Write on topic " + n.Events + " (role processor)",
				"Read on topic " + n.Commands, "Read on group " + b.prefix + "processor",
				"--add --allow-principal User:noacl --operation Write --topic " + n.Events}},
		{"wrong Redis password", with(projector, "ORDERLOG_REDIS_PASSWORD=not-it"),
			[]string{"redis refused the password of user", "ORDERLOG_REDIS_PASSWORD / --redis-password"}},
		{"untrusted Redis certificate", with(projector, "ORDERLOG_REDIS_TLS_CA_FILE="+b.file("untrusted-ca.pem")),
			[]string{"redis's TLS certificate is not signed by a CA orderd trusts", "ORDERLOG_REDIS_TLS_CA_FILE / --redis-tls-ca-file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := failedStart(t, 45*time.Second, with(tc.env, "ORDERLOG_HTTP_ADDR=127.0.0.1:0"))
			contains(t, out, tc.wants...)
		})
	}
}
