package schemas

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// The Serde writes and reads Avro binary with avrostruct's AppendBinary and
// DecodeBinary. These tests hold them to the goavro path they replaced:
// codec.BinaryFromNative of mapper.ToNative, and mapper.FromNative of
// codec.NativeFromBinary, for every event, command, result and state.

// samples returns a filled value of every record the Serde of kind k writes.
func samples(k Kind) map[string]any {
	out := map[string]any{}
	switch k {
	case KindEvent:
		for _, sample := range order.EventSamples() {
			var e order.Event
			fill(&e)
			e.Data = filledSample(sample)
			e.Type = sample.EventType()
			out[string(e.Type)] = &e
		}
	case KindCommand:
		for _, sample := range order.CommandSamples() {
			var c order.Command
			fill(&c)
			c.Time = time.Time{} // not part of the record
			c.Data = filledSample(sample)
			c.Type = sample.CommandType()
			out[string(c.Type)] = &c
		}
	case KindResult:
		var r order.CommandResult
		fill(&r)
		out["result"] = &r
	case KindState:
		var st order.State
		fill(&st)
		out["state"] = &st
	}
	return out
}

// trimMaps cuts every map in *v to at most one entry: goavro writes map
// entries in Go's random order, AppendBinary sorted, so only maps of one
// entry can be compared byte for byte.
func trimMaps(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			e := v.Elem()
			if v.Kind() == reflect.Interface && e.Kind() != reflect.Pointer {
				c := reflect.New(e.Type()).Elem()
				c.Set(e)
				trimMaps(c)
				v.Set(c)
				return
			}
			trimMaps(e)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				trimMaps(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			trimMaps(v.Index(i))
		}
	case reflect.Map:
		keys := v.MapKeys()
		for _, k := range keys[min(1, len(keys)):] {
			v.SetMapIndex(k, reflect.Value{})
		}
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			trimMaps(e)
			v.SetMapIndex(k, e)
		}
	}
}

func hasMap(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && hasMap(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && hasMap(v.Field(i)) {
				return true
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			if hasMap(v.Index(i)) {
				return true
			}
		}
	case reflect.Map:
		return v.Len() > 1
	}
	return false
}

func checkKindAgainstGoavro[T any](t *testing.T, s *Serde[T], k Kind) {
	m, codec := s.current.mapper, s.current.codec
	// The header carries the spec's fingerprint (Fingerprint), not goavro's.
	fp, err := Fingerprint(s.current.codec.Schema())
	require.NoError(t, err)
	header := binary.LittleEndian.AppendUint64([]byte{0xC3, 0x01}, fp)
	for name, v := range samples(k) {
		t.Run(name, func(t *testing.T) {
			val := *v.(*T)

			// Filled, maps of two entries: the same value, sorted maps.
			native, err := m.ToNative(&val)
			require.NoError(t, err)
			ref, err := codec.BinaryFromNative(nil, native)
			require.NoError(t, err)
			got, err := s.Encode(val)
			require.NoError(t, err)
			require.Equal(t, header, got[:10], "single-object header")
			require.Len(t, got[10:], len(ref))
			refNative, _, err := codec.NativeFromBinary(ref)
			require.NoError(t, err)
			gotNative, rest, err := codec.NativeFromBinary(got[10:])
			require.NoError(t, err)
			require.Empty(t, rest)
			require.Equal(t, refNative, gotNative)

			// Decoding: DecodeBinary against FromNative of goavro's native.
			var want T
			require.NoError(t, m.FromNative(gotNative, &want))
			dec, err := s.Decode(got)
			require.NoError(t, err)
			require.Equal(t, want, dec)
			require.Equal(t, val, dec)

			// Maps cut to one entry: byte for byte what goavro writes after
			// the header (whose fingerprint is the spec's, not goavro's).
			trimMaps(reflect.ValueOf(&val))
			require.False(t, hasMap(reflect.ValueOf(&val)))
			native, err = m.ToNative(&val)
			require.NoError(t, err)
			body, err := codec.BinaryFromNative(nil, native)
			require.NoError(t, err)
			got, err = s.AppendEncode([]byte("x"), val)
			require.NoError(t, err)
			require.Equal(t, "x", string(got[:1]))
			require.Equal(t, append(slices.Clone(header), body...), got[1:], "AppendEncode must write the header and what BinaryFromNative writes")
			dec, err = s.Decode(got[1:])
			require.NoError(t, err)
			require.Equal(t, val, dec)
		})
	}
}

func TestSerdeWritesWhatGoavroWrites(t *testing.T) {
	ctx := context.Background()
	events, err := NewEvents(ctx)
	require.NoError(t, err)
	commands, err := NewCommands(ctx)
	require.NoError(t, err)
	results, err := NewResults(ctx)
	require.NoError(t, err)
	states, err := NewStates(ctx)
	require.NoError(t, err)
	t.Run("events", func(t *testing.T) { checkKindAgainstGoavro(t, events, KindEvent) })
	t.Run("commands", func(t *testing.T) { checkKindAgainstGoavro(t, commands, KindCommand) })
	t.Run("results", func(t *testing.T) { checkKindAgainstGoavro(t, results, KindResult) })
	t.Run("states", func(t *testing.T) { checkKindAgainstGoavro(t, states, KindState) })
	require.Len(t, samples(KindEvent), 31)
}

// Every committed fixture, written with an old schema, decodes to what
// goavro and FromNative make of it.
func TestSerdeReadsFixturesAsGoavroDoes(t *testing.T) {
	s, err := NewEvents(context.Background())
	require.NoError(t, err)
	hist, err := History(KindEvent)
	require.NoError(t, err)
	for v := 1; v <= len(hist); v++ {
		bin, err := os.ReadFile(fixturePath(KindEvent, v, "bin"))
		require.NoError(t, err)
		for i := 0; len(bin) > 0; i++ {
			n, k := binary.Uvarint(bin)
			require.Positive(t, k)
			msg := bin[k : k+int(n)]
			bin = bin[k+int(n):]

			w, body, err := s.writer(msg)
			require.NoError(t, err)
			native, rest, err := w.codec.NativeFromBinary(body)
			require.NoError(t, err)
			require.Empty(t, rest)
			var want order.Event
			require.NoError(t, w.mapper.FromNative(native, &want))
			got, err := s.Decode(msg)
			require.NoError(t, err, "v%d event %d", v, i)
			require.Equal(t, want, got, "v%d event %d", v, i)
		}
	}
}

func TestSerdeDecodeRefusesTrailingAndTruncatedBytes(t *testing.T) {
	s, err := NewStates(context.Background())
	require.NoError(t, err)
	var st order.State
	fill(&st)
	b, err := s.Encode(st)
	require.NoError(t, err)
	_, err = s.Decode(append(b, 0))
	require.EqualError(t, err, "decode order_state: 1 bytes after the record")
	for i := 10; i < len(b); i++ {
		_, err := s.Decode(b[:i])
		require.Error(t, err, "prefix of %d bytes", i)
	}
	require.True(t, bytes.HasPrefix(b, []byte{0xC3, 0x01}))
}
