package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
)

// An Idempotency-Key becomes the commandId, and the processor answers a
// command id it has handled with its first result for the order's life
// (docs/dedup.md). That answers a retry; it would also answer a different
// request sent with the same key as if it were the first, since the order
// remembers only the command id. So the API binds each key to the request
// it was first used with (KeyStore) and answers the same key with another
// request 422 IDEMPOTENCY_KEY_REUSED before anything is sent.

// KeyStore binds an Idempotency-Key to the fingerprint of the request first
// sent with it. It must be shared by every API process and outlive them:
// RedisKeys is one.
type KeyStore interface {
	// Bind binds key to fingerprint unless the key is bound already, and
	// returns the fingerprint the key is bound to.
	Bind(ctx context.Context, key, fingerprint string) (bound string, err error)
}

// DefaultKeyTTL is how long RedisKeys remembers a key.
const DefaultKeyTTL = 24 * time.Hour

// RedisKeys is a KeyStore in Redis: one string key per Idempotency-Key,
// prefix + SHA-256 of the key, holding the fingerprint, for ttl. Each is a
// single key, so it works on a Redis Cluster too.
type RedisKeys struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// NewRedisKeys returns a KeyStore keeping keys under prefix for ttl
// (DefaultKeyTTL when zero).
func NewRedisKeys(rdb redis.UniversalClient, prefix string, ttl time.Duration) *RedisKeys {
	if ttl <= 0 {
		ttl = DefaultKeyTTL
	}
	return &RedisKeys{rdb: rdb, prefix: prefix, ttl: ttl}
}

// Bind implements KeyStore with SET NX, then GET when the key was taken.
func (k *RedisKeys) Bind(ctx context.Context, key, fingerprint string) (string, error) {
	rk := k.prefix + sha256Hex(key)
	for range 3 { // a bound key that expires between SET NX and GET is free again
		ok, err := k.rdb.SetNX(ctx, rk, fingerprint, k.ttl).Result()
		if err != nil {
			return "", fmt.Errorf("bind Idempotency-Key in Redis: %w", err)
		}
		if ok {
			return fingerprint, nil
		}
		bound, err := k.rdb.Get(ctx, rk).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("read Idempotency-Key in Redis: %w", err)
		}
		return bound, nil
	}
	return "", errors.New("bind Idempotency-Key in Redis: the key expired three times while it was read")
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// fingerprint identifies a request for its Idempotency-Key: the caller,
// the method and path, and the commands it makes (their types and data as
// JSON: the body as the API understood it, so spacing and the order of the
// body's fields do not matter).
func fingerprint(p Principal, r *http.Request, wr write) (string, error) {
	h := sha256.New()
	for _, s := range []string{string(p.Role), p.Subject, r.Method, r.URL.Path, wr.orderID} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, d := range wr.datas {
		b, err := json.Marshal(d)
		if err != nil {
			return "", fmt.Errorf("fingerprint %s: %w", d.CommandType(), err)
		}
		h.Write([]byte(d.CommandType()))
		h.Write([]byte{0})
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// bindKey checks the request's Idempotency-Key against the request it was
// first used with. It answers (422 IDEMPOTENCY_KEY_REUSED, or 503 when the
// store cannot be reached) and returns false when the request must not go
// on. Without a key or a KeyStore it does nothing.
func (s *Server) bindKey(w http.ResponseWriter, r *http.Request, p Principal, key string, wr write) bool {
	if key == "" || s.cfg.Keys == nil {
		return true
	}
	fp, err := fingerprint(p, r, wr)
	if err != nil {
		internalError(w, err)
		return false
	}
	bound, err := s.cfg.Keys.Bind(r.Context(), key, fp)
	if err != nil {
		s.log.Warn("idempotency key store", "orderId", wr.orderID, "err", err)
		writeError(w, http.StatusServiceUnavailable, "REDIS_UNAVAILABLE", err.Error(), "")
		return false
	}
	if bound != fp {
		writeError(w, http.StatusUnprocessableEntity, codeKeyReused,
			"this Idempotency-Key was first used with a different request (method, path or body); send a new key for a new request",
			"Idempotency-Key")
		return false
	}
	return true
}

// codeKeyReused answers an Idempotency-Key sent again with another request.
const codeKeyReused = "IDEMPOTENCY_KEY_REUSED"
