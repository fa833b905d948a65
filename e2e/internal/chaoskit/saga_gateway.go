package chaoskit

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/fulfillment"
	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/saga"
)

// paymentTrail is what the (simulated) gateway confirmed for one payment.
type paymentTrail struct{ authorized, captured, voided, refunded bool }

// Gateway is what the (simulated) payment gateway answered OK, read from
// payment.results: per order, per payment.
type Gateway struct {
	serdes   saga.Serdes
	trails   map[string]map[string]*paymentTrail
	Problems []string
}

// NewGateway is an empty record of payment.results.
func NewGateway(s saga.Serdes) *Gateway {
	return &Gateway{serdes: s, trails: map[string]map[string]*paymentTrail{}}
}

// Add notes one record of payment.results.
func (g *Gateway) Add(r *kgo.Record) {
	res, err := g.serdes.PaymentRes.Decode(r.Value)
	if err != nil {
		g.Problems = append(g.Problems, fmt.Sprintf("payment result at %d@%d: %v", r.Partition, r.Offset, err))
		return
	}
	if res.Outcome != integration.OutcomeOK {
		return
	}
	if g.trails[res.OrderID] == nil {
		g.trails[res.OrderID] = map[string]*paymentTrail{}
	}
	p := g.trails[res.OrderID][res.PaymentID]
	if p == nil {
		p = &paymentTrail{}
		g.trails[res.OrderID][res.PaymentID] = p
	}
	switch res.Action {
	case integration.PayAuthorize:
		p.authorized = true
	case integration.PayCapture:
		p.captured = true
	case integration.PayVoid:
		p.voided = true
	case integration.PayRefund:
		p.refunded = true
	}
}

// MoneyLeft lists the payments of an order whose money the gateway still
// holds although the order does not keep it: every payment of a cancelled
// order, and every payment but the captured one of any other. A capture
// must have been refunded, an authorization voided (or captured and
// refunded) — unless the saga gave up on that and said so.
func (g *Gateway) MoneyLeft(o *OrderLog, orderID string) []string {
	if refundHandedOver(o) {
		return nil
	}
	trails := g.trails[orderID]
	var out []string
	for _, id := range slices.Sorted(maps.Keys(trails)) {
		p := trails[id]
		if o.State.Status != order.StatusCancelled && o.State.Payment.ID == id && o.State.Payment.Captured > 0 {
			continue // the order's own payment
		}
		switch {
		case p.captured && !p.refunded:
			out = append(out, fmt.Sprintf("payment %s captured at the gateway, never refunded", id))
		case p.authorized && !p.captured && !p.voided:
			out = append(out, fmt.Sprintf("payment %s authorized at the gateway, never voided", id))
		}
	}
	return out
}

// SagaCommandOutcomes counts the results of the saga's own commands (ids
// fulfillment.CommandIDPrefix of their order; not the customers', whose
// ids also start with "saga-" in these runs) that were not accepted, by
// command type and status/code, from order.command-results, with two
// examples of each.
func SagaCommandOutcomes(s processor.Serdes, recs []*kgo.Record) (counts map[string]int, examples, problems []string) {
	out := map[string]int{}
	for _, r := range recs {
		res, err := s.Results.Decode(r.Value)
		if err != nil {
			problems = append(problems, fmt.Sprintf("result at %d@%d: %v", r.Partition, r.Offset, err))
			continue
		}
		if !strings.HasPrefix(res.CommandID, fulfillment.CommandIDPrefix(res.OrderID)) || res.Status == order.ResultAccepted {
			continue
		}
		k := fmt.Sprintf("%s %s %s", res.CommandType, res.Status, res.Code)
		if out[k] < 2 {
			examples = append(examples, fmt.Sprintf("%s: %s at version %d: %s", res.CommandID, k, res.Version, res.Message))
		}
		out[k]++
	}
	return out, examples, problems
}
