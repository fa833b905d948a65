package order

import (
	"fmt"
	"slices"
)

// Split and partial fulfillment: units out of stock are backordered, an
// order leaves as one or more shipments, and it is delivered when every
// shipment is and nothing is left to ship. docs/domain.md has the rules.

func (b *builder) backorderItems(d BackorderItems) error {
	avail := func(l Line) int64 { return l.Quantity - b.state.Reserved(l.ProductID) - l.Backordered }
	if err := b.quantities("data.items", d.Items, avail); err != nil {
		return err
	}
	if err := b.text("data.reason", d.Reason, false); err != nil {
		return err
	}
	reason := d.Reason
	if reason == "" {
		reason = "out of stock"
	}
	b.emit(ItemsBackordered{Items: d.Items, Reason: reason})
	return nil
}

func (b *builder) shipOrder(d ShipOrder) error {
	s := b.state
	switch {
	case s.AwaitingApproval():
		return reject(CodeApprovalRequired, "the order is flagged for review and ships only after ApproveOrder")
	case s.Shipping == nil:
		return precondition("the order has no shipping details; send UpdateShippingDetails first")
	case !s.FullyAllocated():
		return precondition("every unit must be reserved or backordered before shipping")
	case s.CancellationRequested:
		return precondition("cancellation was requested; the order must not ship")
	case s.Status == StatusShipped && len(s.Shipments) == 0:
		return precondition("the order shipped whole before shipments were recorded one by one; nothing is left to ship")
	}
	if err := b.room("shipments", len(s.Shipments)); err != nil {
		return err
	}
	id, err := b.shipmentID(d.ShipmentID)
	if err != nil {
		return err
	}
	if err := b.text("data.warehouseId", d.WarehouseID, false); err != nil {
		return err
	}
	items, err := b.shipmentItems(d)
	if err != nil {
		return err
	}
	tracked := d.TrackingNumber != "" || d.Carrier != ""
	if tracked {
		if err := b.room("tracking numbers", len(s.Tracking)); err != nil {
			return err
		}
		if err := b.text("data.carrier", d.Carrier, true); err != nil {
			return err
		}
		if err := b.text("data.trackingNumber", d.TrackingNumber, true); err != nil {
			return err
		}
	}
	if err := b.text("data.trackingUrl", d.TrackingURL, false); err != nil {
		return err
	}
	b.emit(ShipmentDispatched{ShipmentID: id, WarehouseID: d.WarehouseID, Items: items,
		Carrier: d.Carrier, TrackingNumber: d.TrackingNumber, TrackingURL: d.TrackingURL})
	if tracked {
		// Kept beside SHIPMENT_DISPATCHED for readers that predate it.
		if err := b.tracking(id, d.Carrier, d.TrackingNumber, d.TrackingURL, "data"); err != nil {
			return err
		}
	}
	if b.state.Status != StatusShipped {
		b.moveTo(StatusShipped, "handed to carrier")
	}
	return nil
}

// shipmentID checks a given shipment id, or makes "shipment-N" with N the
// number of shipments plus one (or the next free number).
func (b *builder) shipmentID(given string) (string, error) {
	if given != "" {
		if err := b.text("data.shipmentId", given, true); err != nil {
			return "", err
		}
		if b.state.shipment(given) >= 0 {
			return "", invalid("data.shipmentId", "shipment %s already exists", given)
		}
		return given, nil
	}
	for n := len(b.state.Shipments) + 1; ; n++ {
		if id := fmt.Sprintf("shipment-%d", n); b.state.shipment(id) < 0 {
			return id, nil
		}
	}
}

// shipmentItems returns the units a shipment carries: those given, each at
// most what is reserved and not yet shipped, or every such unit.
func (b *builder) shipmentItems(d ShipOrder) ([]ItemQuantity, error) {
	unshipped := func(l Line) int64 { return b.state.Reserved(l.ProductID) - b.state.Shipped(l.ProductID) }
	if len(d.Items) > 0 {
		if err := b.quantities("data.items", d.Items, unshipped); err != nil {
			return nil, err
		}
		items := slices.Clone(d.Items)
		for i := range items {
			if items[i].WarehouseID == "" {
				items[i].WarehouseID = d.WarehouseID
			}
		}
		return items, nil
	}
	var items []ItemQuantity
	for _, l := range b.state.Lines {
		if q := unshipped(l); q > 0 {
			items = append(items, ItemQuantity{ProductID: l.ProductID, Quantity: q, WarehouseID: d.WarehouseID})
		}
	}
	if len(items) == 0 {
		return nil, precondition("no reserved unit is left to ship; backordered units ship once they are reserved")
	}
	return items, nil
}

func (b *builder) deliverOrder(d DeliverOrder) error {
	if err := b.text("data.receivedBy", d.ReceivedBy, false); err != nil {
		return err
	}
	s := b.state
	if len(s.Shipments) == 0 {
		// Shipped whole, before shipments were recorded one by one.
		b.emit(OrderDelivered{ShipmentID: d.ShipmentID, ReceivedBy: d.ReceivedBy})
		b.moveTo(StatusDelivered, "delivered")
		return nil
	}
	id := d.ShipmentID
	if id == "" {
		switch open := s.UndeliveredShipments(); len(open) {
		case 0:
			return &Rejection{Code: CodePreconditionFailed, Field: "data.shipmentId",
				Message: "every shipment is delivered; the order waits for units not yet shipped"}
		case 1:
			id = open[0]
		default:
			return invalid("data.shipmentId", "is required while %d shipments are undelivered: %v", len(open), open)
		}
	}
	i := s.shipment(id)
	if i < 0 {
		return invalid("data.shipmentId", "shipment %q is not one of the order's", id)
	}
	if s.Shipments[i].Delivered {
		return &Rejection{Code: CodePreconditionFailed, Field: "data.shipmentId",
			Message: fmt.Sprintf("shipment %s was already delivered", id)}
	}
	b.emit(OrderDelivered{ShipmentID: id, ReceivedBy: d.ReceivedBy})
	if b.state.FullyShipped() && !slices.ContainsFunc(b.state.Shipments, func(sh Shipment) bool { return !sh.Delivered }) {
		b.moveTo(StatusDelivered, "delivered")
	}
	return nil
}
