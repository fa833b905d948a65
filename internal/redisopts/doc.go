// Package redisopts declares the settings every orderlog binary uses to
// reach the read models' Redis (address, mode, ACL user and password, TLS
// files), checks them, and names the setting behind a refusal, so that
// orderd and orderctl take the same flags and say the same things:
//
//	--redis-addr, --redis-user, --redis-tls-ca-file, ... ──Flags──▶ Config
//	Config ──Problems──▶ what is wrong, by flag    Config ──Settings──▶ projections.NewRedis
//	a refused AUTH, a NOPERM, an untrusted certificate ──Explain──▶ the setting to fix
//
// Each binary reads the flags' environment variables (ORDERLOG_REDIS_ADDR
// for --redis-addr) and renders a setting's name its own way.
package redisopts
