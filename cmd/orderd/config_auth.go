package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/orderlog/orderlog/api"
)

// AuthConfig is how the api role verifies bearer tokens and remembers
// Idempotency-Keys. With OIDCIssuer set, tokens come from that OpenID
// Connect issuer and --jwt-key is not used; without it, tokens are HS256
// with --jwt-key (dev mode; orderctl token mints them).
type AuthConfig struct {
	OIDCIssuer     string
	OIDCAudience   string
	OIDCRolesClaim string
	IdempotencyTTL time.Duration
}

// authFlags declares the api role's token and idempotency settings.
func authFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.Auth.OIDCIssuer, "oidc-issuer", "", "api: verify bearer tokens of this OpenID Connect issuer (its discovery document and JWKS; RS256 or ES256) instead of HS256 tokens of --jwt-key")
	fs.StringVar(&c.Auth.OIDCAudience, "oidc-audience", "", "api, with --oidc-issuer: the audience (client id) a token's aud claim must hold")
	fs.StringVar(&c.Auth.OIDCRolesClaim, "oidc-roles-claim", api.DefaultRolesClaim, `api, with --oidc-issuer: the claim naming the caller's role (customer, admin or service), a string or an array; dotted for a nested claim ("realm_access.roles")`)
	fs.DurationVar(&c.Auth.IdempotencyTTL, "idempotency-ttl", api.DefaultKeyTTL, "api: how long an Idempotency-Key stays bound to its first request (in Redis); the same key with another request is refused meanwhile")
}

var claimPath = regexp.MustCompile(`^[A-Za-z0-9_:/-]+(\.[A-Za-z0-9_:/-]+)*$`)

// validateAuth names what is wrong with the OIDC settings.
func (c *Config) validateAuth(bad func(string, string, ...any)) {
	a := c.Auth
	if a.IdempotencyTTL < time.Minute {
		bad("idempotency-ttl", "must be at least 1m, got %s", a.IdempotencyTTL)
	}
	if a.OIDCIssuer == "" {
		if a.OIDCAudience != "" {
			bad("oidc-audience", "is set but --oidc-issuer is not; set both, or neither for HS256 tokens of --jwt-key")
		}
		return
	}
	if u, err := url.Parse(a.OIDCIssuer); err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		bad("oidc-issuer", "want an https:// issuer URL (http:// only on a loopback address), got %q", a.OIDCIssuer)
	}
	if a.OIDCAudience == "" {
		bad("oidc-audience", "is required with --oidc-issuer: the client id the API's tokens are issued for")
	}
	if !claimPath.MatchString(a.OIDCRolesClaim) {
		bad("oidc-roles-claim", "want a claim name, or a dotted path of names, got %q", a.OIDCRolesClaim)
	}
}

func isLoopback(host string) bool {
	return slices.Contains([]string{"localhost", "127.0.0.1", "::1"}, host)
}

// authenticator is the api role's: OIDC when an issuer is set (its
// discovery document is read now, so a wrong issuer stops the start), else
// nil, for api.New to verify HS256 tokens of --jwt-key.
func (c *Config) authenticator(ctx context.Context) (api.Authenticator, error) {
	if c.Auth.OIDCIssuer == "" {
		return nil, nil
	}
	a, err := api.NewOIDC(ctx, api.OIDCConfig{Issuer: c.Auth.OIDCIssuer, Audience: c.Auth.OIDCAudience, RolesClaim: c.Auth.OIDCRolesClaim})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", settingName("oidc-issuer"), err)
	}
	return a, nil
}
