package avrostruct

import (
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/stretchr/testify/require"
)

// A record of 15 fields, one of them an array of 3 records, as a typical
// event payload.
const benchSchema = `{"type": "record", "name": "Placed", "namespace": "bench", "fields": [
  {"name": "order_id", "type": "string"},
  {"name": "customer_id", "type": "string"},
  {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["PENDING", "PAID", "SHIPPED"]}},
  {"name": "placed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
  {"name": "paid_at", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}], "default": null},
  {"name": "total_cents", "type": "long"},
  {"name": "currency", "type": "string"},
  {"name": "item_count", "type": "int"},
  {"name": "gift", "type": "boolean"},
  {"name": "note", "type": ["null", "string"], "default": null},
  {"name": "coupon", "type": ["null", "string"], "default": null},
  {"name": "weight", "type": "double"},
  {"name": "version", "type": "long"},
  {"name": "region", "type": "string"},
  {"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "Line", "fields": [
    {"name": "sku", "type": "string"},
    {"name": "quantity", "type": "long"},
    {"name": "unit_cents", "type": "long"}
  ]}}}
]}`

type benchLine struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitCents int64  `json:"unit_cents"`
}

type benchPlaced struct {
	OrderID    string      `json:"order_id"`
	CustomerID string      `json:"customer_id"`
	Status     Status      `json:"status"`
	PlacedAt   time.Time   `json:"placed_at"`
	PaidAt     *time.Time  `json:"paid_at,omitempty"`
	TotalCents int64       `json:"total_cents"`
	Currency   string      `json:"currency"`
	ItemCount  int32       `json:"item_count"`
	Gift       bool        `json:"gift"`
	Note       *string     `json:"note,omitempty"`
	Coupon     string      `json:"coupon,omitempty"`
	Weight     float64     `json:"weight"`
	Version    int64       `json:"version"`
	Region     string      `json:"region"`
	Items      []benchLine `json:"items"`
}

func benchValue() *benchPlaced {
	placed := time.UnixMilli(1_770_000_000_000).UTC()
	paid := placed.Add(time.Minute)
	note := "leave at the door"
	return &benchPlaced{
		OrderID: "ord-000123", CustomerID: "cus-42", Status: StatusPaid,
		PlacedAt: placed, PaidAt: &paid, TotalCents: 123_456, Currency: "EUR",
		ItemCount: 3, Gift: true, Note: &note, Coupon: "SPRING", Weight: 2.75,
		Version: 7, Region: "eu-west",
		Items: []benchLine{{"A-1", 1, 1000}, {"B-2", 2, 5000}, {"C-3", 3, 100_000}},
	}
}

func BenchmarkToNative(b *testing.B) {
	m, err := New(benchSchema)
	require.NoError(b, err)
	v := benchValue()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.ToNative(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromNative(b *testing.B) {
	m, err := New(benchSchema)
	require.NoError(b, err)
	native, err := m.ToNative(benchValue())
	require.NoError(b, err)
	var out benchPlaced
	b.ReportAllocs()
	for b.Loop() {
		if err := m.FromNative(native, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchValueRoundTrips(t *testing.T) {
	m, err := New(benchSchema)
	require.NoError(t, err)
	native, err := m.ToNative(benchValue())
	require.NoError(t, err)
	var out benchPlaced
	require.NoError(t, m.FromNative(native, &out))
	require.Equal(t, benchValue(), &out)
}

// The old path, for the ratio: ToNative then goavro's encoder, and goavro's
// decoder then FromNative.
func BenchmarkToNativeAndGoavro(b *testing.B) {
	m, err := New(benchSchema)
	require.NoError(b, err)
	codec, err := goavro.NewCodec(benchSchema)
	require.NoError(b, err)
	v := benchValue()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		native, err := m.ToNative(v)
		if err != nil {
			b.Fatal(err)
		}
		if buf, err = codec.BinaryFromNative(buf[:0], native); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoavroAndFromNative(b *testing.B) {
	m, err := New(benchSchema)
	require.NoError(b, err)
	codec, err := goavro.NewCodec(benchSchema)
	require.NoError(b, err)
	bin, err := m.AppendBinary(nil, benchValue())
	require.NoError(b, err)
	var out benchPlaced
	b.ReportAllocs()
	for b.Loop() {
		native, _, err := codec.NativeFromBinary(bin)
		if err != nil {
			b.Fatal(err)
		}
		if err := m.FromNative(native, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendBinary(b *testing.B) {
	m, err := New(benchSchema)
	require.NoError(b, err)
	v := benchValue()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = m.AppendBinary(buf[:0], v); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeBinary(b *testing.B) {
	m, err := New(benchSchema)
	require.NoError(b, err)
	bin, err := m.AppendBinary(nil, benchValue())
	require.NoError(b, err)
	var out benchPlaced
	b.SetBytes(int64(len(bin)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.DecodeBinary(bin, &out); err != nil {
			b.Fatal(err)
		}
	}
}
