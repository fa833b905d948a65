package simulators

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/orderlog/orderlog/integration"
)

// answer is one result to produce, after a delay, keyed by orderId. value
// is an integration.PaymentResult, InventoryResult or ShippingResult; its
// At is stamped when it is sent.
type answer struct {
	after time.Duration
	key   string
	value any
}

// try is the start of deciding one request: either a repeat, answered with
// the first answer, or a new try with its own dice and verdict.
type try struct {
	repeat  []answer
	r       *rand.Rand
	verdict verdict
}

// begin looks requestID up and, for a new try, rolls the dice of b.
func (s *Simulators) begin(sys integration.System, b Behavior, requestID string) try {
	first, n := s.memos[sys].begin(requestID)
	r := dice(s.cfg.Seed, string(sys), requestID, n)
	if first != nil {
		s.metrics.repeated.WithLabelValues(string(sys)).Inc()
		out := make([]answer, 0, 1)
		// The first answer again (not a later one, such as DELIVERED, which
		// follows by itself), after a fresh latency.
		out = append(out, answer{after: b.Latency.draw(r), key: first[0].key, value: first[0].value})
		return try{repeat: out}
	}
	return try{r: r, verdict: b.roll(r)}
}

// finish counts the outcome and remembers final answers.
func (s *Simulators) finish(sys integration.System, action, requestID, outcome string, out []answer) []answer {
	s.metrics.requests.WithLabelValues(string(sys), action, outcome).Inc()
	if outcome == integration.OutcomeOK || outcome == integration.OutcomeFailed {
		s.memos[sys].remember(requestID, out)
	}
	return out
}

// payment decides a PaymentRequest. AUTHORIZE and CAPTURE may be refused
// (FailureRate); VOID and REFUND never are. Every action may be dropped or
// unavailable.
func (s *Simulators) payment(key string, req integration.PaymentRequest) []answer {
	t := s.begin(integration.Payment, s.cfg.Payment, req.RequestID)
	if t.repeat != nil {
		return t.repeat
	}
	if t.verdict == verdictDrop {
		return s.finish(integration.Payment, req.Action, req.RequestID, outcomeDropped, nil)
	}
	res := integration.PaymentResult{
		RequestID: req.RequestID, OrderID: orderID(key, req.OrderID), CorrelationID: req.CorrelationID,
		Action: req.Action, PaymentID: req.PaymentID, RefundID: req.RefundID, Amount: req.Amount,
		Outcome: integration.OutcomeOK,
	}
	refs := map[string]string{integration.PayAuthorize: "AUTH", integration.PayCapture: "CAPT",
		integration.PayVoid: "VOID", integration.PayRefund: "RFND"}
	prefix, known := refs[req.Action]
	switch {
	case !known:
		res.Outcome, res.Reason, res.Code = integration.OutcomeFailed, "unknown payment action "+quote(req.Action), "12"
	case t.verdict == verdictUnavailable:
		res.Outcome, res.Reason, res.Code = integration.OutcomeUnavailable, "payment gateway unavailable", "91"
	case t.verdict == verdictFail && req.Action == integration.PayAuthorize:
		res.Outcome, res.Reason, res.Code = integration.OutcomeFailed, "card declined", "51"
	case t.verdict == verdictFail && req.Action == integration.PayCapture:
		res.Outcome, res.Reason, res.Code = integration.OutcomeFailed, "capture refused: authorization expired", "54"
	default:
		res.Reference = fmt.Sprintf("%s-%012X", prefix, t.r.Uint64()>>16)
	}
	out := []answer{{after: s.cfg.Payment.Latency.draw(t.r), key: recordKey(key, req.OrderID), value: res}}
	return s.finish(integration.Payment, req.Action, req.RequestID, res.Outcome, out)
}

// inventory decides an InventoryRequest. Only RESERVE may be refused by
// FailureRate; stock decides the rest.
func (s *Simulators) inventory(key string, req integration.InventoryRequest) []answer {
	t := s.begin(integration.Inventory, s.cfg.Inventory.Behavior, req.RequestID)
	if t.repeat != nil {
		return t.repeat
	}
	if t.verdict == verdictDrop {
		return s.finish(integration.Inventory, req.Action, req.RequestID, outcomeDropped, nil)
	}
	req.OrderID = orderID(key, req.OrderID)
	var res integration.InventoryResult
	switch {
	case t.verdict == verdictUnavailable:
		res = integration.InventoryResult{Outcome: integration.OutcomeUnavailable, Reason: "inventory service unavailable"}
	case req.Action == integration.InvReserve && t.verdict == verdictFail:
		res = failed(res, "inventory refused the reservation (simulated failure)")
	case req.Action == integration.InvReserve:
		res = s.stock.reserve(req)
	case req.Action == integration.InvRelease:
		res = s.stock.release(req)
	case req.Action == integration.InvRestock:
		res = s.stock.restock(req)
	default:
		res = failed(res, "unknown inventory action "+quote(req.Action))
	}
	res.RequestID, res.OrderID, res.CorrelationID, res.Action = req.RequestID, req.OrderID, req.CorrelationID, req.Action
	out := []answer{{after: s.cfg.Inventory.Latency.draw(t.r), key: recordKey(key, req.OrderID), value: res}}
	return s.finish(integration.Inventory, req.Action, req.RequestID, res.Outcome, out)
}

