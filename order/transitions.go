package order

import (
	"fmt"
	"slices"
	"strings"
)

// Transition says in which statuses a command is allowed and where it takes
// the order. It is the single source of truth for the lifecycle: Decide
// refuses a command whose status is not in From, and docs/domain.md draws
// the diagram from this table.
type Transition struct {
	Command CommandType
	From    []Status
	// To is the status the command moves the order to; StatusNone means the
	// status does not change.
	To Status
}

var (
	beforeShipment = []Status{StatusDraft, StatusPlaced, StatusConfirmed}
	inPayment      = []Status{StatusPlaced, StatusConfirmed}
	afterCapture   = []Status{StatusConfirmed, StatusShipped, StatusDelivered, StatusCancelled, StatusReturnRequested, StatusReturned}
	openStatuses   = []Status{StatusDraft, StatusPlaced, StatusConfirmed, StatusShipped, StatusDelivered, StatusReturnRequested}
	anyStatus      = Statuses
)

// Transitions is the lifecycle table, one row per command type.
var Transitions = []Transition{
	{CmdCreateOrder, []Status{StatusNone}, StatusDraft},
	{CmdAddItems, []Status{StatusDraft}, StatusNone},
	{CmdRemoveItems, []Status{StatusDraft}, StatusNone},
	{CmdUpdateItems, []Status{StatusDraft}, StatusNone},
	{CmdApplyDiscount, []Status{StatusDraft}, StatusNone},
	{CmdCalculateTax, []Status{StatusDraft, StatusPlaced}, StatusNone},
	{CmdPlaceOrder, []Status{StatusDraft}, StatusPlaced},
	{CmdUpdateShippingDetails, beforeShipment, StatusNone},
	{CmdChangeShippingAddress, beforeShipment, StatusNone},
	{CmdUpdateBillingDetails, beforeShipment, StatusNone},
	{CmdInitiatePayment, []Status{StatusPlaced}, StatusNone},
	{CmdAuthorizePayment, []Status{StatusPlaced}, StatusNone},
	{CmdFailPayment, []Status{StatusPlaced}, StatusNone},
	{CmdCapturePayment, []Status{StatusPlaced}, StatusConfirmed},
	{CmdReserveInventory, inPayment, StatusNone},
	{CmdReleaseInventory, inPayment, StatusNone},
	{CmdAddTracking, []Status{StatusConfirmed, StatusShipped}, StatusNone},
	{CmdShipOrder, []Status{StatusConfirmed}, StatusShipped},
	{CmdDeliverOrder, []Status{StatusShipped}, StatusDelivered},
	{CmdRequestCancellation, inPayment, StatusNone},
	{CmdCancelOrder, beforeShipment, StatusCancelled},
	{CmdRequestReturn, []Status{StatusDelivered, StatusReturned}, StatusReturnRequested},
	{CmdReceiveReturn, []Status{StatusReturnRequested}, StatusReturned},
	{CmdRequestRefund, afterCapture, StatusNone},
	{CmdRecordRefund, afterCapture, StatusNone},
	{CmdAddCustomerNote, anyStatus, StatusNone},
	{CmdAddAdminNote, anyStatus, StatusNone},
	{CmdRecordNotification, anyStatus, StatusNone},
	{CmdFlagOrder, openStatuses, StatusNone},
	{CmdApproveOrder, []Status{StatusDraft, StatusPlaced, StatusConfirmed}, StatusNone},
}

var transitionByCommand = func() map[CommandType]Transition {
	m := make(map[CommandType]Transition, len(Transitions))
	for _, t := range Transitions {
		m[t.Command] = t
	}
	return m
}()

// TransitionFor returns the table row of a command type.
func TransitionFor(c CommandType) (Transition, bool) {
	t, ok := transitionByCommand[c]
	return t, ok
}

// Allows reports whether the command may run in status s.
func (t Transition) Allows(s Status) bool { return slices.Contains(t.From, s) }

// AllowedCommands lists the commands allowed in status s, in table order.
func AllowedCommands(s Status) []CommandType {
	var out []CommandType
	for _, t := range Transitions {
		if t.Allows(s) {
			out = append(out, t.Command)
		}
	}
	return out
}

func (t Transition) refusal(s Status) *Rejection {
	from := make([]string, len(t.From))
	for i, f := range t.From {
		from[i] = string(f)
	}
	return reject(CodeInvalidTransition, "%s is not allowed while the order is %s; it needs the order to be %s",
		t.Command, s, strings.Join(from, " or "))
}

// Mermaid renders the status-changing rows of the table as a Mermaid state
// diagram.
func Mermaid() string {
	var b strings.Builder
	b.WriteString("stateDiagram-v2\n")
	b.WriteString("    [*] --> DRAFT: CreateOrder\n")
	for _, t := range Transitions {
		if t.To == StatusNone || t.Command == CmdCreateOrder {
			continue
		}
		for _, f := range t.From {
			fmt.Fprintf(&b, "    %s --> %s: %s\n", f, t.To, t.Command)
		}
	}
	for _, s := range Statuses {
		if s.Terminal() {
			fmt.Fprintf(&b, "    %s --> [*]\n", s)
		}
	}
	return b.String()
}
