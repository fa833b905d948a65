package order

import "slices"

// Evolve folds one event into the state and returns the new state. It never
// fails: an event is a fact. Unknown payloads only advance the version. It
// never mutates slices shared with s.
func Evolve(s State, e Event) State {
	s.Version = e.Seq
	s.UpdatedAt = e.Time
	s.Recent = remember(s.Recent, e)

	switch d := e.Data.(type) {
	case OrderCreated:
		s.OrderID, s.OrderNumber, s.CustomerID, s.Currency = e.OrderID, d.OrderNumber, d.CustomerID, d.Currency
		s.Status = d.InitialStatus.Name
		s.CreatedAt = e.Time
	case OrderItemsAdded:
		s.Lines = slices.Clone(s.Lines)
		for _, it := range d.Items {
			if i, ok := s.line(it.ProductID); ok {
				s.Lines[i].Quantity += it.Quantity
				s.Lines[i].UnitPrice = it.UnitPrice
				continue
			}
			s.Lines = append(s.Lines, Line{ProductID: it.ProductID, Name: it.Name, Quantity: it.Quantity, UnitPrice: it.UnitPrice})
		}
	case OrderItemsRemoved:
		s.Lines = slices.DeleteFunc(slices.Clone(s.Lines), func(l Line) bool { return slices.Contains(d.ProductIDs, l.ProductID) })
	case OrderItemsUpdated:
		s.Lines = slices.Clone(s.Lines)
		for _, it := range d.Items {
			if i, ok := s.line(it.ProductID); ok {
				s.Lines[i].Quantity, s.Lines[i].UnitPrice = it.Quantity, it.UnitPrice
			}
		}
	case OrderStatusChanged:
		s.Status = d.NewStatus.Name
	case DiscountApplied:
		s.Discounts = append(slices.Clip(s.Discounts), Discount{Code: d.Code, Description: d.Description, PercentBps: d.PercentBps, FixedAmount: d.FixedAmount})
	case TaxCalculated:
		s.Tax = TaxInfo{Jurisdiction: d.Jurisdiction, RatePPM: d.RatePPM, Calculated: true}
	case ShippingDetailsUpdated:
		s.Shipping = &Shipping{RecipientName: d.RecipientName, Address: d.ShippingAddress, Method: d.ShippingMethod, Cost: d.ShippingCost, EstimatedDeliveryDate: d.EstimatedDeliveryDate}
	case ShippingAddressChanged:
		if s.Shipping != nil {
			sh := *s.Shipping
			sh.Address = d.NewAddress
			s.Shipping = &sh
		}
	case BillingDetailsUpdated:
		s.Billing = &Billing{Name: d.Name, Email: d.Email, Address: d.BillingAddress}
	default:
		s = evolveFulfillment(s, e)
	}
	return s
}

// evolveFulfillment folds payment, inventory, shipping, cancellation, return,
// note and flag events.
func evolveFulfillment(s State, e Event) State {
	switch d := e.Data.(type) {
	case PaymentInitiated:
		s.Payment = Payment{ID: d.PaymentID, Method: d.PaymentMethod, Status: PayInitiated, Amount: d.Amount, Failures: s.Payment.Failures}
	case PaymentAuthorized:
		s.Payment.Status, s.Payment.Authorized = PayAuthorized, d.Amount
	case PaymentCaptured:
		s.Payment.Status = PayCaptured
		s.Payment.Captured += d.Amount
	case PaymentFailed:
		s.Payment.Status = PayFailed
		s.Payment.Failures++
	case PaymentRefunded:
		s.Payment.Refunded += d.Amount
		s.Payment.RefundRequested = max(s.Payment.RefundRequested, s.Payment.Refunded)
	case RefundRequested:
		s.Payment.RefundRequested += d.Amount
	case InventoryReleased:
		s.Reservations = slices.DeleteFunc(slices.Clone(s.Reservations), func(r Reservation) bool { return r.ID == d.ReservationID })
	case OrderCancellationRequested:
		s.CancellationRequested = true
		s.CancelReason = d.Reason
	case OrderCancelled:
		s.CancelReason = d.Reason
	case ReturnRequested:
		s.Returns = append(slices.Clip(s.Returns), Return{ID: d.ReturnID, Items: d.Items, Reason: d.Reason})
		s.Lines = slices.Clone(s.Lines)
		for _, it := range d.Items {
			if i, ok := s.line(it.ProductID); ok {
				s.Lines[i].Returning += it.Quantity
			}
		}
	case ReturnReceived:
		s.Returns = slices.Clone(s.Returns)
		for i := range s.Returns {
			if s.Returns[i].ID == d.ReturnID {
				s.Returns[i].Received = true
			}
		}
	case CustomerNoteAdded:
		s.Notes = append(slices.Clip(s.Notes), Note{Text: d.Text, Author: d.Author, At: e.Time})
	case AdminNoteAdded:
		s.Notes = append(slices.Clip(s.Notes), Note{Admin: true, Text: d.Text, Author: d.Author, At: e.Time})
	case OrderFlagged:
		s.Flags = append(slices.Clip(s.Flags), Flag{Code: d.Code, Reason: d.Reason, RequiresApproval: d.RequiresApproval})
	case OrderApproved:
		s.Flags = slices.Clone(s.Flags)
		for i := range s.Flags {
			s.Flags[i].Approved = true
		}
	case NotificationSent:
		s.Notifications++
	default:
		s = evolveShipments(s, e)
	}
	return s
}

