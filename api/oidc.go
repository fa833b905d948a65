package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// OIDCConfig is what OIDC needs to verify an issuer's tokens.
type OIDCConfig struct {
	// Issuer is the OpenID Connect issuer URL; its discovery document is
	// at Issuer + "/.well-known/openid-configuration" and names the JWKS.
	Issuer string
	// Audience must be in a token's aud claim (the API's client id).
	Audience string
	// RolesClaim names the claim holding the caller's role: a string or an
	// array of strings; a dotted path reaches into objects
	// ("realm_access.roles"). Default DefaultRolesClaim.
	RolesClaim string
	// HTTPClient fetches the discovery document and the keys (default
	// http.DefaultClient).
	HTTPClient *http.Client
	// DiscoveryTimeout bounds reading the discovery document (default 10 s).
	DiscoveryTimeout time.Duration
}

// DefaultRolesClaim is the claim OIDC reads roles from unless told another.
const DefaultRolesClaim = "roles"

// OIDC verifies bearer tokens of an OpenID Connect issuer: signed RS256 or
// ES256 by a key of the issuer's JWKS (fetched, cached and refetched on an
// unknown key id by go-oidc), iss the issuer, aud holding the audience, not
// expired. The subject is sub; the role is the most privileged of admin,
// service and customer that the roles claim names.
type OIDC struct {
	verifier *oidc.IDTokenVerifier
	claim    []string
}

// NewOIDC reads the issuer's discovery document and returns its verifier.
// An unreachable issuer or a document for another issuer is an error.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("oidc: issuer and audience are required")
	}
	if cfg.RolesClaim == "" {
		cfg.RolesClaim = DefaultRolesClaim
	}
	if cfg.DiscoveryTimeout <= 0 {
		cfg.DiscoveryTimeout = 10 * time.Second
	}
	if cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	}
	dctx, cancel := context.WithTimeout(ctx, cfg.DiscoveryTimeout)
	defer cancel()
	p, err := oidc.NewProvider(dctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discovery of issuer %s: %w", cfg.Issuer, err)
	}
	v := p.Verifier(&oidc.Config{ClientID: cfg.Audience, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256}})
	return &OIDC{verifier: v, claim: strings.Split(cfg.RolesClaim, ".")}, nil
}

// Authenticate implements Authenticator.
func (o *OIDC) Authenticate(ctx context.Context, raw string) (Principal, error) {
	tok, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return Principal{}, err
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return Principal{}, fmt.Errorf("oidc: read claims: %w", err)
	}
	role, err := o.role(claims)
	if err != nil {
		return Principal{}, err
	}
	return principal(tok.Subject, role)
}

// role finds the roles claim and picks the most privileged role it names.
func (o *OIDC) role(claims map[string]any) (Role, error) {
	var v any = claims
	for _, part := range o.claim {
		m, ok := v.(map[string]any)
		if !ok {
			v = nil
			break
		}
		v = m[part]
	}
	var names []string
	switch t := v.(type) {
	case string:
		names = []string{t}
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok {
				names = append(names, s)
			}
		}
	}
	for _, r := range []Role{RoleAdmin, RoleService, RoleCustomer} {
		for _, n := range names {
			if Role(n) == r {
				return r, nil
			}
		}
	}
	return "", fmt.Errorf("token claim %s names none of the roles customer, admin, service", strings.Join(o.claim, "."))
}
