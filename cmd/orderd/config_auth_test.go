package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var apiKey = strings.Repeat("k", 32)

func TestLoadNamesTheBadAuthSetting(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{name: "audience without issuer", args: []string{"--roles=api", "--jwt-key=" + apiKey, "--oidc-audience=api"},
			want: []string{"ORDERLOG_OIDC_AUDIENCE / --oidc-audience: is set but --oidc-issuer is not"}},
		{name: "issuer without audience", args: []string{"--roles=api", "--oidc-issuer=https://id.example.com/realms/shop"},
			want: []string{"ORDERLOG_OIDC_AUDIENCE / --oidc-audience: is required with --oidc-issuer"}},
		{name: "issuer not https", args: []string{"--roles=api", "--oidc-issuer=http://id.example.com", "--oidc-audience=api"},
			want: []string{`ORDERLOG_OIDC_ISSUER / --oidc-issuer: want an https:// issuer URL (http:// only on a loopback address), got "http://id.example.com"`}},
		{name: "issuer not a URL", args: []string{"--roles=api", "--oidc-issuer=id.example.com", "--oidc-audience=api"},
			want: []string{"ORDERLOG_OIDC_ISSUER / --oidc-issuer: want an https://"}},
		{name: "roles claim", args: []string{"--roles=api", "--jwt-key=" + apiKey, "--oidc-issuer=https://id.example.com", "--oidc-audience=api", "--oidc-roles-claim=realm access..roles"},
			want: []string{`ORDERLOG_OIDC_ROLES_CLAIM / --oidc-roles-claim: want a claim name, or a dotted path of names, got "realm access..roles"`}},
		{name: "idempotency ttl", args: []string{"--idempotency-ttl=1s"}, want: []string{"ORDERLOG_IDEMPOTENCY_TTL / --idempotency-ttl: must be at least 1m, got 1s"}},
		{name: "no key and no issuer", args: []string{"--roles=api"}, want: []string{"ORDERLOG_JWT_KEY / --jwt-key: the api role needs an HMAC key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.args, env(), nil)
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestAnOIDCIssuerNeedsNoJWTKey(t *testing.T) {
	c, err := Load([]string{"--roles=api"}, env("ORDERLOG_OIDC_ISSUER", "https://id.example.com/realms/shop", "ORDERLOG_OIDC_AUDIENCE", "orderlog",
		"ORDERLOG_OIDC_ROLES_CLAIM", "realm_access.roles"), nil)
	require.NoError(t, err)
	require.Equal(t, AuthConfig{OIDCIssuer: "https://id.example.com/realms/shop", OIDCAudience: "orderlog", OIDCRolesClaim: "realm_access.roles",
		IdempotencyTTL: 24 * time.Hour}, c.Auth)
}

// The issuer's discovery document is read at start: an issuer that does
// not answer as one stops the api role, naming the setting.
func TestTheIssuerIsCheckedAtStart(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("GET /good/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL + "/good", "jwks_uri": srv.URL + "/good/keys"})
	})
	load := func(issuer string) Config {
		c, err := Load([]string{"--roles=api", "--oidc-issuer=" + issuer, "--oidc-audience=api"}, env(), nil)
		require.NoError(t, err)
		return c
	}
	c := load(srv.URL + "/good")
	a, err := c.authenticator(context.Background())
	require.NoError(t, err)
	require.NotNil(t, a)

	c = load(srv.URL + "/missing")
	_, err = c.authenticator(context.Background())
	require.ErrorContains(t, err, "ORDERLOG_OIDC_ISSUER / --oidc-issuer: oidc: discovery of issuer "+srv.URL+"/missing")

	c, err = Load([]string{"--roles=api", "--jwt-key=" + apiKey}, env(), nil)
	require.NoError(t, err)
	a, err = c.authenticator(context.Background())
	require.NoError(t, err)
	require.Nil(t, a, "without an issuer the api verifies HS256 tokens of --jwt-key")
}
