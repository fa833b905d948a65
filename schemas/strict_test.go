package schemas

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/order"
)

// TestDecodeCommandJSONIsStrict is the table of JSON input a record may not
// hold; each is refused with ErrBadCommand (a dead letter) and an error
// text that names what is wrong and where.
func TestDecodeCommandJSONIsStrict(t *testing.T) {
	const good = `{"commandId":"c","type":"AddCustomerNote","orderId":"o","data":{"text":"hi"}}`
	tests := []struct{ name, in, want string }{
		{"a second object", good + good, "bad command: JSON: a second JSON value at byte 77; a record holds one command"},
		{"a second object after a newline", good + "\n" + good, "a second JSON value at byte 78"},
		{"a second value of another kind", good + ` 42`, "a second JSON value at byte 78"},
		{"trailing bytes", good + `xyz`, "bad command: JSON: 3 bytes after the command, from byte 77"},
		{"trailing NUL", good + "\x00", "bad command: JSON: 1 byte after the command, from byte 77"},
		{"invalid UTF-8 in commandId", `{"commandId":"c` + "\xff" + `","type":"PlaceOrder","orderId":"o","data":{}}`,
			"bad command: JSON: commandId is not valid UTF-8 (byte 15 of the record)"},
		{"invalid UTF-8 in the text of a note", `{"commandId":"c","type":"AddCustomerNote","orderId":"o","data":{"text":"h` + "\xc3\x28" + `"}}`,
			"bad command: JSON: data.text is not valid UTF-8"},
		{"invalid UTF-8 in an item", `{"commandId":"c","type":"AddItems","orderId":"o","data":{"items":[{"productId":"a","quantity":1,"unitPrice":1},` +
			`{"productId":"b","name":"` + "\xe2\x82" + `","quantity":1,"unitPrice":1}]}}`, "data.items[1].name is not valid UTF-8"},
		{"a truncated multi-byte character at the end of a string", `{"commandId":"c","type":"PlaceOrder","orderId":"o` + "\xf0\x9f\xa6" + `","data":{}}`,
			"orderId is not valid UTF-8"},
		{"an overlong encoding", `{"commandId":"c","type":"PlaceOrder","orderId":"o","userId":"` + "\xc0\xaf" + `","data":{}}`, "userId is not valid UTF-8"},
		{"an encoded surrogate", `{"commandId":"c","type":"PlaceOrder","orderId":"o","userId":"` + "\xed\xa0\x80" + `","data":{}}`, "userId is not valid UTF-8"},
		{"invalid UTF-8 in a key", `{"commandId":"c","type":"PlaceOrder","orderId":"o","data":{}, "` + "\xff" + `":1}`, `unknown field`},
		{"an escaped lone high surrogate", `{"commandId":"c","type":"AddCustomerNote","orderId":"o","data":{"text":"\ud83e"}}`,
			`bad command: JSON: data.text holds an escaped lone surrogate (\uD83E), which is no character`},
		{"an escaped lone low surrogate", `{"commandId":"c","type":"AddCustomerNote","orderId":"o","data":{"text":"a\udd8ab"}}`, `data.text holds an escaped lone surrogate (\uDD8A)`},
		{"a high surrogate before a non-surrogate escape", `{"commandId":"c","type":"AddCustomerNote","orderId":"o","data":{"text":"\ud83e\u0041"}}`, `(\uD83E)`},
		{"a key given twice", `{"commandId":"a","commandId":"b","type":"PlaceOrder","orderId":"o","data":{}}`, "bad command: JSON: commandId is given twice"},
		{"a key given twice in another case", `{"commandId":"a","COMMANDID":"b","type":"PlaceOrder","orderId":"o","data":{}}`, "COMMANDID is given twice"},
		{"a key given twice, escaped", `{"commandId":"a","command\u0049d":"b","type":"PlaceOrder","orderId":"o","data":{}}`, "commandId is given twice"},
		{"a data key given twice", `{"commandId":"c","type":"AddCustomerNote","orderId":"o","data":{"text":"a","text":"b"}}`, "data.text is given twice"},
		{"an unknown field", `{"commandId":"c","type":"PlaceOrder","orderId":"o","data":{},"extra":1}`, `unknown field "extra"`},
		{"no commandId", `{"type":"PlaceOrder","orderId":"o","data":{}}`, "bad command: commandId is required"},
		{"an unknown type, quoted short", `{"commandId":"c","type":"` + strings.Repeat("T", 1000) + `","orderId":"o","data":{}}`, "(1000 bytes)"},
		{"truncated", `{"commandId":"p1","type":"CreateOrder","orderId":"o","data":{`, "bad command: JSON: unexpected EOF"},
	}
	s, err := NewCommands(context.Background())
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeCommand([]byte(tc.in), s)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrBadCommand)
			assert.Contains(t, err.Error(), tc.want)
			assert.Less(t, len(err.Error()), 300, "the error quotes input short")
		})
	}
}

