package order

import (
	"math/bits"
	"slices"
)

func (b *builder) reserveInventory(d ReserveInventory) error {
	if err := b.room("reservations", len(b.state.Reservations)); err != nil {
		return err
	}
	if err := b.text("data.reservationId", d.ReservationID, true); err != nil {
		return err
	}
	if slices.ContainsFunc(b.state.Reservations, func(r Reservation) bool { return r.ID == d.ReservationID }) {
		return invalid("data.reservationId", "reservation %s already exists", d.ReservationID)
	}
	unreserved := func(l Line) int64 { return l.Quantity - b.state.Reserved(l.ProductID) }
	if err := b.quantities("data.items", d.Items, unreserved); err != nil {
		return err
	}
	b.emit(InventoryReserved{ReservationID: d.ReservationID, Items: d.Items})
	return nil
}

func (b *builder) releaseInventory(d ReleaseInventory) error {
	var released []Reservation
	for _, r := range b.state.Reservations {
		if d.ReservationID == "" || r.ID == d.ReservationID {
			released = append(released, r)
		}
	}
	if len(released) == 0 {
		if d.ReservationID != "" {
			return invalid("data.reservationId", "reservation %q is not held by the order", d.ReservationID)
		}
		return precondition("the order holds no inventory reservation")
	}
	if b.state.Status == StatusConfirmed {
		return precondition("inventory of a confirmed order is released only by cancelling it")
	}
	reason := d.Reason
	if reason == "" {
		reason = "released on request"
	}
	for _, r := range released {
		b.emit(InventoryReleased{ReservationID: r.ID, Items: r.Items, Reason: reason})
	}
	return nil
}

func (b *builder) tracking(shipmentID, carrier, number, url, field string) error {
	if err := b.room("tracking numbers", len(b.state.Tracking)); err != nil {
		return err
	}
	if err := b.text(field+".carrier", carrier, true); err != nil {
		return err
	}
	if err := b.text(field+".trackingNumber", number, true); err != nil {
		return err
	}
	if shipmentID == "" {
		shipmentID = "shipment-1"
	}
	b.emit(TrackingInformationAdded{ShipmentID: shipmentID, Carrier: carrier, TrackingNumber: number, TrackingURL: url})
	return nil
}

func (b *builder) addTracking(d AddTracking) error {
	return b.tracking(d.ShipmentID, d.Carrier, d.TrackingNumber, d.TrackingURL, "data")
}

func (b *builder) requestReturn(d RequestReturn) error {
	if err := b.room("returns", len(b.state.Returns)); err != nil {
		return err
	}
	if err := b.text("data.returnId", d.ReturnID, true); err != nil {
		return err
	}
	if slices.ContainsFunc(b.state.Returns, func(r Return) bool { return r.ID == d.ReturnID }) {
		return invalid("data.returnId", "return %s already exists", d.ReturnID)
	}
	if err := b.text("data.reason", d.Reason, true); err != nil {
		return err
	}
	returnable := func(l Line) int64 { return l.Quantity - l.Returning }
	if err := b.quantities("data.items", d.Items, returnable); err != nil {
		return err
	}
	b.emit(ReturnRequested{ReturnID: d.ReturnID, Items: d.Items, Reason: d.Reason})
	b.moveTo(StatusReturnRequested, "return requested: "+d.Reason)
	return nil
}

// receiveReturn records the items back and asks to refund them: their share
// of the subtotal after discounts, plus the tax on it; shipping is kept.
func (b *builder) receiveReturn(d ReceiveReturn) error {
	i := slices.IndexFunc(b.state.Returns, func(r Return) bool { return r.ID == d.ReturnID })
	if i < 0 {
		return invalid("data.returnId", "return %q was not requested", d.ReturnID)
	}
	ret := b.state.Returns[i]
	if ret.Received {
		return precondition("return %s was already received", ret.ID)
	}
	refund := min(b.returnValue(ret.Items), b.state.Payment.Refundable())
	b.emit(ReturnReceived{ReturnID: ret.ID, Items: ret.Items, RefundAmount: refund})
	if refund > 0 {
		b.emit(RefundRequested{RefundID: "refund-" + ret.ID, Amount: refund, Currency: b.state.Currency,
			Reason: "return " + ret.ID + ": " + ret.Reason, ReturnID: ret.ID})
	}
	if !slices.ContainsFunc(b.state.Returns, func(r Return) bool { return !r.Received }) {
		b.moveTo(StatusReturned, "returned items received")
	}
	return nil
}

func (b *builder) returnValue(items []ItemQuantity) int64 {
	t := b.state.Totals()
	if t.Subtotal == 0 {
		return 0
	}
	var gross int64
	for _, it := range items {
		if li, ok := b.state.line(it.ProductID); ok {
			gross += it.Quantity * b.state.Lines[li].UnitPrice
		}
	}
	net := gross - mulDiv(t.Discount, gross, t.Subtotal)
	return net + mulRate(net, b.state.Tax.RatePPM)
}

// mulDiv returns a*b/c rounded down for 0 <= a <= c, 0 <= b, in 128-bit
// arithmetic so the product cannot overflow.
func mulDiv(a, b, c int64) int64 {
	if a <= 0 || b <= 0 || c <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}

func (b *builder) addNote(text string, admin bool) error {
	if err := b.room("notes", len(b.state.Notes)); err != nil {
		return err
	}
	if err := b.text("data.text", text, true); err != nil {
		return err
	}
	if admin {
		b.emit(AdminNoteAdded{Text: text, Author: b.cmd.UserID})
	} else {
		b.emit(CustomerNoteAdded{Text: text, Author: b.cmd.UserID})
	}
	return nil
}

func (b *builder) flagOrder(d FlagOrder) error {
	if err := b.room("flags", len(b.state.Flags)); err != nil {
		return err
	}
	if err := b.text("data.code", d.Code, true); err != nil {
		return err
	}
	if err := b.text("data.reason", d.Reason, true); err != nil {
		return err
	}
	b.emit(OrderFlagged{Code: d.Code, Reason: d.Reason, RequiresApproval: d.RequiresApproval, FlaggedBy: b.cmd.UserID})
	return nil
}

func (b *builder) approveOrder(d ApproveOrder) error {
	if !b.state.AwaitingApproval() {
		return precondition("the order is not waiting for approval")
	}
	if err := b.text("data.comment", d.Comment, false); err != nil {
		return err
	}
	b.emit(OrderApproved{ApprovedBy: b.cmd.UserID, Comment: d.Comment})
	return nil
}

func (b *builder) recordNotification(d RecordNotification) error {
	for _, f := range []struct{ name, v string }{
		{"data.notificationId", d.NotificationID}, {"data.channel", d.Channel}, {"data.template", d.Template},
	} {
		if err := b.text(f.name, f.v, true); err != nil {
			return err
		}
	}
	b.emit(NotificationSent{NotificationID: d.NotificationID, Channel: d.Channel, Template: d.Template, Recipient: d.Recipient})
	return nil
}
