package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

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

// ParseCommandJSON reads a JSON command. Unknown fields are refused, so a
// typo is named rather than silently dropped.
func ParseCommandJSON(b []byte) (order.Command, error) {
	var jc jsonCommand
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&jc); err != nil {
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
		return order.Command{}, fmt.Errorf("%w: unknown command type %q", ErrBadCommand, jc.Type)
	}
	ptr := reflect.New(t)
	if len(jc.Data) > 0 && !bytes.Equal(bytes.TrimSpace(jc.Data), []byte("null")) {
		dd := json.NewDecoder(bytes.NewReader(jc.Data))
		dd.DisallowUnknownFields()
		if err := dd.Decode(ptr.Interface()); err != nil {
			return order.Command{}, fmt.Errorf("%w: data of %s: %v", ErrBadCommand, jc.Type, err)
		}
	}
	return order.Command{
		ID: jc.CommandID, Type: order.CommandType(jc.Type), OrderID: jc.OrderID, ExpectedVersion: jc.ExpectedVersion,
		CorrelationID: jc.CorrelationID, UserID: jc.UserID, Data: ptr.Elem().Interface().(order.CommandData),
	}, nil
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
// JSON (first byte '{') or Avro through avro. Every failure of the input
// wraps ErrBadCommand and says what is wrong; a registry that cannot be
// reached gives ErrRegistryUnavailable instead.
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
	if c.Data == nil {
		return c, fmt.Errorf("%w: Avro command %s has no data", ErrBadCommand, c.ID)
	}
	if c.Data.CommandType() != c.Type {
		return c, fmt.Errorf("%w: type %s but data is %s", ErrBadCommand, c.Type, c.Data.CommandType())
	}
	return c, nil
}
