package avrostruct

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
)

// fuzzTarget is a schema, its Go type and samples of it for the seed corpus.
type fuzzTarget struct {
	schema  string
	opts    []Option
	typ     reflect.Type
	samples []any
}

func fuzzTargets() []fuzzTarget {
	at := ms("2026-03-01T09:59:59.999Z")
	type T struct {
		At      *time.Time       `json:"at"`
		AtValue time.Time        `json:"at_value"`
		Day     time.Time        `json:"day"`
		Took    time.Duration    `json:"took"`
		Count   int              `json:"count"`
		N       int              `json:"n"`
		Name    string           `json:"name"`
		Labels  map[string]int64 `json:"labels"`
		Small   int32            `json:"small"`
	}
	type Node struct {
		Value int64 `json:"value"`
		Next  *Node `json:"next"`
	}
	type Old struct {
		SKU string `json:"sku"`
	}
	return []fuzzTarget{
		{envelopeSchema, envelopeOpts, reflect.TypeFor[Envelope](), []any{
			&Envelope{Meta: Meta{EventID: "e-1", OccurredAt: at}, Trace: &Trace{TraceID: "t"}, Data: fullOrder()},
			&Envelope{Meta: Meta{EventID: "e-2"}, Data: &OrderCancelled{OrderID: "o", Reason: "r", Was: StatusPaid}},
			&Envelope{},
		}},
		{optionalSchema, nil, reflect.TypeFor[T](), []any{
			&T{At: &at, AtValue: at, Day: at.Truncate(24 * time.Hour), Took: time.Second, Count: 3, N: -3, Name: "n",
				Labels: map[string]int64{"a": 1, "b": 2}, Small: 5},
			&T{},
		}},
		{nodeSchema, nil, reflect.TypeFor[Node](), []any{&Node{Value: 1, Next: &Node{Value: -2}}}},
		// A Go type that has one field of many: the rest is skipped.
		{skipSchema, nil, reflect.TypeFor[onlyKept](), nil},
		{itemV2, nil, reflect.TypeFor[Old](), []any{&LineV2{SKU: "s", Qty: 2, Tags: []string{"a"}, Origin: &Origin{"x"}}}},
	}
}

// FuzzDecodeBinary feeds arbitrary bytes to DecodeBinary: it must never
// panic or allocate without bound, and whatever it accepts goavro and
// FromNative must read the same way.
func FuzzDecodeBinary(f *testing.F) {
	targets := fuzzTargets()
	mappers := make([]*Mapper, len(targets))
	codecs := make([]*goavro.Codec, len(targets))
	for i, tg := range targets {
		m, err := New(tg.schema, tg.opts...)
		if err != nil {
			f.Fatal(err)
		}
		codec, err := goavro.NewCodec(tg.schema)
		if err != nil {
			f.Fatal(err)
		}
		mappers[i], codecs[i] = m, codec
		for _, s := range tg.samples {
			b, err := m.AppendBinary([]byte{byte(i)}, s)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
			f.Add(b[:len(b)/2])
		}
	}
	f.Add([]byte{3, 0xfe, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		i := int(data[0]) % len(targets)
		m, codec, typ := mappers[i], codecs[i], targets[i].typ
		in := data[1:]
		got := reflect.New(typ)
		rest, err := m.DecodeBinary(in, got.Interface())
		if err != nil {
			return
		}
		// Accepted: goavro must read it too, to the same end and value. (Not
		// the other way round: goavro allocates whatever count it is given.)
		native, restRef, err := codec.NativeFromBinary(in)
		if err != nil {
			t.Fatalf("DecodeBinary accepted what goavro refuses (%v): %x", err, in)
		}
		if len(rest) != len(restRef) {
			t.Fatalf("DecodeBinary left %d bytes, goavro %d: %x", len(rest), len(restRef), in)
		}
		want := reflect.New(typ)
		if err := m.FromNative(native, want.Interface()); err != nil {
			t.Fatalf("DecodeBinary accepted what FromNative refuses (%v): %x", err, in)
		}
		if !equalNaN(want, got) {
			t.Fatalf("DecodeBinary and FromNative disagree on %x:\n got %+v\nwant %+v", in, got.Elem(), want.Elem())
		}
	})
}

// equalNaN is reflect.DeepEqual, except that NaN equals NaN (bits need not
// match: goavro and DecodeBinary both keep them, but NaN != NaN).
func equalNaN(a, b reflect.Value) bool {
	if a.Kind() != b.Kind() || a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y || math.IsNaN(x) && math.IsNaN(y)
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalNaN(a.Elem(), b.Elem())
	case reflect.Struct:
		if a.Type() == timeType {
			return a.Interface() == b.Interface()
		}
		for i := range a.NumField() {
			if !equalNaN(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return false
		}
		fallthrough
	case reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalNaN(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		it := a.MapRange()
		for it.Next() {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !equalNaN(it.Value(), bv) {
				return false
			}
		}
		return true
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	}
	panic("equalNaN: unexpected kind " + a.Kind().String())
}
