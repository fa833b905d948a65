package order

import "errors"

// Handle is the one entry point the processor calls per command: it decides
// c against the order's state st and returns the state to write, the events
// to write and the result to write. In order, it
//
//  1. moves the window of recent commands into the lifelong memory (a state
//     written before the memory existed);
//  2. checks the command's ids (commandId, orderId): a command without
//     valid ids is rejected and not remembered;
//  3. answers a command id the order already handled with its original
//     result, decided again never (DUPLICATE with the original version
//     and event ids, or the original rejection, REJECTED again);
//  4. checks the limits and decides (Decide's checks and rules), folds the
//     events into the state and remembers the outcome in it: every accepted
//     command, and a rejection of an order that exists while the state
//     stays below Policy.MaxStateBytes - Policy.StateReserveBytes;
//  5. refuses, with LIMIT_EXCEEDED and no events, a command whose resulting
//     state (its memory included) would outgrow Policy.MaxStateBytes.
//
// next is st itself when nothing must be written; Changed(st, next) tells
// the caller whether next must be written to order.state. Every event id
// appears once: an accepted command is never accepted again.
func (d Decider) Handle(st State, c Command) (next State, events []Event, res CommandResult) {
	cur := carryOverRecent(st)
	var b builder
	err := d.decide(&b, cur, c)
	if err == nil {
		next = b.state
		next.Recent = nil
		next.Handled = cur.Handled.withAccepted(AcceptedCommand{Fingerprint: Fingerprint(c.ID), Version: next.Version, Events: int64(len(b.events))})
		if err = d.Policy.checkBudget(&next); err == nil {
			return next, b.events, ResultOf(c, cur.Version, b.events, nil)
		}
	}
	res = ResultOf(c, cur.Version, nil, err)
	var rej *Rejection
	if !errors.As(err, &rej) || errors.As(err, new(*Duplicate)) || !cur.Exists() || cur.OrderID != c.OrderID || checkIDs(c) != nil {
		return cur, nil, res // nothing to remember: a duplicate, no order, or no valid ids
	}
	remembered := cur
	remembered.Handled = cur.Handled.withRejected(RejectedCommand{Fingerprint: Fingerprint(c.ID), Version: cur.Version,
		Code: res.Code, Field: res.Field, Message: res.Message})
	if EncodedSizeBound(remembered) > d.Policy.rejectionMark() {
		return cur, nil, res // the rejection share of the budget is full: answered, not remembered
	}
	return remembered, nil, res
}

// Changed reports whether next, which Handle returned for prev, must be
// written to order.state: it has new events, or remembers another command,
// or Handle moved its window of recent commands into the lifelong memory.
func Changed(prev, next State) bool {
	return prev.Version != next.Version || prev.Handled.Len() != next.Handled.Len() || len(prev.Recent) != len(next.Recent)
}
