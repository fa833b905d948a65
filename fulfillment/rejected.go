package fulfillment

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/order"
)

// The saga reads the results of its own commands (order.command-results,
// keyed by orderId like everything else the saga reads). A command the order
// refused is handled by what the step table says for its step: the order is
// flagged with a code naming the step and the reason, the customer is told,
// and, where money or stock would otherwise stay held for an order that
// cannot go on, the order is cancelled, whose cancellation voids, refunds and
// releases (see orderCancelled).

// CommandIDPrefix starts the id of every command the saga sends for orderID.
func CommandIDPrefix(orderID string) string { return "saga-" + orderID + "-" }

// Concerns reports whether res is a rejection of one of the saga's own
// commands: the only results the saga acts on. Accepted and duplicate
// results, and results of other senders' commands, change nothing.
func Concerns(res order.CommandResult) bool {
	return res.Status == order.ResultRejected && strings.HasPrefix(res.CommandID, CommandIDPrefix(res.OrderID))
}

// RejectionAction is what the saga does about a rejection of its command.
type RejectionAction string

// The actions, from doing nothing to cancelling the order.
const (
	// RejectionIgnored: the order moved on (cancelled, its cancellation
	// requested, a newer status or payment): the cancellation path already
	// compensates what the refused command would have recorded.
	RejectionIgnored RejectionAction = "ignored"
	// RejectionLogged: a record the saga keeps on the order (a notification,
	// a note, a flag) was refused; nothing is held by it, and flagging its
	// refusal could refuse again.
	RejectionLogged RejectionAction = "logged"
	// RejectionFlagged: the order is flagged (an admin note on a closed
	// order) and the customer told; a person takes over.
	RejectionFlagged RejectionAction = "flagged"
	// RejectionCancelled: flagged, told, and the order cancelled: an
	// authorization is voided, a capture refunded, stock released.
	RejectionCancelled RejectionAction = "cancelled"
)

// rejectionSteps names the step of each command the saga sends whose
// refusal it acts on, for the flag code SAGA_<STEP>_REJECTED.
var rejectionSteps = map[order.CommandType]string{
	order.CmdInitiatePayment:  "PAYMENT",
	order.CmdAuthorizePayment: "PAYMENT",
	order.CmdFailPayment:      "PAYMENT",
	order.CmdReserveInventory: "RESERVE",
	order.CmdBackorderItems:   "RESERVE",
	order.CmdCapturePayment:   "CAPTURE",
	order.CmdShipOrder:        "SHIP",
	order.CmdDeliverOrder:     "DELIVER",
	order.CmdRecordRefund:     "REFUND",
	order.CmdCancelOrder:      "CANCEL",
}

// RejectionCode is the flag code of a refused command of step: it says
// which step was refused; the flag's reason says why.
func RejectionCode(step string) string { return "SAGA_" + step + "_REJECTED" }

// Judge says what the saga does about res, a rejection of one of its
// commands (Concerns), on the order as s knows it, and the step it belongs
// to ("" for a record). The binding logs and counts with it; React acts on
// it.
func Judge(s State, res order.CommandResult) (step string, action RejectionAction) {
	step = rejectionSteps[res.CommandType]
	o := s.Order
	switch {
	case step == "":
		return "", RejectionLogged
	case s.Step == StepCancelled || o.Status == order.StatusCancelled || o.CancellationRequested:
		return step, RejectionIgnored
	case res.Code == order.CodeInvalidTransition && res.CommandType != order.CmdCancelOrder:
		// A status the saga has not read yet (the order's events and its
		// results are different topics): a cancellation, which
		// compensates, or a step already taken.
		return step, RejectionIgnored
	case res.CommandType == order.CmdFailPayment &&
		(res.Field == "data.paymentId" || o.Payment.Status == order.PayCaptured || o.Payment.Status == order.PayFailed):
		// A payment replaced by a newer one, or one the order already
		// knows the end of: the failure adds nothing.
		return step, RejectionIgnored
	}
	switch step {
	case "PAYMENT", "RESERVE", "CAPTURE", "SHIP":
		if cancellable(o.Status) {
			return step, RejectionCancelled
		}
	}
	return step, RejectionFlagged
}