// evolveShipments folds reservation, backorder, shipment, tracking and
// delivery events.
func evolveShipments(s State, e Event) State {
	switch d := e.Data.(type) {
	case InventoryReserved:
		s.Reservations = append(slices.Clip(s.Reservations), Reservation{ID: d.ReservationID, Items: d.Items})
		// Reserved units cover backordered ones first: a reservation never
		// leaves reserved + backordered above the line's quantity.
		s.Lines = slices.Clone(s.Lines)
		for i, l := range s.Lines {
			if l.Backordered > 0 {
				s.Lines[i].Backordered = max(0, min(l.Backordered, l.Quantity-s.Reserved(l.ProductID)))
			}
		}
	case ItemsBackordered:
		s.Lines = slices.Clone(s.Lines)
		for _, it := range d.Items {
			if i, ok := s.line(it.ProductID); ok {
				s.Lines[i].Backordered += it.Quantity
			}
		}
	case ShipmentDispatched:
		s.Shipments = append(slices.Clip(s.Shipments), Shipment{ID: d.ShipmentID, WarehouseID: d.WarehouseID, Items: d.Items,
			Carrier: d.Carrier, TrackingNumber: d.TrackingNumber, TrackingURL: d.TrackingURL})
	case TrackingInformationAdded:
		s.Tracking = append(slices.Clip(s.Tracking), Tracking{ShipmentID: d.ShipmentID, Carrier: d.Carrier, TrackingNumber: d.TrackingNumber, TrackingURL: d.TrackingURL})
		if i := s.shipment(d.ShipmentID); i >= 0 {
			s.Shipments = slices.Clone(s.Shipments)
			s.Shipments[i].Carrier, s.Shipments[i].TrackingNumber, s.Shipments[i].TrackingURL = d.Carrier, d.TrackingNumber, d.TrackingURL
		}
	case OrderDelivered:
		// The status change that accompanies it (when the last shipment
		// arrives) records the order's delivery. Orders shipped before
		// SHIPMENT_DISPATCHED existed have no shipment to mark.
		if i := s.shipment(d.ShipmentID); i >= 0 {
			s.Shipments = slices.Clone(s.Shipments)
			s.Shipments[i].Delivered = true
		}
	}
	return s
}

// remember records the event's causing command in the recent-command window.
func remember(recent []RecentCommand, e Event) []RecentCommand {
	if e.CausationID == "" {
		return recent
	}
	if n := len(recent); n > 0 && recent[n-1].ID == e.CausationID {
		out := slices.Clone(recent)
		out[n-1].LastSeq = e.Seq
		return out
	}
	out := make([]RecentCommand, 0, min(len(recent)+1, RecentCommandWindow))
	if len(recent) >= RecentCommandWindow {
		recent = recent[len(recent)-RecentCommandWindow+1:]
	}
	out = append(out, recent...)
	return append(out, RecentCommand{ID: e.CausationID, FirstSeq: e.Seq, LastSeq: e.Seq})
}
