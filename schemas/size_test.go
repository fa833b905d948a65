package schemas

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

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
