package order

import "fmt"

func (b *builder) initiatePayment(d InitiatePayment) error {
	if err := b.text("data.paymentId", d.PaymentID, true); err != nil {
		return err
	}
	if err := b.text("data.paymentMethod", d.PaymentMethod, true); err != nil {
		return err
	}
	switch b.state.Payment.Status {
	case PayNone, PayFailed:
	default:
		return precondition("payment %s is already %s", b.state.Payment.ID, b.state.Payment.Status)
	}
	total := b.state.Totals().Total
	if total <= 0 {
		return precondition("the order total is %s; there is nothing to pay", FormatMoney(total, b.state.Currency))
	}
	b.emit(PaymentInitiated{PaymentID: d.PaymentID, Amount: total, Currency: b.state.Currency, PaymentMethod: d.PaymentMethod})
	return nil
}

// samePayment checks that a gateway answer is about the current payment.
func (b *builder) samePayment(id string, want ...PaymentStatus) error {
	p := b.state.Payment
	if id != p.ID || p.ID == "" {
		return invalid("data.paymentId", "payment %q is not the order's current payment %q", id, p.ID)
	}
	for _, w := range want {
		if p.Status == w {
			return nil
		}
	}
	return precondition("payment %s is %s, expected %v", p.ID, p.Status, want)
}

func (b *builder) authorizePayment(d AuthorizePayment) error {
	if err := b.samePayment(d.PaymentID, PayInitiated); err != nil {
		return err
	}
	if err := positive("data.amount", d.Amount); err != nil {
		return err
	}
	if d.Amount < b.state.Payment.Amount {
		return invalid("data.amount", "authorization of %s does not cover the payment of %s",
			FormatMoney(d.Amount, b.state.Currency), FormatMoney(b.state.Payment.Amount, b.state.Currency))
	}
	b.emit(PaymentAuthorized{PaymentID: d.PaymentID, Amount: d.Amount, Currency: b.state.Currency, ProcessorReference: d.ProcessorReference})
	return nil
}

func (b *builder) capturePayment(d CapturePayment) error {
	if err := b.samePayment(d.PaymentID, PayAuthorized); err != nil {
		return err
	}
	if !b.state.FullyAllocated() {
		return precondition("every unit must be reserved or backordered before payment is captured")
	}
	p := b.state.Payment
	amount := d.Amount
	if amount == 0 {
		amount = p.Amount
	}
	if amount > p.Authorized {
		return overLimit("data.amount", "capture of %s is above the authorization of %s",
			FormatMoney(amount, b.state.Currency), FormatMoney(p.Authorized, b.state.Currency))
	}
	if amount != p.Amount {
		return invalid("data.amount", "capture of %s must equal the payment of %s",
			FormatMoney(amount, b.state.Currency), FormatMoney(p.Amount, b.state.Currency))
	}
	b.emit(PaymentCaptured{PaymentID: p.ID, Amount: amount, Currency: b.state.Currency, PaymentMethod: p.Method,
		ProcessorReference: d.ProcessorReference, ProcessorResponseCode: d.ProcessorResponseCode, Last4: d.Last4, CardBrand: d.CardBrand})
	b.moveTo(StatusConfirmed, "payment captured")
	return nil
}

func (b *builder) failPayment(d FailPayment) error {
	if err := b.samePayment(d.PaymentID, PayInitiated, PayAuthorized); err != nil {
		return err
	}
	if err := b.text("data.reason", d.Reason, true); err != nil {
		return err
	}
	b.emit(PaymentFailed{PaymentID: d.PaymentID, Amount: b.state.Payment.Amount, Currency: b.state.Currency,
		Reason: d.Reason, Code: d.Code, Retryable: d.Retryable})
	return nil
}

func (b *builder) requestRefund(d RequestRefund) error {
	if err := b.text("data.refundId", d.RefundID, true); err != nil {
		return err
	}
	if err := b.text("data.reason", d.Reason, true); err != nil {
		return err
	}
	if err := positive("data.amount", d.Amount); err != nil {
		return err
	}
	if r := b.state.Payment.Refundable(); d.Amount > r {
		return overLimit("data.amount", "refund of %s is above the %s that was captured and not yet refunded",
			FormatMoney(d.Amount, b.state.Currency), FormatMoney(r, b.state.Currency))
	}
	b.emit(RefundRequested{RefundID: d.RefundID, Amount: d.Amount, Currency: b.state.Currency, Reason: d.Reason})
	return nil
}

func (b *builder) recordRefund(d RecordRefund) error {
	if err := b.text("data.refundId", d.RefundID, true); err != nil {
		return err
	}
	if err := positive("data.amount", d.Amount); err != nil {
		return err
	}
	p := b.state.Payment
	if left := p.Captured - p.Refunded; d.Amount > left {
		return overLimit("data.amount", "refund of %s is above the %s captured and not yet refunded",
			FormatMoney(d.Amount, b.state.Currency), FormatMoney(left, b.state.Currency))
	}
	b.emit(PaymentRefunded{PaymentID: p.ID, RefundID: d.RefundID, Amount: d.Amount, Currency: b.state.Currency,
		Reason: d.Reason, ProcessorReference: d.ProcessorReference})
	return nil
}

func (b *builder) requestCancellation(d RequestCancellation) error {
	if b.state.CancellationRequested {
		return precondition("cancellation was already requested")
	}
	if err := b.text("data.reason", d.Reason, true); err != nil {
		return err
	}
	b.emit(OrderCancellationRequested{Reason: d.Reason, RequestedBy: b.cmd.UserID})
	return nil
}

// cancelOrder releases every reservation, asks back what was captured and not
// yet refunded, and cancels.
func (b *builder) cancelOrder(d CancelOrder) error {
	if err := b.text("data.reason", d.Reason, true); err != nil {
		return err
	}
	for _, r := range b.state.Reservations {
		b.emit(InventoryReleased{ReservationID: r.ID, Items: r.Items, Reason: "order cancelled"})
	}
	refund := b.state.Payment.Refundable()
	if refund > 0 {
		b.emit(RefundRequested{RefundID: fmt.Sprintf("refund-%s-cancel", b.cmd.OrderID), Amount: refund,
			Currency: b.state.Currency, Reason: "order cancelled: " + d.Reason})
	}
	b.emit(OrderCancelled{Reason: d.Reason, RefundAmount: refund, Currency: b.state.Currency})
	b.moveTo(StatusCancelled, d.Reason)
	return nil
}