// cancellable reports whether CancelOrder is allowed in status.
func cancellable(st order.Status) bool {
	t, _ := order.TransitionFor(order.CmdCancelOrder)
	return t.Allows(st)
}

// maxRefused bounds the rejections waiting for the order's events.
const maxRefused = 20

// result takes the order's answer to a command: a rejection of the saga's
// own is judged on the order as it was when it refused, so one the saga's
// view has not reached yet waits in Refused for the order's events.
func (r *reaction) result(res order.CommandResult) {
	if !Concerns(res) || res.OrderID != r.s.OrderID {
		return
	}
	if res.Version > r.s.Order.Version && len(r.s.Refused) < maxRefused {
		r.s.Refused = append(r.s.Refused, res)
		return
	}
	r.rejected(res)
}

// judgeRefused judges the waiting rejections the saga's view of the order
// has reached, oldest first.
func (r *reaction) judgeRefused() {
	for len(r.s.Refused) > 0 && r.s.Refused[0].Version <= r.s.Order.Version {
		res := r.s.Refused[0]
		r.s.Refused = slices.Delete(r.s.Refused, 0, 1)
		r.rejected(res)
	}
}

// rejected acts on a rejection of one of the saga's commands.
func (r *reaction) rejected(res order.CommandResult) {
	step, action := Judge(r.s, res)
	r.out = append(r.out, Output{Refusal: &Refusal{Result: res, Step: step, Action: action, ViewVersion: r.s.Order.Version}})
	key := strings.TrimPrefix(res.CommandID, CommandIDPrefix(r.s.OrderID))
	why := string(res.CommandType) + " " + key + " rejected: " + string(res.Code) + ": "
	if res.Field != "" {
		why += res.Field + ": "
	}
	why += res.Message
	r.s.note(why + " (" + string(action) + ")")
	if action == RejectionIgnored || action == RejectionLogged {
		return
	}
	if res.CommandType == order.CmdReserveInventory {
		r.releaseRefused(strings.TrimPrefix(key, "reserve-"))
	}
	rkey := shortKey("rejected-" + key)
	// The customer is told of a problem, not of its outcome: the saga's
	// view of the order may be behind the order (its events and its
	// results are different topics), so a cancellation asked for here may
	// itself be refused. ORDER_CANCELLED, when it comes, is told as ever.
	r.notify("order-problem-"+strings.ToLower(step),
		"there is a problem with your order ("+strings.ToLower(step)+" refused); we are on it and will let you know")
	if action == RejectionCancelled {
		r.flagOrNote(RejectionCode(step), rkey, why+"; the saga asks to cancel the order (void, refund, release)")
		r.command("cancel-"+rkey, order.CancelOrder{Reason: "the saga's " + string(res.CommandType) + " was refused: " + string(res.Code)})
		return
	}
	r.flagOrNote(RejectionCode(step), rkey, why+"; needs a person")
}

// releaseRefused gives back an allocation the order refused to record.
func (r *reaction) releaseRefused(reservationID string) {
	i := slices.IndexFunc(r.s.Unrecorded, func(a integration.Allocation) bool { return a.ReservationID == reservationID })
	if i < 0 {
		return
	}
	a := r.s.Unrecorded[i]
	r.s.Unrecorded = slices.Delete(r.s.Unrecorded, i, i+1)
	r.undo(Request{ID: r.s.OrderID + "-release-" + a.ReservationID, System: integration.Inventory,
		Action: integration.InvRelease, ReservationID: a.ReservationID, Items: a.Items}, "reservation "+a.ReservationID+" released: the order refused it")
}

// shortKey keeps a command key within the id limit: a key that would make
// too long an id is replaced by a digest of it.
func shortKey(key string) string {
	const max = 96
	if len(key) <= max {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "h-" + hex.EncodeToString(sum[:12])
}
