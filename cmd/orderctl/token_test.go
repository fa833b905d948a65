package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/api"
)

var jwtKey = strings.Repeat("k", 32)

// The token orderctl mints is one the API verifies with the same key.
func TestTokenMintsWhatTheAPIVerifies(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		vars map[string]string
		want api.Principal
		exp  bool
	}{
		{name: "key from the environment", args: []string{"token", "--role", "customer", "--subject", "alice"},
			vars: map[string]string{"ORDERLOG_JWT_KEY": jwtKey}, want: api.Principal{Subject: "alice", Role: api.RoleCustomer}, exp: true},
		{name: "key from the flag, no expiry", args: []string{"token", "--role=admin", "--subject=support-1", "--jwt-key=" + jwtKey, "--ttl=0"},
			want: api.Principal{Subject: "support-1", Role: api.RoleAdmin}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(t.Context(), tc.args, envFor("", &out, &errb, tc.vars))
			require.Equal(t, exitOK, code, errb.String())
			tok := strings.TrimSpace(out.String())
			p, err := api.HMACAuth{Key: []byte(jwtKey)}.Authenticate(t.Context(), tok)
			require.NoError(t, err)
			require.Equal(t, tc.want, p)
			var c api.Claims
			_, _, err = jwt.NewParser().ParseUnverified(tok, &c)
			require.NoError(t, err)
			if tc.exp {
				require.WithinDuration(t, time.Now().Add(24*time.Hour), c.ExpiresAt.Time, time.Minute)
			} else {
				require.Nil(t, c.ExpiresAt)
			}
		})
	}
}

func TestTokenAsJSON(t *testing.T) {
	var out bytes.Buffer
	code := run(t.Context(), []string{"token", "--role", "service", "--subject", "warehouse", "--ttl", "1h", "--output", "json"},
		envFor("", &out, &bytes.Buffer{}, map[string]string{"ORDERLOG_JWT_KEY": jwtKey}))
	require.Equal(t, exitOK, code)
	var v struct {
		Token, Subject, Role string
		ExpiresAt            time.Time
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &v), out.String())
	require.Equal(t, "warehouse", v.Subject)
	require.Equal(t, "service", v.Role)
	require.NotEmpty(t, v.Token)
	require.WithinDuration(t, time.Now().Add(time.Hour), v.ExpiresAt, time.Minute)
}

func TestTokenNamesWhatIsMissing(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{name: "no role", args: []string{"token", "--subject", "alice"}, vars: map[string]string{"ORDERLOG_JWT_KEY": jwtKey}, want: "--role is \"\"; it must be customer, admin or service"},
		{name: "unknown role", args: []string{"token", "--role", "root", "--subject", "alice"}, vars: map[string]string{"ORDERLOG_JWT_KEY": jwtKey}, want: "--role is \"root\""},
		{name: "no subject", args: []string{"token", "--role", "admin"}, vars: map[string]string{"ORDERLOG_JWT_KEY": jwtKey}, want: "--subject is required"},
		{name: "no key", args: []string{"token", "--role", "admin", "--subject", "a"}, want: "no JWT key: set --jwt-key or ORDERLOG_JWT_KEY"},
		{name: "a short key", args: []string{"token", "--role", "admin", "--subject", "a", "--jwt-key", "short"}, want: "is 5 bytes; orderd's api role needs at least 32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			require.Equal(t, exitUsage, run(t.Context(), tc.args, envFor("", &out, &errb, tc.vars)))
			require.Contains(t, errb.String(), tc.want)
			require.Empty(t, out.String())
		})
	}
}