// shipping decides a ShippingRequest: a DISPATCH that goes well is answered
// SHIPPED after the latency and DELIVERED DeliveryDelay later, and takes the
// order's reservations at the warehouse out of the simulated inventory.
func (s *Simulators) shipping(key string, req integration.ShippingRequest) []answer {
	cfg := s.cfg.Shipping
	t := s.begin(integration.Shipping, cfg.Behavior, req.RequestID)
	if t.repeat != nil {
		return t.repeat
	}
	if t.verdict == verdictDrop {
		return s.finish(integration.Shipping, req.Action, req.RequestID, outcomeDropped, nil)
	}
	res := integration.ShippingResult{
		RequestID: req.RequestID, OrderID: orderID(key, req.OrderID), CorrelationID: req.CorrelationID,
		ShipmentID: req.ShipmentID, Outcome: integration.OutcomeOK,
	}
	latency := cfg.Latency.draw(t.r)
	switch {
	case req.Action != integration.ShipDispatch:
		res.Outcome, res.Reason = integration.OutcomeFailed, "unknown shipping action "+quote(req.Action)
	case t.verdict == verdictUnavailable:
		res.Outcome, res.Reason = integration.OutcomeUnavailable, "carrier unavailable"
	case t.verdict == verdictFail:
		res.Outcome, res.Reason = integration.OutcomeFailed, "carrier refused the shipment"
	default:
		res.Status = integration.ShipmentShipped
		res.Carrier = cfg.Carriers[t.r.IntN(len(cfg.Carriers))]
		res.TrackingNumber = fmt.Sprintf("%s%010d", strings.ToUpper(res.Carrier[:min(2, len(res.Carrier))]), t.r.Int64N(10_000_000_000))
		res.TrackingURL = "https://tracking.example/" + res.Carrier + "/" + res.TrackingNumber
		s.stock.ship(res.OrderID, req.WarehouseID)
	}
	out := []answer{{after: latency, key: recordKey(key, req.OrderID), value: res}}
	s.finish(integration.Shipping, req.Action, req.RequestID, res.Outcome, out)
	if res.Status == integration.ShipmentShipped && cfg.DeliveryDelay >= 0 {
		delivered := res
		delivered.Status, delivered.ReceivedBy = integration.ShipmentDelivered, receivedBy(req.Recipient)
		out = append(out, answer{after: latency + cfg.DeliveryDelay, key: out[0].key, value: delivered})
	}
	return out
}

// notification records a NotificationRequest; it has no answer.
func (s *Simulators) notification(key string, req integration.NotificationRequest) {
	if first, _ := s.memos[integration.Notification].begin(req.RequestID); first != nil {
		s.metrics.repeated.WithLabelValues(string(integration.Notification)).Inc()
		return
	}
	s.memos[integration.Notification].remember(req.RequestID, []answer{})
	req.OrderID = orderID(key, req.OrderID)
	s.metrics.requests.WithLabelValues(string(integration.Notification), req.Template, outcomeReceived).Inc()
	s.log.Info("notification", "orderId", req.OrderID, "requestId", req.RequestID, "correlationId", req.CorrelationID,
		"template", req.Template, "channel", req.Channel, "customerId", req.CustomerID)
	s.notesMu.Lock()
	defer s.notesMu.Unlock()
	s.notes = append(s.notes, req)
	if over := len(s.notes) - s.cfg.Notification.Keep; over > 0 {
		s.notes = append(s.notes[:0:0], s.notes[over:]...)
	}
}

// orderID is the request's orderId field, or its record key when the field
// is empty.
func orderID(key, field string) string { return cmp.Or(field, key) }

// recordKey is the key of the request's record, which its results carry
// too, or its orderId field when the record has no key.
func recordKey(key, field string) string { return cmp.Or(key, field) }

func receivedBy(recipient string) string {
	if recipient != "" {
		return recipient
	}
	return "front desk"
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
