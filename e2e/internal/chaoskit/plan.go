package chaoskit

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
)

// Planned is one command record the load sends, with the result that a single
// pass of order.Decide over its order's commands predicts.
type Planned struct {
	Cmd    order.Command
	Value  []byte
	Want   order.ResultStatus
	Code   order.Code
	Resend bool // the same record as an earlier one of this order
}

// plan is the whole load: every order's commands, and the order of sending.
type Plan struct {
	ByOrder map[string][]*Planned // per order, in the order they are sent
	Sends   []*Planned            // every record, orders interleaved
	Orders  int                   // orders that get created
}

// OracleTime stamps commands in the oracle; no rule of these commands depends
// on the time.
var OracleTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// NewPlan makes orders full lifecycles (9 commands each) plus, at random,
// commands the rules reject and resends of accepted commands, and a few
// commands for orders that never exist. Orders are interleaved, about window
// of them in flight at a time.
func NewPlan(runID string, orders, window int, rng *rand.Rand) (*Plan, error) {
	p := &Plan{ByOrder: map[string][]*Planned{}}
	var queues [][]*Planned
	for i := range orders {
		id := fmt.Sprintf("%s-o%05d", runID, i)
		seq, err := orderCommands(id, rng)
		if err != nil {
			return nil, err
		}
		p.ByOrder[id] = seq
		queues = append(queues, seq)
		p.Orders++
		if rng.IntN(50) == 0 {
			ghost := id + "-ghost"
			seq, err := decideAll(ghost, []order.Command{newCommand(ghost, 0, order.AddCustomerNote{Text: "anyone there?"})}, nil)
			if err != nil {
				return nil, err
			}
			p.ByOrder[ghost] = seq
			queues = append(queues, seq)
		}
	}
	active, next := []int{}, 0
	for len(active) > 0 || next < len(queues) {
		for len(active) < window && next < len(queues) {
			active = append(active, next)
			next++
		}
		k := rng.IntN(len(active))
		q := active[k]
		p.Sends = append(p.Sends, queues[q][0])
		if queues[q] = queues[q][1:]; len(queues[q]) == 0 {
			active = slices.Delete(active, k, k+1)
		}
	}
	return p, nil
}

// orderCommands is one order's commands with their predicted results.
func orderCommands(id string, rng *rand.Rand) ([]*Planned, error) {
	cmds := lifecycle(id)
	n := len(cmds)
	if rng.IntN(4) == 0 { // a command the rules reject, somewhere after the creation
		bad := []order.CommandData{
			order.CreateOrder{CustomerID: "cust-again", Currency: "USD"},
			order.DeliverOrder{ReceivedBy: "too early"},
			order.CapturePayment{PaymentID: "pay-unknown"},
		}
		c := newCommand(id, n, bad[rng.IntN(len(bad))])
		if rng.IntN(3) == 0 {
			v := int64(999)
			c = newCommand(id, n, order.AddCustomerNote{Text: "stale"})
			c.ExpectedVersion = &v
		}
		at := 1 + rng.IntN(len(cmds)-2)
		cmds = slices.Insert(cmds, at, c)
	}
	seq, err := decideAll(id, cmds, nil)
	if err != nil || rng.IntN(4) != 0 {
		return seq, err
	}
	// A resend of an earlier accepted command, soon after it: a duplicate.
	// And, in some orders, of a rejected one, later: rejected again, as
	// the order remembers what it refused for its whole life.
	var accepted, rejected []int
	for i, p := range seq[:len(seq)-1] {
		switch p.Want {
		case order.ResultAccepted:
			accepted = append(accepted, i)
		case order.ResultRejected:
			rejected = append(rejected, i)
		}
	}
	of := accepted[rng.IntN(len(accepted))]
	resends := map[int]int{of + 1 + rng.IntN(min(4, len(cmds)-of)): of}
	if len(rejected) > 0 && rng.IntN(2) == 0 {
		r := rejected[rng.IntN(len(rejected))]
		if at := r + 1 + rng.IntN(len(cmds)-r-1); at != of && resendsFree(resends, at) {
			resends[at] = r
		}
	}
	return decideAll(id, cmds, resends)
}

// decideAll predicts the result of each command with order.Decide, folding
// the events as the processor does. resends maps a position to the earlier
// command sent again there.
func decideAll(id string, cmds []order.Command, resends map[int]int) ([]*Planned, error) {
	var out []*Planned
	var state order.State
	dec := order.Decider{Policy: order.DefaultPolicy()}
	decide := func(c order.Command, resend bool) error {
		c.Time = OracleTime
		var res order.CommandResult
		state, _, res = dec.Handle(state, c)
		c.Time = time.Time{}
		v, err := schemas.CommandJSON(c)
		if err != nil {
			return fmt.Errorf("order %s command %s: %w", id, c.ID, err)
		}
		out = append(out, &Planned{Cmd: c, Value: v, Want: res.Status, Code: res.Code, Resend: resend})
		return nil
	}
	for i, c := range cmds {
		if j, ok := resends[i]; ok {
			if err := decide(cmds[j], true); err != nil {
				return nil, err
			}
		}
		if err := decide(c, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func resendsFree(m map[int]int, at int) bool {
	_, taken := m[at]
	return !taken
}

func newCommand(orderID string, n int, data order.CommandData) order.Command {
	return order.Command{ID: fmt.Sprintf("%s-c%02d", orderID, n), Type: data.CommandType(), OrderID: orderID,
		CorrelationID: orderID, Data: data}
}

// lifecycle is one order from creation to delivery, as in processor's tests.
func lifecycle(id string) []order.Command {
	addr := order.Address{Line1: "1 Main St", City: "New York", State: "NY", PostalCode: "10001", Country: "US"}
	data := []order.CommandData{
		order.CreateOrder{CustomerID: "cust-" + id, Currency: "USD", Items: []order.LineItem{{ProductID: "sku-1", Quantity: 2, UnitPrice: 1999}}},
		order.UpdateShippingDetails{ShippingInput: order.ShippingInput{RecipientName: "Jane", Address: addr}},
		order.PlaceOrder{},
		order.InitiatePayment{PaymentID: "pay-" + id, PaymentMethod: "CARD"},
		order.AuthorizePayment{PaymentID: "pay-" + id, Amount: 1_000_000},
		order.ReserveInventory{ReservationID: "res-" + id, Items: []order.ItemQuantity{{ProductID: "sku-1", Quantity: 2}}},
		order.CapturePayment{PaymentID: "pay-" + id},
		order.ShipOrder{Carrier: "UPS", TrackingNumber: "1Z-" + id},
		order.DeliverOrder{ReceivedBy: "Jane"},
	}
	out := make([]order.Command, len(data))
	for i, d := range data {
		out[i] = newCommand(id, i, d)
	}
	return out
}
