package avrostruct

import (
	"reflect"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/stretchr/testify/require"
)

// The test domain: plain structs with json tags, as the real domain has.

type Status string

const (
	StatusPending Status = "PENDING"
	StatusPaid    Status = "PAID"
)

type Meta struct {
	EventID    string    `json:"event_id"`
	OccurredAt time.Time `json:"occurred_at"`
}

type Trace struct {
	TraceID string `json:"trace_id,omitempty"`
}

type Envelope struct {
	Meta
	*Trace
	Data Event `json:"data"`
}

type Event interface{ isEvent() }

type Customer struct {
	ID    string `json:"id"`
	Email string `json:"email,omitempty"` // ["null","string"]: "" is null
}

type Address struct {
	Street string `json:"street"`
	City   string `json:"city"`
}

type Item struct {
	SKU       string  `json:"sku"`
	Quantity  int64   `json:"quantity"`
	UnitPrice float64 `json:"unit_price"`
}

type OrderCreated struct {
	OrderID   string            `json:"order_id"`
	Customer  Customer          `json:"customer"`
	Status    Status            `json:"status"`
	Items     []Item            `json:"items"`
	Tags      map[string]string `json:"tags,omitempty"`
	ShipTo    *Address          `json:"ship_to,omitempty"`
	PaidAt    *time.Time        `json:"paid_at,omitempty"`
	Discounts []int64           `json:"discounts,omitempty"` // ["null", array]
	Priority  int32             `json:"priority"`
	Weight    float32           `json:"weight"`
	Gift      bool              `json:"gift"`
	Seq       uint32            `json:"seq"`
	Checksum  [4]byte           `json:"checksum"`
	Blob      []byte            `json:"blob"`
	Internal  string            `json:"-"`
}

func (OrderCreated) isEvent() {}

type OrderCancelled struct {
	OrderID string `json:"order_id"`
	Reason  string `avro:"reason" json:"why"` // avro tag wins
	Was     Status `json:"was"`
}

func (*OrderCancelled) isEvent() {}

const envelopeSchema = `{
  "type": "record", "name": "Envelope", "namespace": "orderlog.events",
  "fields": [
    {"name": "event_id", "type": "string"},
    {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "trace_id", "type": ["null", "string"], "default": null},
    {"name": "data", "type": [
      {"type": "record", "name": "OrderCreated", "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "customer", "type": {"type": "record", "name": "Customer", "namespace": "orderlog.common", "fields": [
          {"name": "id", "type": "string"},
          {"name": "email", "type": ["null", "string"], "default": null}
        ]}},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["PENDING", "PAID", "SHIPPED"]}},
        {"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "Item", "fields": [
          {"name": "sku", "type": "string"},
          {"name": "quantity", "type": "long"},
          {"name": "unit_price", "type": "double"}
        ]}}},
        {"name": "tags", "type": {"type": "map", "values": "string"}},
        {"name": "ship_to", "type": ["null", {"type": "record", "name": "Address", "fields": [
          {"name": "street", "type": "string"}, {"name": "city", "type": "string"}]}], "default": null},
        {"name": "paid_at", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}], "default": null},
        {"name": "discounts", "type": ["null", {"type": "array", "items": "long"}], "default": null},
        {"name": "priority", "type": "int"},
        {"name": "weight", "type": "float"},
        {"name": "gift", "type": "boolean"},
        {"name": "seq", "type": "long"},
        {"name": "checksum", "type": {"type": "fixed", "name": "Checksum", "size": 4}},
        {"name": "blob", "type": "bytes"}
      ]},
      {"type": "record", "name": "OrderCancelled", "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "reason", "type": "string"},
        {"name": "was", "type": "Status"}
      ]},
      "null"
    ]}
  ]
}`

var envelopeOpts = []Option{
	WithUnionType("orderlog.events.OrderCreated", OrderCreated{}),
	WithUnionType("orderlog.events.OrderCancelled", &OrderCancelled{}),
}

// roundTrip sends v (a pointer) through ToNative, a real goavro codec and
// FromNative, and returns the decoded value (a pointer of the same type).
func roundTrip(t *testing.T, m *Mapper, codec *goavro.Codec, v any) any {
	t.Helper()
	native, err := m.ToNative(v)
	require.NoError(t, err)
	bin, err := codec.BinaryFromNative(nil, native)
	require.NoError(t, err)
	decoded, rest, err := codec.NativeFromBinary(bin)
	require.NoError(t, err)
	require.Empty(t, rest)
	out := reflect.New(reflect.TypeOf(v).Elem()).Interface()
	require.NoError(t, m.FromNative(decoded, out))
	return out
}

func ms(s string) time.Time {
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return tm.UTC()
}

