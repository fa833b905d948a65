// Package secure proves orderd's security settings against real servers
// (issue 12): Kafka with a SASL_SSL listener, SCRAM-SHA-512 users and the
// StandardAuthorizer with per-role ACLs, and a redis-server that speaks
// only TLS (with client certificates) to ACL users. TestMain starts them
// with scripts/testbed/secure.sh on free ports (or uses the one named by
// ORDERLOG_SECURE_DIR, already running) and builds orderd.
//
//	secure.sh: certs ─▶ Kafka SASL_SSL (users, ACLs) + Redis TLS (ACL users)
//	                        ▲                              ▲
//	orderd per role, each with its own principal ──────────┤
//	orderctl as the operator principal and Redis user ─────┘
//	Kafka's console clients: read as projector, refused a write it has no ACL for
//
// The tests: every role (processor, projector, api, saga, simulators)
// works with its own principal and nothing more; a wrong Kafka password,
// an untrusted CA, a role without its ACLs (its topics, its group, its
// transactional ids) and a wrong Redis password each end orderd at start
// with a message that names the setting or the missing ACL; orderctl
// creates and verifies topics, reads lag and shows orders as the operator,
// and names the setting of a wrong password or CA.
package secure
