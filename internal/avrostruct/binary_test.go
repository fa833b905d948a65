package avrostruct

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/stretchr/testify/require"
)

// The binary encoder and decoder are checked against the reference path
// they replace: goavro's BinaryFromNative of ToNative's result, and
// FromNative of goavro's NativeFromBinary.

// hasMultiEntryMap reports whether v holds a map of two or more entries,
// which goavro writes in Go's random order and AppendBinary in key order.
func hasMultiEntryMap(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && hasMultiEntryMap(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if hasMultiEntryMap(v.Field(i)) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return false
		}
		for i := range v.Len() {
			if hasMultiEntryMap(v.Index(i)) {
				return true
			}
		}
	case reflect.Map:
		if v.Len() > 1 {
			return true
		}
		it := v.MapRange()
		for it.Next() {
			if hasMultiEntryMap(it.Value()) {
				return true
			}
		}
	}
	return false
}

// requireSameBinary checks AppendBinary(v) against goavro's encoding of
// ToNative(v): the same bytes, or, when v holds a map of several entries,
// the same length and the same decoded value. It returns the bytes.
func requireSameBinary(t *testing.T, m *Mapper, codec *goavro.Codec, v any) []byte {
	t.Helper()
	native, err := m.ToNative(v)
	require.NoError(t, err)
	want, err := codec.BinaryFromNative(nil, native)
	require.NoError(t, err)

	prefix := []byte("prefix")
	got, err := m.AppendBinary(append([]byte(nil), prefix...), v)
	require.NoError(t, err)
	require.Equal(t, prefix, got[:len(prefix)], "AppendBinary appends")
	got = got[len(prefix):]
	if !hasMultiEntryMap(reflect.ValueOf(v)) {
		require.Equal(t, want, got, "AppendBinary must write what goavro writes")
		return got
	}
	require.Len(t, got, len(want))
	wantNative, _, err := codec.NativeFromBinary(want)
	require.NoError(t, err)
	gotNative, rest, err := codec.NativeFromBinary(got)
	require.NoError(t, err)
	require.Empty(t, rest)
	require.Equal(t, wantNative, gotNative)
	again, err := m.AppendBinary(nil, v)
	require.NoError(t, err)
	require.Equal(t, got, again, "map entries are sorted: the encoding is deterministic")
	return got
}

// requireSameDecode decodes bin (written with m's schema, followed by a
// trailer) into a new value of out's type both ways and checks they agree;
// it returns DecodeBinary's value.
func requireSameDecode(t *testing.T, m *Mapper, codec *goavro.Codec, bin []byte, out any) any {
	t.Helper()
	typ := reflect.TypeOf(out).Elem()
	trailer := []byte{0xde, 0xad}
	in := append(append([]byte(nil), bin...), trailer...)

	native, restRef, err := codec.NativeFromBinary(in)
	require.NoError(t, err)
	want := reflect.New(typ).Interface()
	wantErr := m.FromNative(native, want)

	got := out // not zero: DecodeBinary must reset it
	rest, err := m.DecodeBinary(in, got)
	if wantErr != nil {
		require.EqualError(t, err, wantErr.Error())
		return nil
	}
	require.NoError(t, err)
	require.Equal(t, restRef, rest)
	require.Equal(t, trailer, rest)
	require.Equal(t, want, got)

	// The result does not share memory with the input.
	for i := range in {
		in[i] = 0xff
	}
	require.Equal(t, want, got)
	return got
}

type binCase struct {
	name   string
	schema string
	opts   []Option
	in     any        // what is written: a pointer, or a struct value
	into   func() any // a pointer to decode into; nil: a new value of in's type
	want   any        // what decoding gives, nil: in (as a pointer)
}

