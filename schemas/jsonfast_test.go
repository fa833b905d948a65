package schemas

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// wellFormedCommands is one JSON command of every type with every field
// filled, and a few spelled differently (spaces, escapes, null, an empty
// list), each of which the strict path accepts.
func wellFormedCommands(t testing.TB) [][]byte {
	var out [][]byte
	for i, sample := range order.CommandSamples() {
		ptr := reflect.New(reflect.TypeOf(sample))
		fill(ptr.Interface())
		ev := int64(i)
		c := order.Command{ID: fmt.Sprintf("c-%d", i), Type: sample.CommandType(), OrderID: "o-é", ExpectedVersion: &ev,
			CorrelationID: "corr", UserID: "u", Data: ptr.Elem().Interface().(order.CommandData)}
		b, err := CommandJSON(c)
		require.NoError(t, err)
		out = append(out, b)
	}
	return append(out,
		[]byte(" {\n\t\"commandId\" : \"c\", \"type\":\"AddCustomerNote\",\"orderId\":\"o\",\"data\":{\"text\":\"h\\u00e9 \\ud83e\\udd8a \\\"q\\\"\"}}\r\n"),
		[]byte(`{"commandId":"c","type":"AddItems","orderId":"o","expectedVersion":null,"data":{"items":[]}}`),
		[]byte(`{"commandId":"c","type":"AddItems","orderId":"o","data":{"items":null}}`),
		[]byte(`{"commandId":"c","type":"PlaceOrder","orderId":"o","data":null}`),
		[]byte(`{"commandId":"c","type":"PlaceOrder","orderId":"o"}`),
		[]byte(`{"commandId":"c","type":"AddItems","orderId":"o","data":{"items":[{"productId":"a","quantity":-0,"unitPrice":9223372036854775807}]}}`),
	)
}

// mutate returns b changed in one of the ways an upstream gets JSON wrong.
func mutate(rng *rand.Rand, b []byte) []byte {
	if len(b) == 0 {
		return []byte("{")
	}
	s := string(b)
	swaps := [][2]string{
		{`"commandId"`, `"CommandId"`}, {`"quantity"`, `"QUANTITY"`}, {`"text"`, `"te\u0078t"`},
		{`"orderId":`, `"orderId":"x","orderId":`}, {`"data":{`, `"data":{"extra":1,`}, {`1`, `1.0`}, {`1`, `1e2`},
		{`1`, `01`}, {`1`, `"1"`}, {`1`, `99999999999999999999`}, {`"u"`, `"\ud800"`}, {`"u"`, "\"\xff\""},
		{`"u"`, "\"\xed\xa0\x80\""}, {`"u"`, `null`}, {`"u"`, `1`}, {`true`, `"true"`}, {`false`, `0`},
		{`[`, `{`}, {`}`, `}}`}, {`,`, `,,`}, {`"o-é"`, `""`}, {`"corr"`, `"corr\u0000"`}, {`"type":"`, `"type":"x`},
	}
	switch rng.IntN(4) {
	case 0:
		sw := swaps[rng.IntN(len(swaps))]
		if strings.Contains(s, sw[0]) {
			return []byte(strings.Replace(s, sw[0], sw[1], 1))
		}
		return append(b, ' ', '{', '}')
	case 1: // a byte changed
		c := bytes.Clone(b)
		c[rng.IntN(len(c))] = byte(rng.IntN(256))
		return c
	case 2: // cut short
		return b[:rng.IntN(len(b))]
	default: // a byte removed
		i := rng.IntN(len(b))
		return append(bytes.Clone(b[:i]), b[i+1:]...)
	}
}

// requireSameAnswer: when the fast path takes b, the strict path takes it
// too and reads the same command.
func requireSameAnswer(t testing.TB, b []byte) bool {
	fast, ok := parseCommandFast(b)
	if !ok {
		return false
	}
	strict, err := parseCommandStrict(b)
	require.NoError(t, err, "the fast path took %q, the strict path refuses it", b)
	require.Equal(t, strict, fast, "the two paths read %q differently", b)
	return true
}

// TestParseCommandJSONFastEqualsStrict holds the fast path to the strict
// one: every well-formed command is read in one pass, to the same command,
// and of thousands of mutations the fast path takes none that the strict
// path refuses or reads otherwise (so every error is the strict path's).
func TestParseCommandJSONFastEqualsStrict(t *testing.T) {
	good := wellFormedCommands(t)
	for _, b := range good {
		require.True(t, requireSameAnswer(t, b), "the fast path refused a well-formed command: %s", b)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	taken := 0
	for i := range 20000 {
		b := mutate(rng, good[i%len(good)])
		if rng.IntN(3) == 0 {
			b = mutate(rng, b)
		}
		if requireSameAnswer(t, b) {
			taken++
		}
	}
	t.Logf("%d of 20000 mutations taken by the fast path, each read as the strict path reads it", taken)
	require.Positive(t, taken, "some mutations (a changed letter in a value) are still commands")
}

// FuzzParseCommandJSONFastEqualsStrict is the same check on fuzzed input.
func FuzzParseCommandJSONFastEqualsStrict(f *testing.F) {
	for _, b := range wellFormedCommands(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { requireSameAnswer(t, b) })
}

func BenchmarkParseCommandJSON(b *testing.B) {
	in := wellFormedCommands(b)[1] // AddItems
	for _, path := range []struct {
		name  string
		parse func([]byte) (order.Command, error)
	}{{"fast", ParseCommandJSON}, {"strict", parseCommandStrict}} {
		b.Run(path.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := path.parse(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
