package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/orderlog/orderlog/order"
)

// Role is what a caller may do.
type Role string

// The roles a token's "role" claim may name.
const (
	// RoleCustomer sees and changes only orders whose customerId is its
	// subject; another customer's order is answered 404, as if absent.
	RoleCustomer Role = "customer"
	// RoleAdmin sees and changes every order, admin notes included.
	RoleAdmin Role = "admin"
	// RoleService is another system (the saga, a warehouse): every order,
	// no admin notes.
	RoleService Role = "service"
)

// Principal is the authenticated caller.
type Principal struct {
	Subject string
	Role    Role
}

// Claims are the JWT claims the API reads: sub (jwt.RegisteredClaims) and
// role. Expiry and not-before are checked when present.
type Claims struct {
	Role Role `json:"role"`
	jwt.RegisteredClaims
}

// Token signs a bearer token (HS256) for a subject and role, without
// expiry; for tests and dev mode.
func Token(key []byte, subject string, role Role) (string, error) {
	return TokenUntil(key, subject, role, time.Time{})
}

// TokenUntil signs a bearer token (HS256) for a subject and role that
// expires at exp (never when exp is zero); orderctl token mints these.
func TokenUntil(key []byte, subject string, role Role, exp time.Time) (string, error) {
	c := Claims{Role: role, RegisteredClaims: jwt.RegisteredClaims{Subject: subject}}
	if !exp.IsZero() {
		c.IssuedAt = jwt.NewNumericDate(time.Now())
		c.ExpiresAt = jwt.NewNumericDate(exp)
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
}

// Authenticator turns a bearer token into the caller, or an error saying
// why the token is refused (answered 401). HMACAuth (dev, tests) and OIDC
// (production) are the two.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// HMACAuth verifies tokens signed with a shared HMAC key (HS256/384/512)
// carrying sub and role claims, as Token signs them.
type HMACAuth struct{ Key []byte }

// Authenticate implements Authenticator.
func (a HMACAuth) Authenticate(_ context.Context, raw string) (Principal, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return a.Key, nil },
		jwt.WithValidMethods([]string{"HS256", "HS384", "HS512"}))
	if err != nil {
		return Principal{}, err
	}
	return principal(c.Subject, c.Role)
}

// principal checks a token's subject and role.
func principal(subject string, role Role) (Principal, error) {
	if subject == "" {
		return Principal{}, errors.New("token has no sub")
	}
	switch role {
	case RoleCustomer, RoleAdmin, RoleService:
	default:
		return Principal{}, errors.New("token role must be customer, admin or service")
	}
	return Principal{Subject: subject, Role: role}, nil
}

type principalKey struct{}

func principalFrom(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

func (s *Server) parseToken(ctx context.Context, header string) (Principal, error) {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		return Principal{}, errors.New("missing bearer token")
	}
	p, err := s.cfg.Auth.Authenticate(ctx, strings.TrimSpace(raw))
	if err != nil {
		return p, err
	}
	// A caller's subject becomes its commands' userId, and a system user's
	// changes say triggerType SYSTEM: no token may speak for orderlog's own
	// services, nor for nobody.
	if order.IsSystemUser(p.Subject) {
		return Principal{}, fmt.Errorf("token subject %q is reserved: empty, or %s..., which orderlog's own services use",
			p.Subject, order.SystemUserPrefix)
	}
	return p, nil
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.parseToken(r.Context(), r.Header.Get("Authorization"))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="orderlog"`)
			writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", err.Error(), "Authorization")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// requireRole answers 403 unless the caller has one of roles.
func requireRole(w http.ResponseWriter, r *http.Request, roles ...Role) bool {
	p := principalFrom(r.Context())
	for _, role := range roles {
		if p.Role == role {
			return true
		}
	}
	writeError(w, http.StatusForbidden, "FORBIDDEN", "role "+string(p.Role)+" may not do this", "")
	return false
}
