package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/projections"
)

// issuer is an OpenID Connect issuer served by the test: a discovery
// document and a JWKS of one RSA and one EC key.
type issuer struct {
	url       string
	rsa       *rsa.PrivateKey
	ec        *ecdsa.PrivateKey
	keyFetchs atomic.Int64
}

func newIssuer(t *testing.T) *issuer {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	iss := &issuer{rsa: rk, ec: ek}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss.url = srv.URL
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": iss.url, "jwks_uri": iss.url + "/keys",
			"authorization_endpoint": iss.url + "/auth", "token_endpoint": iss.url + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"}})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
		iss.keyFetchs.Add(1)
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &rk.PublicKey, KeyID: "rsa-1", Algorithm: "RS256", Use: "sig"},
			{Key: &ek.PublicKey, KeyID: "ec-1", Algorithm: "ES256", Use: "sig"},
		}})
	})
	return iss
}

// token signs claims with the issuer's key for alg ("RS256" or "ES256"),
// or with another key when foreign.
func (iss *issuer) token(t *testing.T, alg string, claims jwt.MapClaims) string {
	var method jwt.SigningMethod = jwt.SigningMethodRS256
	var key any = iss.rsa
	kid := "rsa-1"
	if alg == "ES256" {
		method, key, kid = jwt.SigningMethodES256, iss.ec, "ec-1"
	}
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

func TestOIDCVerifiesIssuerTokens(t *testing.T) {
	iss := newIssuer(t)
	auth, err := NewOIDC(context.Background(), OIDCConfig{Issuer: iss.url, Audience: "orderlog-api", RolesClaim: "realm_access.roles"})
	require.NoError(t, err)
	now := time.Now()
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": iss.url, "aud": "orderlog-api", "sub": "alice", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
			"realm_access": map[string]any{"roles": []string{"offline_access", "customer"}}}
		if edit != nil {
			edit(c)
		}
		return c
	}
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	foreign := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(nil))
	foreign.Header["kid"] = "rsa-1"
	foreignTok, err := foreign.SignedString(otherKey)
	require.NoError(t, err)
	hmacTok, err := Token(testKey, "alice", RoleAdmin)
	require.NoError(t, err)

	for _, tc := range []struct {
		name    string
		token   string
		want    Principal
		wantErr string
	}{
		{name: "RS256", token: iss.token(t, "RS256", claims(nil)), want: Principal{Subject: "alice", Role: RoleCustomer}},
		{name: "ES256", token: iss.token(t, "ES256", claims(nil)), want: Principal{Subject: "alice", Role: RoleCustomer}},
		{name: "the most privileged role named", token: iss.token(t, "RS256", claims(func(c jwt.MapClaims) {
			c["realm_access"] = map[string]any{"roles": []string{"customer", "admin", "service"}}
		})), want: Principal{Subject: "alice", Role: RoleAdmin}},
		{name: "another audience", token: iss.token(t, "RS256", claims(func(c jwt.MapClaims) { c["aud"] = "billing" })), wantErr: "audience"},
		{name: "another issuer", token: iss.token(t, "RS256", claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })), wantErr: "issued by a different provider"},
		{name: "expired", token: iss.token(t, "ES256", claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() })), wantErr: "expired"},
		{name: "signed by a key not in the JWKS", token: foreignTok, wantErr: "signature"},
		{name: "an HMAC token", token: hmacTok, wantErr: "unexpected signature algorithm"},
		{name: "no known role", token: iss.token(t, "RS256", claims(func(c jwt.MapClaims) {
			c["realm_access"] = map[string]any{"roles": []string{"superuser"}}
		})), wantErr: "realm_access.roles names none of the roles"},
		{name: "no roles claim", token: iss.token(t, "RS256", claims(func(c jwt.MapClaims) { delete(c, "realm_access") })), wantErr: "names none"},
		{name: "no subject", token: iss.token(t, "RS256", claims(func(c jwt.MapClaims) { delete(c, "sub") })), wantErr: "no sub"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := auth.Authenticate(context.Background(), tc.token)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, p)
		})
	}
	require.Positive(t, iss.keyFetchs.Load(), "the keys came from the JWKS")
}

func TestOIDCRolesClaimAsAString(t *testing.T) {
	iss := newIssuer(t)
	auth, err := NewOIDC(context.Background(), OIDCConfig{Issuer: iss.url, Audience: "api"})
	require.NoError(t, err)
	for _, roles := range []any{"service", []string{"service"}} {
		tok := iss.token(t, "ES256", jwt.MapClaims{"iss": iss.url, "aud": []string{"api", "other"}, "sub": "warehouse",
			"exp": time.Now().Add(time.Minute).Unix(), DefaultRolesClaim: roles})
		p, err := auth.Authenticate(context.Background(), tok)
		require.NoError(t, err)
		require.Equal(t, Principal{Subject: "warehouse", Role: RoleService}, p)
	}
}

func TestNewOIDCRefusesABadIssuer(t *testing.T) {
	iss := newIssuer(t)
	_, err := NewOIDC(context.Background(), OIDCConfig{Issuer: iss.url + "/other", Audience: "api"})
	require.ErrorContains(t, err, "discovery of issuer")
	_, err = NewOIDC(context.Background(), OIDCConfig{Issuer: "http://127.0.0.1:1", Audience: "api"})
	require.ErrorContains(t, err, "discovery of issuer")
	_, err = NewOIDC(context.Background(), OIDCConfig{Issuer: iss.url})
	require.ErrorContains(t, err, "audience")
}

// The API with an OIDC issuer serves the issuer's callers and refuses
// HMAC tokens.
func TestTheAPIAcceptsOIDCTokens(t *testing.T) {
	iss := newIssuer(t)
	auth, err := NewOIDC(context.Background(), OIDCConfig{Issuer: iss.url, Audience: "api"})
	require.NoError(t, err)
	side := newReadSide(t, testRedis)
	fk := newFakeKafka(t, side)
	srv, err := New(Config{Reader: side.reader, Commands: fk, Results: fk, Auth: auth, Keys: side.keys, Logger: testLogger()})
	require.NoError(t, err)
	tok := iss.token(t, "RS256", jwt.MapClaims{"iss": iss.url, "aud": "api", "sub": "alice", "exp": time.Now().Add(time.Minute).Unix(), "roles": "customer"})
	alice := &client{t: t, h: srv.Handler(), token: tok}
	w := alice.do("POST", "/api/v1/orders", map[string]any{"orderId": "oidc-1", "currency": "USD"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	require.Equal(t, "alice", decode[projections.View](t, w).CustomerID)

	hmac := as(t, srv.Handler(), "alice", RoleCustomer)
	w = hmac.do("GET", "/api/v1/orders/oidc-1", nil)
	require.Equal(t, http.StatusUnauthorized, w.Code, w.Body.String())
}
