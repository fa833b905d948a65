package avrostruct

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const orderSchema = `{"type": "record", "name": "Order", "namespace": "t", "fields": [
  {"name": "id", "type": "string"},
  {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["PENDING", "PAID"]}},
  {"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "Item", "fields": [
    {"name": "sku", "type": "string"}, {"name": "quantity", "type": "long"}]}}},
  {"name": "count", "type": "int"}
]}`

type errItem struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

type errOrder struct {
	ID     string    `json:"id"`
	Status Status    `json:"status"`
	Items  []errItem `json:"items"`
	Count  int       `json:"count"`
}

type errOrderMissing struct {
	ID     string    `json:"id"`
	Status Status    `json:"status"`
	Items  []errItem `json:"items"`
}

type errOrderExtra struct {
	errOrder
	Extra string `json:"extra,omitempty"`
}

type errItemWrongType struct {
	SKU      string `json:"sku"`
	Quantity string `json:"quantity"`
}

type errOrderWrongType struct {
	ID     string             `json:"id"`
	Status Status             `json:"status"`
	Items  []errItemWrongType `json:"items"`
	Count  int                `json:"count"`
}

type unregistered struct {
	OrderID string `json:"order_id"`
}

func (unregistered) isEvent() {}

func TestToNativeErrors(t *testing.T) {
	ok := errOrder{ID: "o", Status: StatusPaid, Items: []errItem{{"a", 1}}}
	cases := []struct {
		name    string
		schema  string
		opts    []Option
		in      any
		wantErr string
	}{
		{"schema field without Go field", orderSchema, nil, &errOrderMissing{},
			`avrostruct: record t.Order field "count" has no Go field in avrostruct.errOrderMissing (add a field tagged ` + "`json:\"count\"`" + ` or give the schema field a default)`},
		{"Go field not in schema", orderSchema, nil, &errOrderExtra{errOrder: ok},
			`avrostruct: Go field avrostruct.errOrderExtra.Extra ("extra") has no field in record t.Order (add it to the schema or tag the Go field ` + "`avro:\"-\"`)"},
		{"bad enum symbol", orderSchema, nil, &errOrder{ID: "o", Status: "LOST"},
			`avrostruct: status: "LOST" is not a symbol of enum t.Status (want one of PENDING, PAID)`},
		{"Go type cannot hold the schema type", orderSchema, nil, &errOrderWrongType{},
			`avrostruct: items[].quantity: avro long cannot be mapped to Go type string`},
		{"int overflow", orderSchema, nil, &errOrder{ID: "o", Status: StatusPaid, Count: 1 << 40},
			`avrostruct: count: 1099511627776 overflows avro int`},
		{"unregistered union type", envelopeSchema, envelopeOpts, &Envelope{Data: unregistered{}},
			`avrostruct: data: Go type avrostruct.unregistered is not registered for union [orderlog.events.OrderCreated, orderlog.events.OrderCancelled, null] (use avrostruct.WithUnionType)`},
		{"nil pointer for a non-nullable record", `{"type": "record", "name": "R", "fields": [{"name": "c", "type": ` +
			`{"type": "record", "name": "C", "fields": []}}]}`, nil, &struct {
			C *struct{} `json:"c"`
		}{}, `avrostruct: c: nil *struct {} for non-nullable avro record C`},
		{"fixed of the wrong length", `{"type": "fixed", "name": "F", "size": 2}`, nil, []byte{1, 2, 3},
			`avrostruct: 3 bytes for fixed F(2)`},
		{"error inside an array element", `{"type": "array", "items": {"type": "enum", "name": "S", "symbols": ["A"]}}`, nil,
			[]Status{"A", "B"}, `avrostruct: [1]: "B" is not a symbol of enum S (want one of A)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.schema, tc.opts...)
			require.NoError(t, err)
			_, err = m.ToNative(tc.in)
			require.EqualError(t, err, tc.wantErr)
			// Failures are not cached as half-built plans: the same call fails the same way.
			_, err = m.ToNative(tc.in)
			require.EqualError(t, err, tc.wantErr)
			// The binary encoder is compiled with ToNative's plan and fails alike.
			_, err = m.AppendBinary(nil, tc.in)
			require.EqualError(t, err, tc.wantErr)
		})
	}
}

func TestFromNativeErrors(t *testing.T) {
	items := []any{
		map[string]any{"sku": "a", "quantity": int64(1)},
		map[string]any{"sku": "b", "quantity": int64(2)},
		map[string]any{"sku": "c", "quantity": "three"},
	}
	cases := []struct {
		name    string
		schema  string
		opts    []Option
		native  any
		out     any
		wantErr string
	}{
		{"type mismatch names the path", `{"type": "record", "name": "E", "fields": [{"name": "data", "type": ` + orderSchema + `}]}`, nil,
			map[string]any{"data": map[string]any{"id": "o", "items": items}},
			&struct {
				Data errOrder `json:"data"`
			}{},
			`avrostruct: data.items[2].quantity: want long, got string`},
		{"not a record", orderSchema, nil, []any{}, &errOrder{}, `avrostruct: want record t.Order, got array`},
		{"map value", `{"type": "map", "values": "long"}`, nil, map[string]any{"k": true}, &map[string]int{},
			`avrostruct: ["k"]: want long, got boolean`},
		{"unregistered union member", envelopeSchema, envelopeOpts[:1],
			map[string]any{"data": map[string]any{"orderlog.events.OrderCancelled": map[string]any{}}}, &Envelope{},
			`avrostruct: data: no Go type registered for union member orderlog.events.OrderCancelled of union [orderlog.events.OrderCreated, orderlog.events.OrderCancelled, null] (use avrostruct.WithUnionType)`},
		{"unknown union member", envelopeSchema, envelopeOpts,
			map[string]any{"data": map[string]any{"x.Y": map[string]any{}}}, &Envelope{},
			`avrostruct: data: "x.Y" is not a member of union [orderlog.events.OrderCreated, orderlog.events.OrderCancelled, null]`},
		{"not a pointer", orderSchema, nil, map[string]any{}, errOrder{}, `avrostruct: FromNative needs a non-nil pointer, got avrostruct.errOrder`},
		{"Go type cannot hold the schema type", orderSchema, nil, map[string]any{}, &errOrderWrongType{},
			`avrostruct: items[].quantity: avro long cannot be mapped to Go type string`},
		{"registered type does not implement the interface", envelopeSchema,
			[]Option{WithUnionType("orderlog.events.OrderCancelled", OrderCancelled{})}, map[string]any{}, &Envelope{},
			`avrostruct: data: Go type avrostruct.OrderCancelled registered for orderlog.events.OrderCancelled does not implement avrostruct.Event`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.schema, tc.opts...)
			require.NoError(t, err)
			require.EqualError(t, m.FromNative(tc.native, tc.out), tc.wantErr)
		})
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name    string
		schema  string
		opts    []Option
		wantErr string
	}{
		{"bad JSON", `{`, nil, "avrostruct: schema is not valid JSON: unexpected EOF"},
		{"unknown name", `{"type": "record", "name": "R", "fields": [{"name": "a", "type": "Nope"}]}`, nil,
			`avrostruct: schema: record R field "a": unknown type name "Nope"`},
		{"bad default", `{"type": "record", "name": "R", "fields": [{"name": "a", "type": "long", "default": "x"}]}`, nil,
			`avrostruct: schema: default of field "a": x is not a valid default for long`},
		{"duplicate registration", `"string"`, []Option{WithUnionType("a.B", OrderCreated{}), WithUnionType("a.C", &OrderCreated{})},
			`avrostruct: WithUnionType: Go type avrostruct.OrderCreated registered for both "a.B" and "a.C"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.schema, tc.opts...)
			require.EqualError(t, err, tc.wantErr)
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	m, err := New(envelopeSchema, envelopeOpts...)
	require.NoError(t, err)
	in := Envelope{Meta: Meta{EventID: "e", OccurredAt: time.UnixMilli(1234).UTC()}, Data: fullOrder()}
	done := make(chan error)
	for range 8 {
		go func() {
			for range 50 {
				native, err := m.ToNative(&in)
				if err != nil {
					done <- err
					return
				}
				var out Envelope
				if err := m.FromNative(native, &out); err != nil {
					done <- err
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
