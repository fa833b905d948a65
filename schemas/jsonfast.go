package schemas

import (
	"bytes"
	"reflect"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/orderlog/orderlog/order"
)

// The fast path of ParseCommandJSON: one strict pass of the JSON v2
// decoder (github.com/go-json-experiment/json, the code of Go's
// encoding/json/v2), which by default refuses invalid UTF-8, escaped lone
// surrogates and a name given twice, and here refuses unknown members and
// trailing data too. It matches names exactly, as the contract spells
// them.
//
// It accepts only what the strict path (parseCommandStrict) accepts, and
// returns what that would: anything it does not take, a well-formed
// command in another letter case included, goes to the strict path, which
// decides and names the problem. So the errors are the strict path's, and
// a well-formed command costs one pass instead of three (two encoding/json
// decoders and the raw check). TestParseCommandJSONFastEqualsStrict holds
// the two to the same answers.

var fastOpts = jsonv2.JoinOptions(jsonv2.RejectUnknownMembers(true))

// parseCommandFast is ParseCommandJSON for a command without fault; ok is
// false for anything else.
func parseCommandFast(b []byte) (order.Command, bool) {
	var fc jsonCommand
	if jsonv2.Unmarshal(b, &fc, fastOpts) != nil || fc.CommandID == "" || fc.OrderID == "" || fc.Type == "" {
		return order.Command{}, false
	}
	t, ok := commandTypes[order.CommandType(fc.Type)]
	if !ok {
		return order.Command{}, false
	}
	c := order.Command{ID: fc.CommandID, Type: order.CommandType(fc.Type), OrderID: fc.OrderID, ExpectedVersion: fc.ExpectedVersion,
		CorrelationID: fc.CorrelationID, UserID: fc.UserID}
	if len(fc.Data) == 0 || bytes.Equal(fc.Data, []byte("null")) {
		return c, true
	}
	ptr := reflect.New(t)
	if jsonv2.Unmarshal(fc.Data, ptr.Interface(), fastOpts) != nil {
		return order.Command{}, false
	}
	c.Data = ptr.Elem().Interface().(order.CommandData)
	return c, true
}