func binCases() []binCase {
	at := ms("2026-03-01T09:59:59.999Z")
	before := ms("1969-07-20T20:17:40.123Z")
	order := fullOrder()
	note := "fragile"
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
	type Money struct {
		Cents int64 `json:"cents"`
	}
	type Inner struct {
		M    *Money `json:"m"`
		Kind string `json:"kind"`
	}
	type Dotted struct{}
	type Outer struct {
		Price  Money    `json:"price"`
		Again  Money    `json:"again"`
		Inner  Inner    `json:"inner"`
		Kinds  []string `json:"kinds"`
		Dotted Dotted   `json:"dotted"`
	}
	type Wrap struct {
		Data Event `json:"data"`
	}
	type LineOld struct {
		SKU string `json:"sku"`
		Qty int64  `json:"qty"`
	}
	oneTag := fullOrder()
	oneTag.Tags = map[string]string{"only": "one"}
	return []binCase{
		{name: "envelope, all fields set", schema: envelopeSchema, opts: envelopeOpts, in: &Envelope{
			Meta: Meta{EventID: "e-1", OccurredAt: at}, Trace: &Trace{TraceID: "t-1"}, Data: fullOrder()}},
		{name: "envelope, one map entry", schema: envelopeSchema, opts: envelopeOpts, in: &Envelope{
			Meta: Meta{EventID: "e-1", OccurredAt: before}, Data: oneTag}},
		{name: "envelope, optionals nil, zero time", schema: envelopeSchema, opts: envelopeOpts, in: &Envelope{
			Meta: Meta{EventID: "e-2"}, Data: OrderCreated{OrderID: "o-2", Status: StatusPending}}},
		{name: "envelope, other member registered as pointer", schema: envelopeSchema, opts: envelopeOpts, in: &Envelope{
			Meta: Meta{EventID: "e-3", OccurredAt: at}, Data: &OrderCancelled{OrderID: "o-1", Reason: "r", Was: StatusPending}}},
		{name: "envelope, nil interface", schema: envelopeSchema, opts: envelopeOpts, in: &Envelope{Meta: Meta{EventID: "e-4"}}},
		{name: "envelope, typed nil pointer in interface", schema: envelopeSchema, opts: envelopeOpts, in: &Envelope{
			Meta: Meta{EventID: "e-5"}, Data: (*OrderCancelled)(nil)}, want: &Envelope{Meta: Meta{EventID: "e-5"}}},
		{name: "envelope, pointer to a type registered as value", schema: envelopeSchema, opts: envelopeOpts, in: &Envelope{
			Meta: Meta{EventID: "e-6"}, Data: &order}, want: &Envelope{Meta: Meta{EventID: "e-6"}, Data: order}},
		{name: "envelope as a struct value", schema: envelopeSchema, opts: envelopeOpts, in: Envelope{
			Meta: Meta{EventID: "e-7", OccurredAt: at}, Data: &OrderCancelled{OrderID: "o", Was: StatusPaid}}},
		{name: "optional times and primitives, zero", schema: optionalSchema, in: &T{}},
		{name: "optional times and primitives, set", schema: optionalSchema, in: &T{
			At: &at, AtValue: at, Day: ms("2026-01-02T00:00:00Z"), Took: 1500 * time.Microsecond,
			Count: 7, N: -7, Name: "x", Labels: map[string]int64{"a": 1, "b": -2, "c": 1 << 50}, Small: 12}},
		{name: "optional times and primitives, before the epoch", schema: optionalSchema, in: &T{
			At: &before, AtValue: before, Day: ms("1969-12-31T00:00:00Z"), Took: -time.Second, Name: "", N: 1 << 30}},
		{name: "recursive record", schema: nodeSchema, in: &Node{Value: 1, Next: &Node{Value: 2, Next: &Node{Value: 3}}}},
		{name: "namespaces", schema: namespacesSchema, in: &Outer{Price: Money{100}, Again: Money{5},
			Inner: Inner{M: &Money{7}, Kind: "B"}, Kinds: []string{"A", "B"}}},
		{name: "interface field for a lone record", schema: loneRecordSchema, opts: envelopeOpts,
			in: &Wrap{Data: &OrderCancelled{OrderID: "o", Reason: "r", Was: StatusPaid}}},
		{name: "bench value", schema: benchSchema, in: benchValue()},
		{name: "schema defaults for missing Go fields", schema: itemV2, in: &LineOld{SKU: "A", Qty: 1},
			into: func() any { return &LineV2{} }, want: &LineV2{SKU: "A", Qty: 1}},
		{name: "evolution: v1 into v2 struct", schema: itemV1, in: &LineV1{SKU: "A", Qty: 3, Note: note, Legacy: "old"},
			into: func() any { return &LineV2{} }, want: &LineV2{SKU: "A", Qty: 3, Note: &note}},
		{name: "evolution: v2 into v1 struct skips new fields", schema: itemV2,
			in:   &LineV2{SKU: "B", Qty: 1 << 20, Note: &note, Price: 2.5, Tags: []string{"x", "y"}, Origin: &Origin{"eu"}},
			into: func() any { return &LineV1{} }, want: &LineV1{SKU: "B", Qty: 1 << 20, Note: note}},
		{name: "evolution: v2 null into v1 string is zero", schema: itemV2, in: &LineV2{SKU: "C"},
			into: func() any { return &LineV1{} }, want: &LineV1{SKU: "C"}},
		{name: "evolution: overflow into a narrower Go type", schema: itemV2, in: &LineV2{SKU: "A", Qty: 1 << 40},
			into: func() any { return &LineV1{} }},
	}
}

