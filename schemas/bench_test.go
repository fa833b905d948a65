package schemas

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// Benchmarks of the Serde on realistic values, each next to the goavro path
// it replaced (mapper.ToNative then codec.SingleFromNative; codec
// NativeFromBinary then mapper.FromNative), for the ratio:
//
//	go test ./schemas -run XXX -bench . -benchmem

// benchState is a shipped order that has lived a while: five lines, a
// discount, tax, shipping and billing, a captured payment, reservations,
// tracking, a flag, notes and a full window of recent commands.
func benchState() order.State {
	at := time.UnixMilli(1_790_000_000_000).UTC()
	addr := order.Address{Line1: "221B Baker Street", City: "London", PostalCode: "NW1 6XE", Country: "GB"}
	st := order.State{
		OrderID: "ord-01J9Z6Q8K3T4V5W6X7Y8Z9A0B1", OrderNumber: "ON-2026-000123", CustomerID: "cus-8842",
		Currency: "EUR", Status: order.StatusShipped, Version: 48, CreatedAt: at, UpdatedAt: at.Add(72 * time.Hour),
		Discounts: []order.Discount{{Code: "SPRING10", Description: "Spring sale 10%", PercentBps: 1000}},
		Tax:       order.TaxInfo{Jurisdiction: "GB", RatePPM: 200_000, Calculated: true},
		Shipping: &order.Shipping{RecipientName: "S. Holmes", Address: addr, Method: "EXPRESS", Cost: 1299,
			EstimatedDeliveryDate: at.Add(96 * time.Hour)},
		Billing: &order.Billing{Name: "Sherlock Holmes", Email: "sherlock@example.com", Address: addr},
		Payment: order.Payment{ID: "pay-77", Method: "CARD", Status: order.PayCaptured, Amount: 48_950,
			Authorized: 48_950, Captured: 48_950},
		Tracking: []order.Tracking{{ShipmentID: "shp-1", Carrier: "DHL", TrackingNumber: "JD014600003828",
			TrackingURL: "https://track.example.com/JD014600003828"}},
		Flags: []order.Flag{{Code: "HIGH_VALUE", Reason: "total above threshold", RequiresApproval: true, Approved: true}},
		Notes: []order.Note{
			{Text: "Please ring twice", Author: "cus-8842", At: at.Add(time.Hour)},
			{Admin: true, Text: "Approved after phone check", Author: "admin-3", At: at.Add(2 * time.Hour)},
		},
	}
	for i := range 5 {
		sku := fmt.Sprintf("SKU-%05d", 100+i)
		st.Lines = append(st.Lines, order.Line{ProductID: sku, Name: "Product " + sku, Quantity: int64(1 + i%3), UnitPrice: int64(1999 + 1000*i)})
	}
	for r := range 2 {
		res := order.Reservation{ID: fmt.Sprintf("res-%d", r)}
		for _, l := range st.Lines[r*2 : r*2+3] {
			res.Items = append(res.Items, order.ItemQuantity{ProductID: l.ProductID, Quantity: l.Quantity, WarehouseID: "wh-ams-1"})
		}
		st.Reservations = append(st.Reservations, res)
	}
	for i := range order.RecentCommandWindow {
		st.Recent = append(st.Recent, order.RecentCommand{ID: fmt.Sprintf("cmd-01J9Z6Q8K3T4V5W6X7Y8Z9%04d", i),
			FirstSeq: int64(i + 1), LastSeq: int64(i + 2)})
	}
	return st
}

// benchEvent is an ORDER_ITEMS_ADDED event of three lines.
func benchEvent() order.Event {
	return order.Event{
		ID: "evt-01J9Z6Q8K3T4V5W6X7Y8Z9A0B1", OrderID: "ord-01J9Z6Q8K3T4V5W6X7Y8Z9A0B1", Type: order.EvtOrderItemsAdded,
		Seq: 17, Time: time.UnixMilli(1_790_000_000_000).UTC(),
		Data: order.OrderItemsAdded{
			Items: []order.LineItem{
				{ProductID: "SKU-00100", Name: "Product 100", Quantity: 2, UnitPrice: 1999},
				{ProductID: "SKU-00101", Name: "Product 101", Quantity: 1, UnitPrice: 2999},
				{ProductID: "SKU-00102", Name: "Product 102", Quantity: 3, UnitPrice: 3999},
			},
			Totals: order.Totals{Subtotal: 17994, Tax: 3599, Total: 21593},
		},
		Metadata:      map[string]string{"source": "web"},
		UserID:        "usr-42",
		ServiceID:     "orderd",
		CorrelationID: "cor-01J9Z6Q8K3T4V5W6X7Y8Z9A0B1",
		CausationID:   "cmd-01J9Z6Q8K3T4V5W6X7Y8Z9A0B1",
	}
}

