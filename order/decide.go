package order

import (
	"fmt"
	"time"
)

// ServiceID is the serviceId stamped on events this package emits.
const ServiceID = "orderlog"

// Decider decides commands under a Policy.
type Decider struct {
	Policy Policy
}

var defaultDecider = Decider{Policy: DefaultPolicy()}

// Decide decides a command under the default policy.
func Decide(s State, c Command) ([]Event, error) { return defaultDecider.Decide(s, c) }

// Decide checks c against s and returns the events that record what happened,
// or a *Rejection, or a *Duplicate when c.ID was already handled. It is pure:
// the same state and command always give the same result. It checks the
// limits (Validate) before the rules, and refuses a command whose resulting
// state would outgrow the policy's budget (LIMIT_EXCEEDED). The processor
// calls Handle, which also remembers what it decided.
func (d Decider) Decide(s State, c Command) ([]Event, error) {
	var b builder
	if err := d.decide(&b, s, c); err != nil {
		return nil, err
	}
	if err := d.Policy.checkBudget(&b.state); err != nil {
		return nil, err
	}
	return b.events, nil
}

// decide runs Decide's checks and rules but the budget, in b: the events
// and the state they fold to. b is the caller's, so that it can live on
// the caller's stack (a State is large, and a builder is made per
// command).
func (d Decider) decide(b *builder, s State, c Command) error {
	if err := checkIDs(c); err != nil {
		return err
	}
	if s.Exists() && s.OrderID != c.OrderID {
		return invalid("orderId", "command for order %s was given the state of order %s", c.OrderID, quoteShort(s.OrderID))
	}
	if dup := s.recall(c); dup != nil {
		return dup
	}
	if err := d.validateRest(c); err != nil {
		return err
	}
	switch {
	case !s.Exists() && c.Type != CmdCreateOrder:
		return reject(CodeOrderNotFound, "order %s does not exist", c.OrderID)
	case s.Exists() && c.Type == CmdCreateOrder:
		return reject(CodeOrderAlreadyExists, "order %s already exists", c.OrderID)
	}
	if c.ExpectedVersion != nil && *c.ExpectedVersion != s.Version {
		return &Rejection{Code: CodeVersionConflict, Field: "expectedVersion",
			Message: fmt.Sprintf("order is at version %d, the command expected %d", s.Version, *c.ExpectedVersion)}
	}
	t, _ := TransitionFor(c.Type)
	if !t.Allows(s.Status) {
		return t.refusal(s.Status)
	}
	*b = builder{policy: d.Policy, cmd: c, state: s}
	return b.dispatch()
}

// builder accumulates the events of one decision, folding each into a working
// state so later checks and totals see earlier effects.
type builder struct {
	policy Policy // a copy: a pointer to the Decider's would move the Decider to the heap at every command
	cmd    Command
	state  State
	events []Event
}

type totalsCarrier interface{ withTotals(Totals) EventData }

func (b *builder) emit(d EventData) {
	corr := b.cmd.CorrelationID
	if corr == "" {
		corr = b.cmd.ID
	}
	e := Event{
		ID:            EventID(b.cmd.OrderID, b.cmd.ID, len(b.events)),
		OrderID:       b.cmd.OrderID,
		Type:          d.EventType(),
		Seq:           b.state.Version + 1,
		Time:          b.cmd.Time,
		Data:          d,
		UserID:        b.cmd.UserID,
		ServiceID:     ServiceID,
		CorrelationID: corr,
		CausationID:   b.cmd.ID,
	}
	b.state = Evolve(b.state, e)
	if t, ok := d.(totalsCarrier); ok {
		e.Data = t.withTotals(b.state.Totals())
	}
	b.events = append(b.events, e)
}

func (b *builder) moveTo(to Status, reason string) {
	trigger := "USER"
	if IsSystemUser(b.cmd.UserID) {
		trigger = "SYSTEM"
	}
	b.emit(OrderStatusChanged{PreviousStatus: b.state.Status.Ref(), NewStatus: to.Ref(), Reason: reason, TriggerType: trigger})
}

func (b *builder) now() time.Time { return b.cmd.Time }

func (b *builder) dispatch() error {
	switch d := b.cmd.Data.(type) {
	case CreateOrder:
		return b.createOrder(d)
	case AddItems:
		return b.addItems(d)
	case RemoveItems:
		return b.removeItems(d)
	case UpdateItems:
		return b.updateItems(d)
	case ApplyDiscount:
		return b.applyDiscount(d)
	case CalculateTax:
		return b.calculateTax(d)
	case PlaceOrder:
		return b.placeOrder()
	case UpdateShippingDetails:
		return b.updateShipping(d.ShippingInput, "data")
	case ChangeShippingAddress:
		return b.changeShippingAddress(d)
	case UpdateBillingDetails:
		return b.updateBilling(d.BillingInput, "data")
	default:
		return b.dispatchFulfillment()
	}
}

func (b *builder) dispatchFulfillment() error {
	switch d := b.cmd.Data.(type) {
	case InitiatePayment:
		return b.initiatePayment(d)
	case AuthorizePayment:
		return b.authorizePayment(d)
	case CapturePayment:
		return b.capturePayment(d)
	case FailPayment:
		return b.failPayment(d)
	case RequestRefund:
		return b.requestRefund(d)
	case RecordRefund:
		return b.recordRefund(d)
	case RequestCancellation:
		return b.requestCancellation(d)
	case CancelOrder:
		return b.cancelOrder(d)
	case ReserveInventory:
		return b.reserveInventory(d)
	case ReleaseInventory:
		return b.releaseInventory(d)
	case AddTracking:
		return b.addTracking(d)
	case ShipOrder:
		return b.shipOrder(d)
	case DeliverOrder:
		return b.deliverOrder(d)
	case RequestReturn:
		return b.requestReturn(d)
	case ReceiveReturn:
		return b.receiveReturn(d)
	default:
		return b.dispatchRecords()
	}
}

func (b *builder) dispatchRecords() error {
	switch d := b.cmd.Data.(type) {
	case AddCustomerNote:
		return b.addNote(d.Text, false)
	case AddAdminNote:
		return b.addNote(d.Text, true)
	case FlagOrder:
		return b.flagOrder(d)
	case ApproveOrder:
		return b.approveOrder(d)
	case RecordNotification:
		return b.recordNotification(d)
	case BackorderItems:
		return b.backorderItems(d)
	}
	return invalid("type", "no rule decides %s", b.cmd.Type)
}
