package projections

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/orderlog/orderlog/order"
)

// Defaults of the key layout.
const (
	// DefaultPrefix is the prefix of every key a projection writes.
	DefaultPrefix = "orderlog:"
	// DefaultPointerKey holds the prefix readers use (see Activate).
	DefaultPointerKey = "orderlog:active-prefix"
)

// The key families under a prefix, each a distinct first segment so that no
// order, customer or type id can make one family's key collide with
// another's. DeletePrefix deletes exactly these.
const (
	famOrder          = "order:"           // + orderId: hash {version, view}
	famOrderEvents    = "order-events:"    // + orderId: list of event JSON
	famOrders         = "orders"           // zset of every orderId by createdAt
	famCustomerOrders = "customer-orders:" // + customerId: zset
	famStatusOrders   = "status-orders:"   // + status: zset
	famTypeEvents     = "type-events:"     // + event type: zset of orderId:seq
	famStats          = "stats:"           // counters
)

// families lists the SCAN patterns (after the prefix) of every key family.
var families = []string{famOrder + "*", famOrderEvents + "*", famOrders, famCustomerOrders + "*",
	famStatusOrders + "*", famTypeEvents + "*", famStats + "*"}

// Fields of the order hash.
const (
	fieldVersion = "version"
	fieldView    = "view"
)

// keys builds the keys of one prefix.
type keys struct{ p string }

func (k keys) order(id string) string             { return k.p + famOrder + id }
func (k keys) orderEvents(id string) string       { return k.p + famOrderEvents + id }
func (k keys) orders() string                     { return k.p + famOrders }
func (k keys) customer(id string) string          { return k.p + famCustomerOrders + id }
func (k keys) status(s order.Status) string       { return k.p + famStatusOrders + string(s) }
func (k keys) typeIndex(t order.EventType) string { return k.p + famTypeEvents + string(t) }
func (k keys) statusCounts() string               { return k.p + famStats + "orders-by-status" }
func (k keys) revenue() string                    { return k.p + famStats + "revenue" }
func (k keys) minute(t time.Time) string          { return k.p + famStats + "events:" + minuteOf(t) }

// minuteOf names the UTC minute of t, e.g. "2026-11-21T10:04".
func minuteOf(t time.Time) string { return t.UTC().Format("2006-01-02T15:04") }

// dayOf names the UTC day of t, e.g. "2026-11-21".
func dayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// revenueField is the field of the revenue hash: "USD:2026-11-21".
func revenueField(currency string, t time.Time) string { return currency + ":" + dayOf(t) }

// typeMember is the member of an events-by-type set: "orderId:seq".
func typeMember(orderID string, seq int64) string {
	return orderID + ":" + strconv.FormatInt(seq, 10)
}

// parseTypeMember splits "orderId:seq" at its last colon.
func parseTypeMember(m string) (string, int64, error) {
	i := strings.LastIndexByte(m, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("events-by-type member %q is not orderId:seq", m)
	}
	seq, err := strconv.ParseInt(m[i+1:], 10, 64)
	if err != nil || seq < 1 {
		return "", 0, fmt.Errorf("events-by-type member %q is not orderId:seq", m)
	}
	return m[:i], seq, nil
}

// ValidatePrefix checks a key prefix: 1 to 100 characters of letters,
// digits and ':', '.', '_', '-' (no glob characters, so that SCAN patterns
// built from it match only its keys).
func ValidatePrefix(p string) error {
	if p == "" || len(p) > 100 {
		return fmt.Errorf("key prefix %q must have 1 to 100 characters", p)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == ':', c == '.', c == '_', c == '-':
		default:
			return fmt.Errorf("key prefix %q has %q at byte %d; use letters, digits, ':', '.', '_' or '-'", p, c, i)
		}
	}
	return nil
}