func benchEncode[T any](b *testing.B, s *Serde[T], v T) {
	var buf []byte
	var err error
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = s.AppendEncode(buf[:0], v); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// benchEncodeFresh is Encode as the processor calls it: a new slice per
// record, which the record keeps.
func benchEncodeFresh[T any](b *testing.B, s *Serde[T], v T) {
	var buf []byte
	var err error
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = s.Encode(v); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func benchEncodeGoavro[T any](b *testing.B, s *Serde[T], v T) {
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		native, err := s.current.mapper.ToNative(&v)
		if err != nil {
			b.Fatal(err)
		}
		if buf, err = s.current.codec.SingleFromNative(buf[:0], native); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func benchDecode[T any](b *testing.B, s *Serde[T], v T) {
	enc, err := s.Encode(v)
	require.NoError(b, err)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDecodeGoavro[T any](b *testing.B, s *Serde[T], v T) {
	enc, err := s.Encode(v)
	require.NoError(b, err)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		w, body, err := s.writer(enc)
		if err != nil {
			b.Fatal(err)
		}
		native, _, err := w.codec.NativeFromBinary(body)
		if err != nil {
			b.Fatal(err)
		}
		var out T
		if err := w.mapper.FromNative(native, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func newBenchStates(b *testing.B) *Serde[order.State] {
	s, err := NewStates(context.Background())
	require.NoError(b, err)
	return s
}

func newBenchEvents(b *testing.B) *Serde[order.Event] {
	s, err := NewEvents(context.Background())
	require.NoError(b, err)
	return s
}

func BenchmarkEncodeState(b *testing.B)       { benchEncode(b, newBenchStates(b), benchState()) }
func BenchmarkEncodeStateFresh(b *testing.B)  { benchEncodeFresh(b, newBenchStates(b), benchState()) }
func BenchmarkEncodeStateGoavro(b *testing.B) { benchEncodeGoavro(b, newBenchStates(b), benchState()) }
func BenchmarkDecodeState(b *testing.B)       { benchDecode(b, newBenchStates(b), benchState()) }
func BenchmarkDecodeStateGoavro(b *testing.B) { benchDecodeGoavro(b, newBenchStates(b), benchState()) }
func BenchmarkEncodeEvent(b *testing.B)       { benchEncode(b, newBenchEvents(b), benchEvent()) }
func BenchmarkEncodeEventGoavro(b *testing.B) { benchEncodeGoavro(b, newBenchEvents(b), benchEvent()) }
func BenchmarkDecodeEvent(b *testing.B)       { benchDecode(b, newBenchEvents(b), benchEvent()) }
func BenchmarkDecodeEventGoavro(b *testing.B) { benchDecodeGoavro(b, newBenchEvents(b), benchEvent()) }

// The benchmark values survive a round trip, so the numbers are for real
// work.
func TestBenchValuesRoundTrip(t *testing.T) {
	st := newBenchStatesT(t)
	b, err := st.Encode(benchState())
	require.NoError(t, err)
	gotState, err := st.Decode(b)
	require.NoError(t, err)
	require.Equal(t, benchState(), gotState)

	ev, err := NewEvents(context.Background())
	require.NoError(t, err)
	b, err = ev.Encode(benchEvent())
	require.NoError(t, err)
	gotEvent, err := ev.Decode(b)
	require.NoError(t, err)
	require.Equal(t, benchEvent(), gotEvent)
}

func newBenchStatesT(t *testing.T) *Serde[order.State] {
	s, err := NewStates(context.Background())
	require.NoError(t, err)
	return s
}
