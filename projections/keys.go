package projections

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

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
	famOrder          = "order:"           // + {orderId}: hash {version, view}
	famOrderEvents    = "order-events:"    // + {orderId}: list of event JSON
	famOrders         = "orders:"          // + {shard}: zset of orderId by createdAt
	famCustomerOrders = "customer-orders:" // + {shard}:customerId: zset
	famStatusOrders   = "status-orders:"   // + {shard}:status: zset
	famTypeEvents     = "type-events:"     // + {shard}:event type: zset of orderId:seq
	famStats          = "stats:"           // + {shard}:...: counters
	famApplied        = "applied:"         // + {shard}: hash orderId -> last seq in the shard
	famAttention      = "attention:"       // + {shard}: zset of orderId by when it needs attention
)

// allFamilies lists every key family, for DeletePrefix.
var allFamilies = []string{famOrder, famOrderEvents, famOrders, famCustomerOrders, famStatusOrders, famTypeEvents, famStats, famApplied, famAttention}

// Fields of the order hash.
const (
	fieldVersion = "version"
	fieldView    = "view"
)

// NumShards is how many shards the cross-order indexes and counters are
// split into (doc.go, "Key layout"). It is part of the layout: changing it
// needs a rebuild.
const NumShards = 16

// shardTags are the hash tags of the shards: shard i's tag hashes to a slot
// in the i-th sixteenth of Redis Cluster's 16384 slots, so that the shards
// spread evenly over any even split of the slots between primaries.
var shardTags = func() [NumShards]string {
	var tags [NumShards]string
	for i := range tags {
		for j := 0; ; j++ {
			t := "s" + strconv.Itoa(i) + "." + strconv.Itoa(j)
			if int(keySlot(t))*NumShards/16384 == i {
				tags[i] = t
				break
			}
		}
	}
	return tags
}()

// shardOf is the shard of an order: Kafka's key partitioner (murmur2, as the
// processor partitions order.events) over NumShards, so that when the
// partition count divides NumShards each shard is fed by one partition.
func shardOf(orderID string) int {
	return shardPartitioner.Partition(&kgo.Record{Key: []byte(orderID)}, NumShards)
}

var shardPartitioner = kgo.StickyKeyPartitioner(nil).ForTopic("")

// keySlot is Redis Cluster's slot of a key: CRC16 (XMODEM) of its hash tag
// (the text between the first '{' and the next '}', if not empty) or of the
// whole key, mod 16384.
func keySlot(key string) uint16 {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for k := 0; k < len(key); k++ {
		crc ^= uint16(key[k]) << 8
		for b := 0; b < 8; b++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc % 16384
}

// keys builds the keys of one prefix.
type keys struct{ p string }

func (k keys) order(id string) string       { return k.p + famOrder + "{" + id + "}" }
func (k keys) orderEvents(id string) string { return k.p + famOrderEvents + "{" + id + "}" }
func (k keys) shard(fam string, s int) string {
	return k.p + fam + "{" + shardTags[s] + "}"
}
func (k keys) orders(s int) string              { return k.shard(famOrders, s) }
func (k keys) customer(s int, id string) string { return k.shard(famCustomerOrders, s) + ":" + id }
func (k keys) status(s int, st order.Status) string {
	return k.shard(famStatusOrders, s) + ":" + string(st)
}
func (k keys) typeIndex(s int, t order.EventType) string {
	return k.shard(famTypeEvents, s) + ":" + string(t)
}
func (k keys) statusCounts(s int) string { return k.shard(famStats, s) + ":orders-by-status" }
func (k keys) revenue(s int) string      { return k.shard(famStats, s) + ":revenue" }
func (k keys) minute(s int, t time.Time) string {
	return k.shard(famStats, s) + ":events:" + minuteOf(t)
}
func (k keys) applied(s int) string   { return k.shard(famApplied, s) }
func (k keys) attention(s int) string { return k.shard(famAttention, s) }

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
// built from it match only its keys, and no braces, so that it never holds
// a hash tag).
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
