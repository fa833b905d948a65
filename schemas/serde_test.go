package schemas

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

func TestEveryEventTypeRoundTrips(t *testing.T) {
	s, err := NewEvents(context.Background())
	require.NoError(t, err)
	require.Len(t, order.EventSamples(), 31)
	for _, sample := range order.EventSamples() {
		t.Run(string(sample.EventType()), func(t *testing.T) {
			var e order.Event
			fill(&e)
			e.Data = filledSample(sample)
			e.Type = sample.EventType()
			b, err := s.Encode(e)
			require.NoError(t, err)
			assert.Equal(t, []byte{0xC3, 0x01}, b[:2], "single-object encoding")
			got, err := s.Decode(b)
			require.NoError(t, err)
			assert.Equal(t, e, got)
		})
	}
}

func TestEveryCommandTypeRoundTrips(t *testing.T) {
	s, err := NewCommands(context.Background())
	require.NoError(t, err)
	for _, sample := range order.CommandSamples() {
		t.Run(string(sample.CommandType()), func(t *testing.T) {
			var c order.Command
			fill(&c)
			c.Time = time.Time{} // not part of the record: the record timestamp
			c.Data = filledSample(sample)
			c.Type = sample.CommandType()
			b, err := s.Encode(c)
			require.NoError(t, err)
			got, err := DecodeCommand(b, s)
			require.NoError(t, err)
			assert.Equal(t, c, got)

			js, err := CommandJSON(c)
			require.NoError(t, err)
			fromJSON, err := DecodeCommand(js, s)
			require.NoError(t, err)
			assert.Equal(t, c, fromJSON, "JSON form: %s", js)
		})
	}
}

func TestResultAndStateRoundTrip(t *testing.T) {
	ctx := context.Background()
	rs, err := NewResults(ctx)
	require.NoError(t, err)
	var r order.CommandResult
	fill(&r)
	b, err := rs.Encode(r)
	require.NoError(t, err)
	got, err := rs.Decode(b)
	require.NoError(t, err)
	assert.Equal(t, r, got)

	ss, err := NewStates(ctx)
	require.NoError(t, err)
	var st order.State
	fill(&st)
	b, err = ss.Encode(st)
	require.NoError(t, err)
	gotState, err := ss.Decode(b)
	require.NoError(t, err)
	assert.Equal(t, st, gotState)
}

func TestDecodeRefusesWhatItCannotRead(t *testing.T) {
	s, err := NewEvents(context.Background())
	require.NoError(t, err)
	_, err = s.Decode([]byte("hello"))
	assert.ErrorIs(t, err, ErrFraming)

	unknown := []byte{0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0}
	_, err = s.Decode(unknown)
	assert.ErrorIs(t, err, ErrUnknownSchema)

	confluent := []byte{0, 0, 0, 0, 7, 0}
	_, err = s.Decode(confluent)
	assert.ErrorIs(t, err, ErrUnknownSchema)
	assert.Contains(t, err.Error(), "no schema registry is configured")
}

func TestParseCommandJSONNamesWhatIsWrong(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"commandId":"c","type":"AddItems","orderId":"o","data":{"items":[{"productId":"a","quantity":1,"unitPrice":5}]}}`, ""},
		{`{"commandId":"c","type":"PlaceOrder","orderId":"o"}`, ""},
		{`{"commandId":"c","type":"AddItems","orderId":"o","data":{"itemz":[]}}`, `unknown field "itemz"`},
		{`{"commandId":"c","type":"Teleport","orderId":"o","data":{}}`, `unknown command type "Teleport"`},
		{`{"type":"PlaceOrder","orderId":"o"}`, "commandId is required"},
		{`{"commandId":"c","type":"PlaceOrder"}`, "orderId is required"},
		{`{"commandId":"c","type":"AddItems","orderId":"o","data":{"items":[{"quantity":"two"}]}}`, "quantity"},
		{`{"commandId":`, "JSON"},
	} {
		c, err := ParseCommandJSON([]byte(tc.in))
		if tc.want == "" {
			require.NoError(t, err, tc.in)
			assert.Equal(t, "c", c.ID)
			continue
		}
		require.Error(t, err, tc.in)
		assert.True(t, errors.Is(err, ErrBadCommand))
		assert.Contains(t, err.Error(), tc.want)
	}
}
