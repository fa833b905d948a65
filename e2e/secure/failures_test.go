package secure

import (
	"testing"
	"time"
)

// TestBadCredentialsAndMissingACLsFailAtStartNamingTheSetting: orderd with
// a wrong Kafka password, a CA that did not sign the brokers' certificate,
// a principal without the role's ACLs, a processor or saga whose
// transactional ids its principal may not use, a processor whose group its
// principal may not read, a wrong Redis password or a CA that did not sign
// Redis's certificate exits 1 at start (no retry loop), with a message
// that names what to fix. (Without the check, a processor refused its
// transactional id started, was ready, and at its first command ended its
// session and began another, once a second, for as long as it ran.)
func TestBadCredentialsAndMissingACLsFailAtStartNamingTheSetting(t *testing.T) {
	b := needBed(t)
	n := b.ensureTopics(t)
	with := func(env []string, kv ...string) []string { return append(append([]string(nil), env...), kv...) }
	processor := b.kafkaEnv("processor", "processor", "processor-secret")
	elsewhere := b.prefix + "elsewhere-" + randomHex()
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
		// The ACLs name sec.processor and sec.saga as their principals'
		// transactional id prefixes: ids elsewhere are refused, and so is
		// a group elsewhere.
		{"processor without ACLs on its transactional ids", with(processor, "ORDERLOG_TRANSACTIONAL_ID="+elsewhere+"-p"),
			[]string{"principal User:processor lacks ACLs",
				"Write and Describe on transactional id " + elsewhere + "-p-t0 (role processor; set by ORDERLOG_TRANSACTIONAL_ID / --transactional-id",
				"transactional id " + elsewhere + "-p-t1 (role processor",
				"--add --allow-principal User:processor --operation Write --operation Describe --resource-pattern-type prefixed --transactional-id " + elsewhere + "-p"}},
		{"saga without ACLs on its transactional id", with(b.kafkaEnv("saga", "saga", "saga-secret"), "ORDERLOG_TRANSACTIONAL_ID="+elsewhere+"-s"),
			[]string{"principal User:saga lacks ACLs",
				"Write and Describe on transactional id " + elsewhere + "-s-saga (role saga; set by ORDERLOG_SAGA_GROUP / --saga-group and ORDERLOG_INSTANCE / --instance"}},
		{"processor without the ACL of its group", with(processor, "ORDERLOG_GROUP="+elsewhere+"-group"),
			[]string{"principal User:processor lacks ACLs", "Read on group " + elsewhere + "-group (role processor)",
				"--add --allow-principal User:processor --operation Read --group " + elsewhere + "-group"}},
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