const optionalSchema = `{"type": "record", "name": "T", "fields": [
  {"name": "at", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
  {"name": "at_value", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
  {"name": "day", "type": {"type": "int", "logicalType": "date"}},
  {"name": "took", "type": {"type": "long", "logicalType": "time-micros"}},
  {"name": "count", "type": ["null", "long"]},
  {"name": "n", "type": "int"},
  {"name": "name", "type": ["string", "null"]},
  {"name": "labels", "type": ["null", {"type": "map", "values": "long"}]},
  {"name": "small", "type": "long"}
]}`

const nodeSchema = `{"type": "record", "name": "Node", "namespace": "t", "fields": [
  {"name": "value", "type": "long"},
  {"name": "next", "type": ["null", "Node"], "default": null}
]}`

const namespacesSchema = `{"type": "record", "name": "Outer", "namespace": "a.b", "fields": [
  {"name": "price", "type": {"type": "record", "name": "Money", "fields": [{"name": "cents", "type": "long"}]}},
  {"name": "again", "type": "Money"},
  {"name": "inner", "type": {"type": "record", "name": "Inner", "namespace": "x", "fields": [
    {"name": "m", "type": ["null", "a.b.Money"]},
    {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}}
  ]}},
  {"name": "kinds", "type": {"type": "array", "items": "x.Kind"}},
  {"name": "dotted", "type": {"type": "record", "name": "p.q.Dotted", "namespace": "ignored", "fields": []}}
]}`

const loneRecordSchema = `{"type": "record", "name": "Wrap", "namespace": "orderlog.events", "fields": [
  {"name": "data", "type": {"type": "record", "name": "OrderCancelled", "fields": [
    {"name": "order_id", "type": "string"}, {"name": "reason", "type": "string"},
    {"name": "was", "type": {"type": "enum", "name": "Status", "symbols": ["PENDING", "PAID"]}}]}}
]}`

func TestBinaryMatchesGoavro(t *testing.T) {
	for _, tc := range binCases() {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.schema, tc.opts...)
			require.NoError(t, err)
			codec, err := goavro.NewCodec(tc.schema)
			require.NoError(t, err)

			bin := requireSameBinary(t, m, codec, tc.in)

			var out any
			if tc.into != nil {
				out = tc.into()
			} else {
				typ := reflect.TypeOf(tc.in)
				if typ.Kind() == reflect.Pointer {
					typ = typ.Elem()
				}
				out = reflect.New(typ).Interface()
			}
			got := requireSameDecode(t, m, codec, bin, out)
			want := tc.want
			if want == nil {
				want = tc.in
				if reflect.TypeOf(want).Kind() != reflect.Pointer {
					p := reflect.New(reflect.TypeOf(want))
					p.Elem().Set(reflect.ValueOf(want))
					want = p.Interface()
				}
			}
			if got != nil {
				require.Equal(t, want, got)
			}
		})
	}
}

func TestDecodeBinaryEvolutionOverflowIsAnError(t *testing.T) {
	m, err := New(itemV2)
	require.NoError(t, err)
	bin, err := m.AppendBinary(nil, &LineV2{SKU: "A", Qty: 1 << 40})
	require.NoError(t, err)
	_, err = m.DecodeBinary(bin, &LineV1{})
	require.EqualError(t, err, "avrostruct: qty: 1099511627776 overflows Go int32")
}

