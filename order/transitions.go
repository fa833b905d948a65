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
	// Partial marks a command that may also leave the status as it is: a
	// step towards To that is not the last one (DeliverOrder of one of
	// several shipments).
	Partial bool
}

var (
	beforeShipment = []Status{StatusDraft, StatusPlaced, StatusConfirmed}
	inPayment      = []Status{StatusPlaced, StatusConfirmed}
	inFulfillment  = []Status{StatusPlaced, StatusConfirmed, StatusShipped}
	afterCapture   = []Status{StatusConfirmed, StatusShipped, StatusDelivered, StatusCancelled, StatusReturnRequested, StatusReturned}
	openStatuses   = []Status{StatusDraft, StatusPlaced, StatusConfirmed, StatusShipped, StatusDelivered, StatusReturnRequested}
	anyStatus      = Statuses
)

// Transitions is the lifecycle table, one row per command type: command,
// allowed while, moves to, partial.
var Transitions = []Transition{
	{CmdCreateOrder, []Status{StatusNone}, StatusDraft, false},
	{CmdAddItems, []Status{StatusDraft}, StatusNone, false},
	{CmdRemoveItems, []Status{StatusDraft}, StatusNone, false},
	{CmdUpdateItems, []Status{StatusDraft}, StatusNone, false},
	{CmdApplyDiscount, []Status{StatusDraft}, StatusNone, false},
	{CmdCalculateTax, []Status{StatusDraft, StatusPlaced}, StatusNone, false},
	{CmdPlaceOrder, []Status{StatusDraft}, StatusPlaced, false},
	{CmdUpdateShippingDetails, beforeShipment, StatusNone, false},
	{CmdChangeShippingAddress, beforeShipment, StatusNone, false},
	{CmdUpdateBillingDetails, beforeShipment, StatusNone, false},
	{CmdInitiatePayment, []Status{StatusPlaced}, StatusNone, false},
	{CmdAuthorizePayment, []Status{StatusPlaced}, StatusNone, false},
	{CmdFailPayment, []Status{StatusPlaced}, StatusNone, false},
	{CmdCapturePayment, []Status{StatusPlaced}, StatusConfirmed, false},
	{CmdReserveInventory, inFulfillment, StatusNone, false},
	{CmdReleaseInventory, inPayment, StatusNone, false},
	{CmdAddTracking, []Status{StatusConfirmed, StatusShipped}, StatusNone, false},
	{CmdShipOrder, []Status{StatusConfirmed, StatusShipped}, StatusShipped, false},
	{CmdDeliverOrder, []Status{StatusShipped}, StatusDelivered, true},
	{CmdRequestCancellation, inPayment, StatusNone, false},
	{CmdCancelOrder, beforeShipment, StatusCancelled, false},
	{CmdRequestReturn, []Status{StatusDelivered, StatusReturned}, StatusReturnRequested, false},
	{CmdReceiveReturn, []Status{StatusReturnRequested}, StatusReturned, false},
	{CmdRequestRefund, afterCapture, StatusNone, false},
	{CmdRecordRefund, afterCapture, StatusNone, false},
	{CmdAddCustomerNote, anyStatus, StatusNone, false},
	{CmdAddAdminNote, anyStatus, StatusNone, false},
	{CmdRecordNotification, anyStatus, StatusNone, false},
	{CmdFlagOrder, openStatuses, StatusNone, false},
	{CmdApproveOrder, []Status{StatusDraft, StatusPlaced, StatusConfirmed, StatusShipped}, StatusNone, false},
	{CmdBackorderItems, inPayment, StatusNone, false},
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
			if t.Partial && f != t.To {
				fmt.Fprintf(&b, "    %s --> %s: %s (partial)\n", f, f, t.Command)
			}
		}
	}
	for _, s := range Statuses {
		if s.Terminal() {
			fmt.Fprintf(&b, "    %s --> [*]\n", s)
		}
	}
	return b.String()
}
