package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/orderlog/orderlog/order"
)

// ErrBadCommand is returned (wrapped) for a command that cannot be read; the
// processor sends such input to the dead-letter topic with the message.
var ErrBadCommand = errors.New("bad command")

// jsonCommand is the JSON form of a command on order.commands:
//
//	{"commandId": "…", "type": "AddItems", "orderId": "…", "expectedVersion": 2,
//	 "correlationId": "…", "userId": "…", "data": {…}}
type jsonCommand struct {
	CommandID       string          `json:"commandId"`
	Type            string          `json:"type"`
	OrderID         string          `json:"orderId"`
	ExpectedVersion *int64          `json:"expectedVersion,omitempty"`
	CorrelationID   string          `json:"correlationId,omitempty"`
	UserID          string          `json:"userId,omitempty"`
	Data            json.RawMessage `json:"data"`
}

var commandTypes = func() map[order.CommandType]reflect.Type {
	m := map[order.CommandType]reflect.Type{}
	for _, c := range order.CommandSamples() {
		m[c.CommandType()] = reflect.TypeOf(c)
	}
	return m
}()

// IsJSON reports whether b looks like a JSON command rather than Avro.
func IsJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// ParseCommandJSON reads a JSON command, strictly: the record holds exactly
// one JSON object (a second value or other bytes after it are refused),
// every string is valid UTF-8 (encoding/json would store U+FFFD instead; an
// escaped lone surrogate is refused too), no key is given twice, and
// unknown fields are refused, so a typo is named rather than silently
// dropped. Each such error wraps ErrBadCommand and names the field.
//
// commandId, orderId and type are required here; data is required too, but
// a command without it (or with "data": null) is returned with a nil Data,
// which Decide rejects with VALIDATION_FAILED naming data: the sender gets
// a result saying why, not a dead letter.
//
// A well-formed command is read in one pass (parseCommandFast); anything
// else by parseCommandStrict, which names what is wrong.
func ParseCommandJSON(b []byte) (order.Command, error) {
	if c, ok := parseCommandFast(b); ok {
		return c, nil
	}
	return parseCommandStrict(b)
}

// parseCommandStrict is ParseCommandJSON with encoding/json and the raw
// check, which name the field at fault.
func parseCommandStrict(b []byte) (order.Command, error) {
	var jc jsonCommand
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&jc); err != nil {
		return order.Command{}, fmt.Errorf("%w: JSON: %v", ErrBadCommand, err)
	}
	end := int(dec.InputOffset())
	if rest := bytes.TrimLeft(b[end:], " \t\r\n"); len(rest) > 0 {
		if strings.IndexByte("{[\"-0123456789tfn", rest[0]) >= 0 {
			return order.Command{}, fmt.Errorf("%w: JSON: a second JSON value at byte %d; a record holds one command", ErrBadCommand, len(b)-len(rest))
		}
		n := fmt.Sprintf("%d bytes", len(rest))
		if len(rest) == 1 {
			n = "1 byte"
		}
		return order.Command{}, fmt.Errorf("%w: JSON: %s after the command, from byte %d", ErrBadCommand, n, len(b)-len(rest))
	}
	if err := checkRawJSON(b[:end]); err != nil {
		return order.Command{}, fmt.Errorf("%w: JSON: %v", ErrBadCommand, err)
	}
	switch {
	case jc.CommandID == "":
		return order.Command{}, fmt.Errorf("%w: commandId is required", ErrBadCommand)
	case jc.OrderID == "":
		return order.Command{}, fmt.Errorf("%w: orderId is required", ErrBadCommand)
	case jc.Type == "":
		return order.Command{}, fmt.Errorf("%w: type is required", ErrBadCommand)
	}
	t, ok := commandTypes[order.CommandType(jc.Type)]
	if !ok {
		return order.Command{}, fmt.Errorf("%w: unknown command type %s", ErrBadCommand, quoteShort(jc.Type))
	}
	c := order.Command{ID: jc.CommandID, Type: order.CommandType(jc.Type), OrderID: jc.OrderID, ExpectedVersion: jc.ExpectedVersion,
		CorrelationID: jc.CorrelationID, UserID: jc.UserID}
	if len(jc.Data) == 0 || bytes.Equal(jc.Data, []byte("null")) {
		return c, nil // no data: Decide rejects it, naming the field
	}
	ptr := reflect.New(t)
	dd := json.NewDecoder(bytes.NewReader(jc.Data))
	dd.DisallowUnknownFields()
	if err := dd.Decode(ptr.Interface()); err != nil {
		return order.Command{}, fmt.Errorf("%w: data of %s: %v", ErrBadCommand, jc.Type, err)
	}
	c.Data = ptr.Elem().Interface().(order.CommandData)
	return c, nil
}

// quoteShort quotes s for a message, cut to 64 bytes.
func quoteShort(s string) string {
	if len(s) <= 64 {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q (%d bytes)", shorten(s, 64), len(s))
}

// CommandJSON renders a command in its JSON form.
func CommandJSON(c order.Command) ([]byte, error) {
	data, err := json.Marshal(c.Data)
	if err != nil {
		return nil, err
	}
	return json.Marshal(jsonCommand{CommandID: c.ID, Type: string(c.Type), OrderID: c.OrderID, ExpectedVersion: c.ExpectedVersion,
		CorrelationID: c.CorrelationID, UserID: c.UserID, Data: data})
}

// DecodeCommand reads a command value from order.commands in either form:
// JSON (first byte '{', read by ParseCommandJSON) or Avro through avro.
// Every failure of the input wraps ErrBadCommand and says what is wrong,
// naming the field; a registry that cannot be reached gives
// ErrRegistryUnavailable instead. Both forms are held to the same rules:
// one record, one command; every string valid UTF-8; a payload of the
// command's type. A command without data is returned with a nil Data in
// both forms, for Decide to reject with VALIDATION_FAILED.
func DecodeCommand(b []byte, avro *Serde[order.Command]) (order.Command, error) {
	if IsJSON(b) {
		return ParseCommandJSON(b)
	}
	c, err := avro.Decode(b)
	if errors.Is(err, ErrRegistryUnavailable) {
		return c, err // not the command's fault: retry, do not dead-letter
	}
	if err != nil {
		return c, fmt.Errorf("%w: %w", ErrBadCommand, err)
	}
	var rej *order.Rejection
	if errors.As(order.CheckUTF8(c), &rej) {
		return c, fmt.Errorf("%w: Avro: %s %s", ErrBadCommand, rej.Field, rej.Message)
	}
	if _, ok := commandTypes[c.Type]; !ok {
		return c, fmt.Errorf("%w: unknown command type %s", ErrBadCommand, quoteShort(string(c.Type)))
	}
	if c.Data != nil && c.Data.CommandType() != c.Type {
		return c, fmt.Errorf("%w: type %s but data is %s", ErrBadCommand, c.Type, c.Data.CommandType())
	}
	return c, nil
}
