// Package tlsfiles loads what a TLS client reads from files: the CAs that
// sign the servers' certificates and the client's own certificate and key
// (PEM). Kafka's settings (internal/kafkaopts) and Redis's (projections)
// load them the same way, with errors that say which file failed:
//
//	--kafka-tls-ca-file, --redis-tls-ca-file     ──CAPool──▶     tls.Config.RootCAs
//	--*-tls-cert-file + --*-tls-key-file         ──ClientCert──▶ tls.Config.Certificates
package tlsfiles