// Every kind of value in a writer's field that today's Go type lacks is
// read past.
const skipSchema = `{"type": "record", "name": "W", "namespace": "s", "fields": [
  {"name": "a_null", "type": "null"},
  {"name": "a_bool", "type": "boolean"},
  {"name": "an_int", "type": "int"},
  {"name": "a_long", "type": "long"},
  {"name": "a_float", "type": "float"},
  {"name": "a_double", "type": "double"},
  {"name": "some_bytes", "type": "bytes"},
  {"name": "a_string", "type": "string"},
  {"name": "an_enum", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y", "Z"]}},
  {"name": "a_fixed", "type": {"type": "fixed", "name": "F", "size": 3}},
  {"name": "a_date", "type": {"type": "int", "logicalType": "date"}},
  {"name": "an_array", "type": {"type": "array", "items": {"type": "record", "name": "R", "fields": [
    {"name": "x", "type": ["null", "string", "R"]}]}}},
  {"name": "a_map", "type": {"type": "map", "values": {"type": "array", "items": "long"}}},
  {"name": "a_union", "type": ["null", "E", "F", {"type": "map", "values": "R"}]},
  {"name": "kept", "type": "string"}
]}`

type skipAll struct {
	ANull     *string          `json:"a_null"`
	ABool     bool             `json:"a_bool"`
	AnInt     int32            `json:"an_int"`
	ALong     int64            `json:"a_long"`
	AFloat    float32          `json:"a_float"`
	ADouble   float64          `json:"a_double"`
	SomeBytes []byte           `json:"some_bytes"`
	AString   string           `json:"a_string"`
	AnEnum    string           `json:"an_enum"`
	AFixed    [3]byte          `json:"a_fixed"`
	ADate     time.Time        `json:"a_date"`
	AnArray   []skipR          `json:"an_array"`
	AMap      map[string][]int `json:"a_map"`
	AUnion    map[string]skipR `json:"a_union"`
	Kept      string           `json:"kept"`
}

type skipR struct {
	X *skipR `json:"x"` // ["null", "string", "R"]: a string cannot be stored
}

type onlyKept struct {
	Kept string `json:"kept"`
}

func TestDecodeBinarySkipsEveryKindOfField(t *testing.T) {
	m, err := New(skipSchema)
	require.NoError(t, err)
	codec, err := goavro.NewCodec(skipSchema)
	require.NoError(t, err)
	native := map[string]any{
		"a_null": nil, "a_bool": true, "an_int": int32(-5), "a_long": int64(1 << 40),
		"a_float": float32(1.5), "a_double": 2.25, "some_bytes": []byte{0, 1, 2}, "a_string": "héllo",
		"an_enum": "Z", "a_fixed": []byte("abc"), "a_date": time.Unix(86400*3, 0).UTC(),
		"an_array": []any{
			map[string]any{"x": nil},
			map[string]any{"x": map[string]any{"string": "s"}},
			map[string]any{"x": map[string]any{"s.R": map[string]any{"x": map[string]any{"s.R": map[string]any{"x": nil}}}}},
		},
		"a_map":   map[string]any{"k": []any{int64(1), int64(2)}, "l": []any{}},
		"a_union": map[string]any{"map": map[string]any{"m": map[string]any{"x": nil}}},
		"kept":    "yes",
	}
	bin, err := codec.BinaryFromNative(nil, native)
	require.NoError(t, err)
	got := requireSameDecode(t, m, codec, bin, &onlyKept{Kept: "stale"})
	require.Equal(t, &onlyKept{Kept: "yes"}, got)

	// The same bytes into a Go type that has every field: FromNative and
	// DecodeBinary fail alike on the string member...
	require.Nil(t, requireSameDecode(t, m, codec, bin, &skipAll{}))
	_, err = m.DecodeBinary(bin, &skipAll{})
	require.EqualError(t, err, "avrostruct: an_array[1].x: union member string of union [null, string, s.R] cannot be stored in Go type *avrostruct.skipR")
	// ...and agree without it.
	native["an_array"] = []any{native["an_array"].([]any)[0], native["an_array"].([]any)[2]}
	bin, err = codec.BinaryFromNative(nil, native)
	require.NoError(t, err)
	all := requireSameDecode(t, m, codec, bin, &skipAll{}).(*skipAll)
	require.Equal(t, "yes", all.Kept)
	require.Equal(t, map[string]skipR{"m": {}}, all.AUnion)

	// Blocks with a negative count (and a byte size) and several blocks.
	arr, err := New(`{"type": "record", "name": "A", "fields": [
	  {"name": "skipped", "type": {"type": "array", "items": "string"}},
	  {"name": "items", "type": {"type": "array", "items": "string"}},
	  {"name": "m", "type": {"type": "map", "values": "long"}}]}`)
	require.NoError(t, err)
	type A struct {
		Items []string         `json:"items"`
		M     map[string]int64 `json:"m"`
	}
	// skipped: block of -2 items of 4 bytes, then 1 item, then end.
	in := []byte{3, 8, 2, 'a', 2, 'b', 2, 2, 'c', 0}
	// items: same shape.
	in = append(in, 3, 8, 2, 'a', 2, 'b', 2, 2, 'c', 0)
	// m: {"x": 1} then {"y": 2} in two blocks.
	in = append(in, 2, 2, 'x', 2, 2, 2, 'y', 4, 0)
	var a A
	rest, err := arr.DecodeBinary(in, &a)
	require.NoError(t, err)
	require.Empty(t, rest)
	require.Equal(t, A{Items: []string{"a", "b", "c"}, M: map[string]int64{"x": 1, "y": 2}}, a)
}