func fullOrder() OrderCreated {
	paid := ms("2026-03-01T10:00:00.123456Z")
	return OrderCreated{
		OrderID:  "o-1",
		Customer: Customer{ID: "c-1", Email: "a@example.com"},
		Status:   StatusPaid,
		Items: []Item{
			{SKU: "A", Quantity: 2, UnitPrice: 9.5},
			{SKU: "B", Quantity: 1 << 40, UnitPrice: 0.25},
			{SKU: "C", Quantity: -1, UnitPrice: 0},
		},
		Tags:      map[string]string{"channel": "web", "region": "eu"},
		ShipTo:    &Address{Street: "1 Main St", City: "Springfield"},
		PaidAt:    &paid,
		Discounts: []int64{5, 10},
		Priority:  -3,
		Weight:    1.5,
		Gift:      true,
		Seq:       4_000_000_000,
		Checksum:  [4]byte{1, 2, 3, 4},
		Blob:      []byte("hello"),
	}
}

func TestRoundTrip(t *testing.T) {
	m, err := New(envelopeSchema, envelopeOpts...)
	require.NoError(t, err)
	codec, err := goavro.NewCodec(envelopeSchema)
	require.NoError(t, err)

	at := ms("2026-03-01T09:59:59.999Z")
	empty := OrderCreated{OrderID: "o-2", Status: StatusPending}
	cases := []struct {
		name string
		in   Envelope
	}{
		{"all fields set, embedded pointer set", Envelope{
			Meta:  Meta{EventID: "e-1", OccurredAt: at},
			Trace: &Trace{TraceID: "t-1"},
			Data:  fullOrder(),
		}},
		{"optionals nil, zero time", Envelope{
			Meta: Meta{EventID: "e-2"},
			Data: empty,
		}},
		{"other union member, registered as pointer", Envelope{
			Meta: Meta{EventID: "e-3", OccurredAt: at},
			Data: &OrderCancelled{OrderID: "o-1", Reason: "changed mind", Was: StatusPending},
		}},
		{"nil interface is null", Envelope{Meta: Meta{EventID: "e-4", OccurredAt: at}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := roundTrip(t, m, codec, &tc.in)
			require.Equal(t, &tc.in, out)
		})
	}
}

func TestRoundTripAcceptsValueOrPointer(t *testing.T) {
	m, err := New(envelopeSchema, envelopeOpts...)
	require.NoError(t, err)
	codec, err := goavro.NewCodec(envelopeSchema)
	require.NoError(t, err)

	// OrderCreated was registered as a value; a *OrderCreated is accepted
	// too, and comes back as the registered value type.
	order := fullOrder()
	in := Envelope{Meta: Meta{EventID: "e"}, Data: &order}
	out := roundTrip(t, m, codec, &in).(*Envelope)
	require.Equal(t, order, out.Data)

	// A struct value (not a pointer) is accepted at the top level.
	native, err := m.ToNative(in)
	require.NoError(t, err)
	_, err = codec.BinaryFromNative(nil, native)
	require.NoError(t, err)
}

func TestToNativeShape(t *testing.T) {
	m, err := New(envelopeSchema, envelopeOpts...)
	require.NoError(t, err)

	order := fullOrder()
	native, err := m.ToNative(&Envelope{Meta: Meta{EventID: "e"}, Data: order})
	require.NoError(t, err)
	env := native.(map[string]any)
	require.Equal(t, time.Unix(0, 0).UTC(), env["occurred_at"], "zero time.Time is the epoch")
	require.Nil(t, env["trace_id"], "nil embedded pointer: its fields are zero, and \"\" is null")
	data := env["data"].(map[string]any)["orderlog.events.OrderCreated"].(map[string]any)
	require.Equal(t, "PAID", data["status"])
	require.Equal(t, map[string]any{"id": "c-1", "email": map[string]any{"string": "a@example.com"}}, data["customer"])
	require.Equal(t, map[string]any{"long.timestamp-micros": *order.PaidAt}, data["paid_at"])
	require.Equal(t, map[string]any{"array": []any{int64(5), int64(10)}}, data["discounts"])
	require.Equal(t, map[string]any{"orderlog.events.Address": map[string]any{"street": "1 Main St", "city": "Springfield"}}, data["ship_to"])
	require.Equal(t, int32(-3), data["priority"])
	require.Equal(t, float32(1.5), data["weight"])
	require.Equal(t, int64(4_000_000_000), data["seq"])
	require.Equal(t, []byte{1, 2, 3, 4}, data["checksum"])
	require.Equal(t, map[string]any{"channel": "web", "region": "eu"}, data["tags"])
	require.NotContains(t, data, "Internal")
}

