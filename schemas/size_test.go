package schemas

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// order.EncodedSizeBound is the state budget's measure: it must never be
// below what the Serde writes, or a state the budget admits could still be
// too large for Kafka. These tests encode states and compare.

func encodedState(t *testing.T, s *Serde[order.State], st order.State) int {
	t.Helper()
	b, err := s.Encode(st)
	require.NoError(t, err)
	return len(b)
}

// fillRandom sets v (a pointer) to random contents: strings of up to some
// 6,000 bytes mixing ASCII and multi-byte runes, integers over their whole range,
// times from year 1 to 9999 or zero, lists of 0 to 4 items, pointers nil or
// set.
func fillRandom(v any, r *rand.Rand) { fillRandomValue(reflect.ValueOf(v).Elem(), r) }

func fillRandomValue(v reflect.Value, r *rand.Rand) {
	if v.Type() == timeType {
		if r.IntN(4) > 0 {
			v.Set(reflect.ValueOf(time.UnixMilli(r.Int64N(315_000_000_000_000) - 62_000_000_000_000).UTC()))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		var b strings.Builder
		for range r.IntN(3) * r.IntN(4) {
			b.WriteString(strings.Repeat([]string{"a", "Z7 ", "é", "日", "🦊", "\n"}[r.IntN(6)], r.IntN(500)))
		}
		v.SetString(b.String())
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int64:
		v.SetInt([]int64{0, 1, -1, r.Int64(), -r.Int64(), r.Int64N(1000)}[r.IntN(6)])
	case reflect.Int32:
		v.SetInt(int64(r.Int32()))
	case reflect.Pointer:
		if r.IntN(3) > 0 {
			p := reflect.New(v.Type().Elem())
			fillRandomValue(p.Elem(), r)
			v.Set(p)
		}
	case reflect.Slice:
		if n := r.IntN(5); n > 0 {
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := range n {
				fillRandomValue(s.Index(i), r)
			}
			v.Set(s)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillRandomValue(v.Field(i), r)
			}
		}
	}
}

// TestEncodedSizeBoundIsExactForEveryField: for a state with every field
// filled, the bound is the encoded size exactly (single-object framing is
// the longest one it assumes). A State field the bound does not count, or
// counts twice, makes them differ: update order/size.go with the field.
func TestEncodedSizeBoundIsExactForEveryField(t *testing.T) {
	s, err := NewStates(context.Background())
	require.NoError(t, err)
	var st order.State
	fill(&st)
	require.Equal(t, encodedState(t, s, st), order.EncodedSizeBound(st))
	require.Equal(t, encodedState(t, s, order.State{}), order.EncodedSizeBound(order.State{}))
}

func TestPropertyEncodedSizeBoundIsNeverBelowTheEncodedSize(t *testing.T) {
	s, err := NewStates(context.Background())
	require.NoError(t, err)
	for seed := range 1000 {
		r := rand.New(rand.NewPCG(uint64(seed), 3))
		var st order.State
		fillRandom(&st, r)
		size, bound := encodedState(t, s, st), order.EncodedSizeBound(st)
		require.GreaterOrEqual(t, bound, size, "seed %d", seed)
		require.Equal(t, size, bound, "seed %d: the bound is exact for single-object encoding", seed)
	}
}