func TestAppendBinaryErrorsLikeToNative(t *testing.T) {
	// TestToNativeErrors runs both; here what is particular to binary.
	m, err := New(`{"type": "record", "name": "R", "fields": [
	  {"name": "took", "type": {"type": "int", "logicalType": "time-millis"}}]}`)
	require.NoError(t, err)
	type R struct {
		Took time.Duration `json:"took"`
	}
	dst := []byte("keep")
	out, err := m.AppendBinary(dst, &R{Took: 30 * 24 * time.Hour})
	require.EqualError(t, err, "avrostruct: took: 720h0m0s overflows avro int time-millis")
	require.Equal(t, []byte("keep"), out, "dst is returned unchanged")
	_, err = m.AppendBinary(nil, nil)
	require.EqualError(t, err, "avrostruct: AppendBinary of nil")

	codec, err := goavro.NewCodec(`{"type": "record", "name": "R", "fields": [
	  {"name": "took", "type": {"type": "int", "logicalType": "time-millis"}}]}`)
	require.NoError(t, err)
	requireSameBinary(t, m, codec, &R{Took: -20 * 24 * time.Hour})
}

func TestDecodeBinaryErrors(t *testing.T) {
	m, err := New(envelopeSchema, envelopeOpts...)
	require.NoError(t, err)
	good, err := m.AppendBinary(nil, &Envelope{Meta: Meta{EventID: "e-1", OccurredAt: ms("2026-03-01T09:59:59.999Z")},
		Trace: &Trace{TraceID: "t-1"}, Data: fullOrder()})
	require.NoError(t, err)

	// Every truncation is an error naming where it stopped, never a panic.
	for i := range len(good) {
		var e Envelope
		_, err := m.DecodeBinary(good[:i], &e)
		require.Error(t, err, "prefix of %d bytes", i)
		require.True(t, strings.HasPrefix(err.Error(), "avrostruct: "), err.Error())
	}
	_, err = m.DecodeBinary(good[:len(good)-1], &Envelope{})
	require.EqualError(t, err, "avrostruct: data.blob: length 5 of bytes exceeds the 4 bytes left")
	_, err = m.DecodeBinary(good[:20], &Envelope{})
	require.Regexp(t, `^avrostruct: data\.customer\.\w+`, err.Error())

	cases := []struct {
		name, schema string
		in           []byte
		out          any
		wantErr      string
	}{
		{"not a pointer", `"long"`, []byte{2}, int64(0), "avrostruct: DecodeBinary needs a non-nil pointer, got int64"},
		{"bad boolean", `"boolean"`, []byte{2}, new(bool), "avrostruct: boolean byte 2 is neither 0 nor 1"},
		{"enum index", `{"type": "enum", "name": "E", "symbols": ["A"]}`, []byte{2}, new(string), "avrostruct: index 1 out of range for enum E"},
		{"union index", `["null", "long"]`, []byte{4}, new(*int64), "avrostruct: index 2 out of range for union [null, long]"},
		{"negative union index", `["null", "long"]`, []byte{1}, new(*int64), "avrostruct: index -1 out of range for union [null, long]"},
		{"negative length", `"string"`, []byte{1}, new(string), "avrostruct: negative length -1 of string"},
		{"length past the end", `"bytes"`, []byte{20, 1, 2}, new([]byte), "avrostruct: length 10 of bytes exceeds the 2 bytes left"},
		{"huge array count", `{"type": "array", "items": "long"}`, []byte{0xfe, 0xff, 0xff, 0xff, 0x0f, 2}, new([]int64),
			"avrostruct: block of 2147483647 items exceeds the 1 bytes left"},
		{"huge array of nulls", `{"type": "array", "items": "null"}`, []byte{0xfe, 0xff, 0xff, 0xff, 0x0f}, new([]*int),
			"avrostruct: more than 65536 items that encode to zero bytes"},
		{"duplicate map key", `{"type": "map", "values": "long"}`, []byte{4, 2, 'k', 2, 2, 'k', 4, 0}, new(map[string]int64),
			`avrostruct: ["k"]: duplicate map key`},
		{"duplicate string map key", `{"type": "map", "values": "string"}`, []byte{4, 2, 'k', 0, 2, 'k', 0, 0}, new(map[string]string),
			`avrostruct: ["k"]: duplicate map key`},
		{"string map value past the end", `{"type": "map", "values": "string"}`, []byte{2, 2, 'k', 8, 'v'}, new(map[string]string),
			`avrostruct: ["k"]: length 4 of string exceeds the 1 bytes left`},
		{"map item error", `{"type": "map", "values": "boolean"}`, []byte{2, 2, 'k', 7, 0}, new(map[string]bool),
			`avrostruct: ["k"]: boolean byte 7 is neither 0 nor 1`},
		{"array item error", `{"type": "array", "items": "boolean"}`, []byte{4, 1, 9, 0}, new([]bool),
			`avrostruct: [1]: boolean byte 9 is neither 0 nor 1`},
		{"overlong varint", `"long"`, bytes.Repeat([]byte{0x80}, 11), new(int64), "avrostruct: varint overflows a long"},
		{"int out of range", `"int"`, []byte{0x80, 0x80, 0x80, 0x80, 0x10}, new(int32), "avrostruct: 2147483648 overflows avro int"},
		{"Go type too small", `"long"`, []byte{0x80, 0x04}, new(int8), "avrostruct: 256 overflows Go int8"},
		{"negative into unsigned", `"long"`, []byte{1}, new(uint), "avrostruct: -1 overflows Go uint"},
		{"union member not storable", `["null", "string", "long"]`, []byte{4, 2}, new(string),
			"avrostruct: union member long of union [null, string, long] cannot be stored in Go type string"},
		{"unregistered member", envelopeSchema, append([]byte{0, 0}, 0, 2, 0), &Envelope{},
			"avrostruct: data: no Go type registered for union member orderlog.events.OrderCancelled of union [orderlog.events.OrderCreated, orderlog.events.OrderCancelled, null] (use avrostruct.WithUnionType)"},
		{"skipped map duplicate", `{"type": "record", "name": "R", "fields": [{"name": "m", "type": {"type": "map", "values": "null"}}]}`,
			[]byte{4, 2, 'k', 2, 'k', 0}, &struct{}{}, `avrostruct: m: duplicate map key "k"`},
		{"too deep", `{"type": "record", "name": "R", "fields": [{"name": "r", "type": "R"}]}`, nil, &deep{},
			"avrostruct: " + strings.Repeat("r.", maxDepth)[:2*maxDepth-1] + ": records nested deeper than 10000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := []Option(nil)
			if tc.schema == envelopeSchema {
				opts = envelopeOpts[:1]
			}
			m, err := New(tc.schema, opts...)
			require.NoError(t, err)
			rest, err := m.DecodeBinary(tc.in, tc.out)
			require.EqualError(t, err, tc.wantErr)
			require.Nil(t, rest)
		})
	}
}

// deep is a Go type for a record that contains itself: its values are
// infinite, so any input is too deep.
type deep struct {
	R *deep `json:"r"`
}

func TestBinaryConcurrentUse(t *testing.T) {
	m, err := New(envelopeSchema, envelopeOpts...)
	require.NoError(t, err)
	in := Envelope{Meta: Meta{EventID: "e", OccurredAt: time.UnixMilli(1234).UTC()}, Data: fullOrder()}
	done := make(chan error)
	for range 8 {
		go func() {
			var buf []byte
			for range 50 {
				var err error
				if buf, err = m.AppendBinary(buf[:0], &in); err != nil {
					done <- err
					return
				}
				var out Envelope
				if _, err := m.DecodeBinary(buf, &out); err != nil {
					done <- err
					return
				}
				if !reflect.DeepEqual(in, out) {
					done <- errorf("decoded %+v", out)
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		require.NoError(t, <-done)
	}
}
