package schemas

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/orderlog/orderlog/fulfillment"
	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
)

//go:embed avro
var files embed.FS

// Kind names one of orderlog's Avro schemas.
type Kind string

// The schemas, one per kind of record orderlog writes.
const (
	KindEvent   Kind = "order_event"
	KindCommand Kind = "command"
	KindResult  Kind = "command_result"
	KindState   Kind = "order_state"

	// The integration contract with outside systems (package integration).
	KindPaymentRequest      Kind = "payment_request"
	KindPaymentResult       Kind = "payment_result"
	KindInventoryRequest    Kind = "inventory_request"
	KindInventoryResult     Kind = "inventory_result"
	KindShippingRequest     Kind = "shipping_request"
	KindShippingResult      Kind = "shipping_result"
	KindNotificationRequest Kind = "notification_request"

	// KindSagaState is the fulfillment saga's state of one order on the
	// compacted order.saga-state topic (internal to orderd).
	KindSagaState Kind = "saga_state"
)

// Kinds lists every schema kind.
var Kinds = []Kind{KindEvent, KindCommand, KindResult, KindState,
	KindPaymentRequest, KindPaymentResult, KindInventoryRequest, KindInventoryResult,
	KindShippingRequest, KindShippingResult, KindNotificationRequest, KindSagaState}

type spec struct {
	typ  reflect.Type
	name string
	doc  string
}

var specs = map[Kind]spec{
	KindEvent: {reflect.TypeFor[order.Event](), "OrderEvent",
		"One immutable fact about an order: the envelope of seed 000 section 3 with a typed payload in data."},
	KindCommand: {reflect.TypeFor[order.Command](), "Command",
		"A request to change one order, as put on order.commands."},
	KindResult: {reflect.TypeFor[order.CommandResult](), "CommandResult",
		"The answer to one command on order.command-results."},
	KindState: {reflect.TypeFor[order.State](), "OrderState",
		"The processor's snapshot of one order on the compacted order.state topic."},
	KindPaymentRequest: {reflect.TypeFor[integration.PaymentRequest](), "PaymentRequest",
		"Asks the payment gateway to authorize, capture, void or refund an order's payment (payment.requests)."},
	KindPaymentResult: {reflect.TypeFor[integration.PaymentResult](), "PaymentResult",
		"The payment gateway's answer to one PaymentRequest (payment.results)."},
	KindInventoryRequest: {reflect.TypeFor[integration.InventoryRequest](), "InventoryRequest",
		"Asks the inventory service to reserve, release or restock an order's items (inventory.requests)."},
	KindInventoryResult: {reflect.TypeFor[integration.InventoryResult](), "InventoryResult",
		"The inventory service's answer to one InventoryRequest (inventory.results)."},
	KindShippingRequest: {reflect.TypeFor[integration.ShippingRequest](), "ShippingRequest",
		"Asks the carrier to dispatch one shipment of an order (shipping.requests)."},
	KindShippingResult: {reflect.TypeFor[integration.ShippingResult](), "ShippingResult",
		"The carrier's news about one shipment: shipped with tracking, delivered, or failed (shipping.results)."},
	KindNotificationRequest: {reflect.TypeFor[integration.NotificationRequest](), "NotificationRequest",
		"Asks the customer service to notify the customer (notification.requests); it has no answer."},
	KindSagaState: {reflect.TypeFor[fulfillment.State](), "SagaState",
		"The fulfillment saga's record of one order on the compacted order.saga-state topic: its step, the order folded from its events, outstanding requests and durable timers."},
}

// Current returns the text of the current schema of kind k.
func Current(k Kind) (string, error) {
	b, err := files.ReadFile(path.Join("avro", string(k)+".avsc"))
	return string(b), err
}

// History returns every released version of kind k's schema, oldest first;
// the last one equals Current.
func History(k Kind) ([]string, error) {
	dir := path.Join("avro", "history", string(k))
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return nil, fmt.Errorf("schema history of %s: %w", k, err)
	}
	type v struct {
		n    int
		name string
	}
	var vs []v
	for _, e := range entries {
		num, ok := strings.CutPrefix(strings.TrimSuffix(e.Name(), ".avsc"), "v")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("schema history of %s: %s is not named v<N>.avsc", k, e.Name())
		}
		vs = append(vs, v{n, e.Name()})
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].n < vs[j].n })
	out := make([]string, len(vs))
	for i, x := range vs {
		b, err := files.ReadFile(path.Join(dir, x.name))
		if err != nil {
			return nil, err
		}
		out[i] = string(b)
	}
	return out, nil
}

// Generate renders kind k's schema from the Go types of package order.
func Generate(k Kind) (string, error) {
	s, ok := specs[k]
	if !ok {
		return "", fmt.Errorf("unknown schema kind %q", k)
	}
	return generate(s.typ, s.name, s.doc)
}