// TestPropertyStatesAtTheLimitsFitIntoAKafkaRecord drives orders with
// commands at the limits (the longest ids and text, full lists, resends)
// through Handle; every state it returns encodes within the budget, which
// is under the 1,000,000 bytes a Kafka record may take.
func TestPropertyStatesAtTheLimitsFitIntoAKafkaRecord(t *testing.T) {
	s, err := NewStates(context.Background())
	require.NoError(t, err)
	pol := order.DefaultPolicy()
	d := order.Decider{Policy: pol}
	require.Less(t, pol.MaxStateBytes, 1_000_000)
	oid := strings.Repeat("o", order.MaxOrderIDLen)
	text := strings.Repeat("é", pol.MaxTextLen/2)
	id := func(prefix string, n int) string {
		return fmt.Sprintf("%s-%d-%s", prefix, n, strings.Repeat("i", order.MaxIDLen))[:order.MaxIDLen]
	}
	largest, refused := 0, 0
	for seed := range 3 {
		r := rand.New(rand.NewPCG(uint64(seed), 11))
		var st order.State
		for n := range 1000 {
			var data order.CommandData
			switch k := r.IntN(8); {
			case n == 0:
				data = order.CreateOrder{CustomerID: id("cust", 0), Currency: "USD", SourceChannel: strings.Repeat("s", order.MaxLabelLen),
					Shipping: &order.ShippingInput{RecipientName: text, Address: order.Address{Line1: text, Line2: text, City: text, PostalCode: "1", Country: "US"}},
					Billing:  &order.BillingInput{Name: text, Email: "a@example.com", Address: order.Address{Line1: text, Line2: text, City: text, PostalCode: "1", Country: "US"}}}
			case k == 0:
				items := make([]order.LineItem, 1+r.IntN(5))
				for i := range items {
					items[i] = order.LineItem{ProductID: id("p", n*10+i), Name: text, Quantity: 1, UnitPrice: 1_000_000}
				}
				data = order.AddItems{Items: items}
			case k == 1:
				data = order.ApplyDiscount{Description: text, FixedAmount: 1}
			case k == 2:
				data = order.FlagOrder{Code: strings.Repeat("F", order.MaxLabelLen), Reason: text}
			case k == 3:
				data = order.AddAdminNote{Text: text}
			case k == 4:
				data = order.ApproveOrder{Comment: text} // mostly rejected: rejections remembered
			default:
				data = order.RecordNotification{NotificationID: id("n", n), Channel: "email", Template: "t"}
			}
			c := order.Command{ID: id("c", n), Type: data.CommandType(), OrderID: oid, UserID: id("u", 0),
				CorrelationID: id("corr", 0), Data: data, Time: time.UnixMilli(1_790_000_000_000 + int64(n)*1000).UTC()}
			if n > 0 && r.IntN(10) == 0 {
				c.ID = id("c", r.IntN(n))
			}
			next, _, res := d.Handle(st, c)
			if res.Code == order.CodeLimitExceeded && strings.Contains(res.Message, "budget") {
				refused++
			}
			if n == 0 {
				require.Equal(t, order.ResultAccepted, res.Status, "%s %s", res.Code, res.Message)
			}
			if !order.Changed(st, next) {
				continue
			}
			size, bound := encodedState(t, s, next), order.EncodedSizeBound(next)
			require.GreaterOrEqual(t, bound, size)
			require.LessOrEqual(t, bound, pol.MaxStateBytes)
			largest = max(largest, size)
			st = next
		}
	}
	t.Logf("largest state %d bytes, %d commands refused for the budget", largest, refused)
	require.Positive(t, refused, "the sequences reached the budget")
}

// TestBytesPerRememberedCommand measures what the lifelong memory costs per
// command, as docs/dedup.md reports it: in the encoded state and in memory.
func TestBytesPerRememberedCommand(t *testing.T) {
	s, err := NewStates(context.Background())
	require.NoError(t, err)
	d := order.Decider{Policy: order.DefaultPolicy()}
	oid := "3f1e0000-0000-4000-8000-000000000001"
	st, _, _ := d.Handle(order.State{}, order.Command{ID: "create", Type: order.CmdCreateOrder, OrderID: oid,
		Data: order.CreateOrder{CustomerID: "c", Currency: "USD"}})
	const n = 1000
	accepted, rejected := st, st
	for i := range n {
		c := order.Command{ID: fmt.Sprintf("01J9Z6Q8K3T4V5W6X7Y8Z9%04d", i), Type: order.CmdRecordNotification, OrderID: oid,
			Data: order.RecordNotification{NotificationID: "n", Channel: "email", Template: "t"}}
		accepted, _, _ = d.Handle(accepted, c)
		c.Type, c.Data = order.CmdApproveOrder, order.ApproveOrder{}
		rejected, _, _ = d.Handle(rejected, c)
	}
	require.Len(t, accepted.Handled.Accepted, n+1)
	require.Len(t, rejected.Handled.Rejected, n)
	// Notifications count up in the state as well; a few bytes of version
	// and counter, measured by the same sequence without the memory.
	bare := accepted
	bare.Handled = st.Handled
	perAccepted := float64(encodedState(t, s, accepted)-encodedState(t, s, bare)) / n
	perRejected := float64(encodedState(t, s, rejected)-encodedState(t, s, st)) / n
	t.Logf("encoded: %.1f bytes per accepted command, %.1f per rejected one (%q); in memory: %d and %d bytes plus the strings",
		perAccepted, perRejected, rejected.Handled.Rejected[0].Message,
		unsafe.Sizeof(order.AcceptedCommand{}), unsafe.Sizeof(order.RejectedCommand{}))
	require.LessOrEqual(t, perAccepted, 14.0)
	require.LessOrEqual(t, perRejected, float64(10+2+1+len("PRECONDITION_FAILED")+1+1+len(rejected.Handled.Rejected[0].Message)))
}
