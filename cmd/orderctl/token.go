package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/orderlog/orderlog/api"
)

// minJWTKey is the shortest key orderd's api role accepts (--jwt-key).
const minJWTKey = 32

func init() {
	var role, subject, key string
	var ttl time.Duration
	register(&command{
		path:  "token",
		short: "mint a bearer token (HS256) for the API from the JWT key, for dev and tests",
		long: `Signs a token with claims sub (--subject) and role (--role: customer, admin or
service) with the HMAC key orderd's api role verifies tokens with: --jwt-key, or
` + envName("jwt-key") + ` as orderd reads it (dev mode prints the key of its run).
A customer's subject is its customerId: it sees and changes only its own orders.
Production verifies tokens of an OpenID Connect issuer instead (orderd
--oidc-issuer); those come from the issuer, not from here.`,
		example: `  export ` + envName("jwt-key") + `=<the key orderd prints in dev mode>
  curl -H "Authorization: Bearer $(orderctl token --role customer --subject alice)" localhost:8080/api/v1/orders
  orderctl token --role admin --subject support-1 --ttl 1h --output json`,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&role, "role", "", "the token's role: customer, admin or service (required)")
			fs.StringVar(&subject, "subject", "", "the token's sub: the customerId of a customer, a person's or system's name otherwise (required)")
			fs.StringVar(&key, "jwt-key", "", "the HMAC key of orderd's api role (default "+envName("jwt-key")+")")
			fs.DurationVar(&ttl, "ttl", 24*time.Hour, "how long the token is valid; 0 for no expiry")
		},
		nargs: 0,
		run: func(_ context.Context, g *globals, e env, _ []string) int {
			if key == "" {
				key, _ = e.lookup(envName("jwt-key"))
			}
			r := api.Role(role)
			switch {
			case r != api.RoleCustomer && r != api.RoleAdmin && r != api.RoleService:
				fmt.Fprintf(e.stderr, "orderctl token: --role is %q; it must be customer, admin or service\n", role)
				return exitUsage
			case subject == "":
				fmt.Fprintf(e.stderr, "orderctl token: --subject is required (a customer's is its customerId)\n")
				return exitUsage
			case key == "":
				fmt.Fprintf(e.stderr, "orderctl token: no JWT key: set --jwt-key or %s to the key of orderd's api role (dev mode prints it)\n", envName("jwt-key"))
				return exitUsage
			case len(key) < minJWTKey:
				fmt.Fprintf(e.stderr, "orderctl token: the JWT key (--jwt-key / %s) is %d bytes; orderd's api role needs at least %d, so it would not be the one orderd uses\n",
					envName("jwt-key"), len(key), minJWTKey)
				return exitUsage
			case ttl < 0:
				fmt.Fprintf(e.stderr, "orderctl token: --ttl is %s; it must be >= 0\n", ttl)
				return exitUsage
			}
			var exp time.Time
			if ttl > 0 {
				exp = time.Now().Add(ttl).UTC().Truncate(time.Second)
			}
			tok, err := api.TokenUntil([]byte(key), subject, r, exp)
			if err != nil {
				fmt.Fprintf(e.stderr, "orderctl token: %v\n", err)
				return exitError
			}
			if g.Output == "json" {
				out := map[string]any{"token": tok, "subject": subject, "role": r}
				if !exp.IsZero() {
					out["expiresAt"] = exp
				}
				printJSON(e.stdout, out)
				return exitOK
			}
			fmt.Fprintln(e.stdout, tok)
			return exitOK
		},
	})
}