func TestOptionalTimeAndPrimitives(t *testing.T) {
	const schema = `{"type": "record", "name": "T", "fields": [
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
	type T struct {
		At      *time.Time       `json:"at"`
		AtValue time.Time        `json:"at_value"` // zero is null
		Day     time.Time        `json:"day"`
		Took    time.Duration    `json:"took"`
		Count   int              `json:"count"` // zero is null
		N       int              `json:"n"`
		Name    string           `json:"name"`
		Labels  map[string]int64 `json:"labels"`
		Small   int32            `json:"small"`
	}
	m, err := New(schema)
	require.NoError(t, err)
	codec, err := goavro.NewCodec(schema)
	require.NoError(t, err)

	at := ms("2025-12-31T23:59:59.5Z")
	for _, in := range []T{
		{},
		{At: &at, AtValue: at, Day: ms("2026-01-02T00:00:00Z"), Took: 1500 * time.Microsecond,
			Count: 7, N: -7, Name: "x", Labels: map[string]int64{"a": 1}, Small: 12},
	} {
		out := roundTrip(t, m, codec, &in)
		require.Equal(t, &in, out)
	}

	native, err := m.ToNative(T{Name: "x"})
	require.NoError(t, err)
	r := native.(map[string]any)
	require.Nil(t, r["at"])
	require.Nil(t, r["at_value"])
	require.Nil(t, r["count"])
	require.Nil(t, r["labels"])
	require.Equal(t, map[string]any{"string": "x"}, r["name"])
}

func TestRecursiveRecord(t *testing.T) {
	const schema = `{"type": "record", "name": "Node", "namespace": "t", "fields": [
	  {"name": "value", "type": "long"},
	  {"name": "next", "type": ["null", "Node"], "default": null}
	]}`
	type Node struct {
		Value int64 `json:"value"`
		Next  *Node `json:"next"`
	}
	m, err := New(schema)
	require.NoError(t, err)
	codec, err := goavro.NewCodec(schema)
	require.NoError(t, err)
	in := &Node{Value: 1, Next: &Node{Value: 2, Next: &Node{Value: 3}}}
	require.Equal(t, in, roundTrip(t, m, codec, in))
}

func TestNamespaces(t *testing.T) {
	// "Money" is defined in namespace a.b and referenced by its short name
	// inside a.b, and by its full name from inside namespace x.
	const schema = `{"type": "record", "name": "Outer", "namespace": "a.b", "fields": [
	  {"name": "price", "type": {"type": "record", "name": "Money", "fields": [{"name": "cents", "type": "long"}]}},
	  {"name": "again", "type": "Money"},
	  {"name": "inner", "type": {"type": "record", "name": "Inner", "namespace": "x", "fields": [
	    {"name": "m", "type": ["null", "a.b.Money"]},
	    {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}}
	  ]}},
	  {"name": "kinds", "type": {"type": "array", "items": "x.Kind"}},
	  {"name": "dotted", "type": {"type": "record", "name": "p.q.Dotted", "namespace": "ignored", "fields": []}}
	]}`
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
	m, err := New(schema)
	require.NoError(t, err)
	codec, err := goavro.NewCodec(schema)
	require.NoError(t, err)
	in := &Outer{Price: Money{100}, Again: Money{5}, Inner: Inner{M: &Money{7}, Kind: "B"}, Kinds: []string{"A", "B"}}
	require.Equal(t, in, roundTrip(t, m, codec, in))

	native, err := m.ToNative(in)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"a.b.Money": map[string]any{"cents": int64(7)}},
		native.(map[string]any)["inner"].(map[string]any)["m"])
}

func TestInterfaceFieldForALoneRecord(t *testing.T) {
	// Not a union: the field's schema is one record, the Go field an
	// interface; the registry still says which Go type it is.
	const schema = `{"type": "record", "name": "Wrap", "namespace": "orderlog.events", "fields": [
	  {"name": "data", "type": {"type": "record", "name": "OrderCancelled", "fields": [
	    {"name": "order_id", "type": "string"}, {"name": "reason", "type": "string"},
	    {"name": "was", "type": {"type": "enum", "name": "Status", "symbols": ["PENDING", "PAID"]}}]}}
	]}`
	type Wrap struct {
		Data Event `json:"data"`
	}
	m, err := New(schema, envelopeOpts...) // OrderCreated is not in this schema: ignored
	require.NoError(t, err)
	codec, err := goavro.NewCodec(schema)
	require.NoError(t, err)
	in := &Wrap{Data: &OrderCancelled{OrderID: "o", Reason: "r", Was: StatusPaid}}
	require.Equal(t, in, roundTrip(t, m, codec, in))

	_, err = m.ToNative(&Wrap{})
	require.EqualError(t, err, "avrostruct: data: nil avrostruct.Event for avro record orderlog.events.OrderCancelled, which has no null")
}
