package main

// The TLS, SASL and Redis ACL settings are declared, checked and explained
// once for orderd and orderctl: internal/kafkaopts (Kafka) and
// internal/redisopts (Redis). This file names them the orderd way.

// explainStart names the setting behind a start-up failure talking to
// Kafka: credentials the brokers refuse, a certificate that is not trusted,
// a listener that does not speak TLS, a missing ACL. Other errors are
// returned as they are.
func explainStart(c Config, err error) error { return c.Kafka.Explain(err, "orderd", settingName) }

// principal is how the brokers name orderd: User:<sasl user>, or
// User:ANONYMOUS without SASL.
func principal(c Config) string { return c.Kafka.Principal() }

// redisFatal is a Redis error that waiting will not cure: the server
// refused the credentials or the user's permissions, or its certificate is
// not trusted. It names the setting; nil for everything else (a Redis that
// is down is waited for).
func redisFatal(r RedisConfig, err error) error { return r.Explain(err, "orderd", settingName) }