// TestDecodeCommandJSONAccepts: what strictness must not refuse.
func TestDecodeCommandJSONAccepts(t *testing.T) {
	s, err := NewCommands(context.Background())
	require.NoError(t, err)
	for _, in := range []string{
		`{"commandId":"c","type":"AddCustomerNote","orderId":"o","data":{"text":"h\u00e9 \ud83e\udd8a 日本 \"q\" \\"}}`,
		"  \n{\"commandId\":\"c\",\"type\":\"PlaceOrder\",\"orderId\":\"o\",\"data\":{}}\n\t ",
		`{"commandId":"c","type":"AddItems","orderId":"o","data":{"items":[{"productId":"a","quantity":1,"unitPrice":1},{"productId":"b","quantity":2,"unitPrice":0}]}}`,
		`{"commandId":"c","type":"PlaceOrder","orderId":"o","expectedVersion":null,"data":{}}`,
	} {
		c, err := DecodeCommand([]byte(in), s)
		require.NoError(t, err, in)
		require.NotNil(t, c.Data, in)
	}
}

// TestACommandWithoutDataIsRejectedNamingData: data is required; without it
// the command is read (its ids are, so the sender can be answered) and
// Decide rejects it with VALIDATION_FAILED naming data.
func TestACommandWithoutDataIsRejectedNamingData(t *testing.T) {
	s, err := NewCommands(context.Background())
	require.NoError(t, err)
	for _, in := range []string{
		`{"commandId":"c","type":"PlaceOrder","orderId":"o"}`,
		`{"commandId":"c","type":"CreateOrder","orderId":"o","data":null}`,
	} {
		c, err := DecodeCommand([]byte(in), s)
		require.NoError(t, err, in)
		require.Nil(t, c.Data)
		_, derr := order.Decide(order.State{}, c)
		var rej *order.Rejection
		require.True(t, errors.As(derr, &rej), in)
		assert.Equal(t, order.CodeValidationFailed, rej.Code)
		assert.Equal(t, "data", rej.Field)
		assert.Equal(t, "is required; send {} for a command without fields", rej.Message)
	}
}

// TestDecodeCommandAvroIsStrict holds the Avro form to the same rules.
func TestDecodeCommandAvroIsStrict(t *testing.T) {
	s, err := NewCommands(context.Background())
	require.NoError(t, err)
	encode := func(c order.Command) []byte {
		b, err := s.Encode(c)
		require.NoError(t, err)
		return b
	}
	base := order.Command{ID: "c", Type: order.CmdAddItems, OrderID: "o",
		Data: order.AddItems{Items: []order.LineItem{{ProductID: "a", Quantity: 1}, {ProductID: "b", Name: "x\xff", Quantity: 1}}}}
	badID := base
	badID.Data, badID.CorrelationID = order.AddItems{}, "\xc3"
	other := base
	other.Data = order.AddCustomerNote{Text: "hi"}
	unknown := other
	unknown.Type = "Teleport"
	good := base
	good.Data = order.AddItems{Items: []order.LineItem{{ProductID: "a", Name: "日本", Quantity: 1}}}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"invalid UTF-8 in an item name", encode(base), "bad command: Avro: data.items[1].name is not valid UTF-8"},
		{"invalid UTF-8 in the correlation id", encode(badID), "bad command: Avro: correlationId is not valid UTF-8"},
		{"data of another type", encode(other), "bad command: type AddItems but data is AddCustomerNote"},
		{"an unknown type", encode(unknown), `bad command: unknown command type "Teleport"`},
		{"trailing bytes", append(encode(good), 0), "bad command: decode command: 1 bytes after the record"},
		{"a record cut short", encode(good)[:20], "bad command: decode command:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeCommand(tc.in, s)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrBadCommand)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	c, err := DecodeCommand(encode(good), s)
	require.NoError(t, err)
	assert.Equal(t, good, c)
}

// FuzzParseCommandJSON: whatever the record holds, reading it never panics,
// and a command it accepts has only valid UTF-8 and was one JSON value.
func FuzzParseCommandJSON(f *testing.F) {
	f.Add([]byte(`{"commandId":"c","type":"AddCustomerNote","orderId":"o","data":{"text":"h\u00e9"}}`))
	f.Add([]byte(`{"commandId":"c","type":"AddItems","orderId":"o","data":{"items":[{"productId":"a","quantity":1,"unitPrice":1}]}}`))
	f.Add([]byte(`{"commandId":"c","type":"PlaceOrder","orderId":"o"} {}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCommandJSON(b)
		if err != nil {
			require.ErrorIs(t, err, ErrBadCommand)
			return
		}
		require.NoError(t, order.CheckUTF8(c))
		require.True(t, json.Valid(b), "accepted input is one JSON value")
	})
}
