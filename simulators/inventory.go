package simulators

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/orderlog/orderlog/integration"
)

// inventory is the simulated stock: units on hand per warehouse and product,
// and the reservations that hold units for orders. Held units are not on
// hand; releasing a reservation puts them back, shipping it takes them out
// of the building.
type inventory struct {
	mu           sync.Mutex
	warehouses   []string
	defaultStock int64
	onHand       map[string]map[string]int64 // warehouse -> product -> units; a missing product has defaultStock
	held         map[string][]integration.Allocation
	onChange     func(warehouse string, reserved int64) // metrics hook; may be nil
}

func newInventory(cfg InventoryConfig) *inventory {
	inv := &inventory{
		warehouses:   slices.Clone(cfg.Warehouses),
		defaultStock: cfg.DefaultStock,
		onHand:       make(map[string]map[string]int64, len(cfg.Warehouses)),
		held:         make(map[string][]integration.Allocation),
	}
	for _, w := range cfg.Warehouses {
		inv.onHand[w] = maps.Clone(cfg.Stock[w])
		if inv.onHand[w] == nil {
			inv.onHand[w] = make(map[string]int64)
		}
	}
	return inv
}

// available returns the units of product on hand at warehouse; the caller
// holds mu.
func (inv *inventory) available(warehouse, product string) int64 {
	units, ok := inv.onHand[warehouse][product]
	if !ok {
		return inv.defaultStock
	}
	return units
}

// stock is Simulators.Stock.
func (inv *inventory) stock(warehouse, product string) int64 {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if _, ok := inv.onHand[warehouse]; !ok {
		return 0
	}
	return inv.available(warehouse, product)
}

// reserved returns copies of the order's allocations.
func (inv *inventory) reserved(orderID string) []integration.Allocation {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return cloneAllocations(inv.held[orderID])
}

// reserve holds req.Items for the order, greedily from the warehouses in
// order (or only from an item's WarehouseID when it names one). When stock
// is short it holds what exists and backorders the rest if allowed, and
// otherwise holds nothing and answers FAILED.
func (inv *inventory) reserve(req integration.InventoryRequest) integration.InventoryResult {
	res := integration.InventoryResult{Outcome: integration.OutcomeOK}
	if len(req.Items) == 0 {
		return failed(res, "no items to reserve")
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	taken := make(map[[2]string]int64) // (warehouse, product) -> units this request takes
	byWarehouse := make(map[string][]integration.Item)
	for _, it := range req.Items {
		if it.Quantity <= 0 {
			return failed(res, fmt.Sprintf("product %s: quantity %d is not positive", it.ProductID, it.Quantity))
		}
		from := inv.warehouses
		if it.WarehouseID != "" {
			if !slices.Contains(inv.warehouses, it.WarehouseID) {
				return failed(res, fmt.Sprintf("product %s: unknown warehouse %s", it.ProductID, it.WarehouseID))
			}
			from = []string{it.WarehouseID}
		}
		need := it.Quantity
		for _, w := range from {
			k := [2]string{w, it.ProductID}
			n := min(need, inv.available(w, it.ProductID)-taken[k])
			if n <= 0 {
				continue
			}
			taken[k] += n
			need -= n
			byWarehouse[w] = addItem(byWarehouse[w], integration.Item{ProductID: it.ProductID, Quantity: n, WarehouseID: w})
			if need == 0 {
				break
			}
		}
		if need > 0 {
			if !req.AllowBackorder {
				return failed(res, fmt.Sprintf("product %s is short: %d requested, %d available", it.ProductID, it.Quantity, it.Quantity-need))
			}
			res.Backordered = addItem(res.Backordered, integration.Item{ProductID: it.ProductID, Quantity: need})
		}
	}
	for _, w := range inv.warehouses {
		items, ok := byWarehouse[w]
		if !ok {
			continue
		}
		for _, it := range items {
			inv.onHand[w][it.ProductID] = inv.available(w, it.ProductID) - it.Quantity
		}
		a := integration.Allocation{ReservationID: req.RequestID + "-" + w, WarehouseID: w, Items: items}
		res.Allocations = append(res.Allocations, a)
		inv.held[req.OrderID] = append(inv.held[req.OrderID], cloneAllocation(a))
		inv.changed(w)
	}
	return res
}

// release puts back the order's reservation named by req.ReservationID: an
// allocation's id, or the requestId of the RESERVE that made it (all of its
// warehouses); every reservation of the order when empty. Releasing what is
// not held is OK and changes nothing, so a repeated release is harmless.
// The result lists the allocations released.
func (inv *inventory) release(req integration.InventoryRequest) integration.InventoryResult {
	res := integration.InventoryResult{Outcome: integration.OutcomeOK}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	var kept []integration.Allocation
	for _, a := range inv.held[req.OrderID] {
		if !matchesReservation(a, req.ReservationID) {
			kept = append(kept, a)
			continue
		}
		for _, it := range a.Items {
			inv.onHand[a.WarehouseID][it.ProductID] = inv.available(a.WarehouseID, it.ProductID) + it.Quantity
		}
		res.Allocations = append(res.Allocations, a)
	}
	inv.setHeld(req.OrderID, kept)
	for _, a := range res.Allocations {
		inv.changed(a.WarehouseID)
	}
	return res
}

// restock puts returned items back on hand, at their WarehouseID or else
// the first warehouse. The result lists them per warehouse.
func (inv *inventory) restock(req integration.InventoryRequest) integration.InventoryResult {
	res := integration.InventoryResult{Outcome: integration.OutcomeOK}
	for _, it := range req.Items {
		if it.Quantity <= 0 {
			return failed(res, fmt.Sprintf("product %s: quantity %d is not positive", it.ProductID, it.Quantity))
		}
		if it.WarehouseID != "" && !slices.Contains(inv.warehouses, it.WarehouseID) {
			return failed(res, fmt.Sprintf("product %s: unknown warehouse %s", it.ProductID, it.WarehouseID))
		}
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	byWarehouse := make(map[string][]integration.Item)
	for _, it := range req.Items {
		w := cmp.Or(it.WarehouseID, inv.warehouses[0])
		inv.onHand[w][it.ProductID] = inv.available(w, it.ProductID) + it.Quantity
		byWarehouse[w] = addItem(byWarehouse[w], integration.Item{ProductID: it.ProductID, Quantity: it.Quantity, WarehouseID: w})
	}
	for _, w := range inv.warehouses {
		if items, ok := byWarehouse[w]; ok {
			res.Allocations = append(res.Allocations, integration.Allocation{WarehouseID: w, Items: items})
		}
	}
	return res
}

// ship takes the order's reservations at warehouse (every warehouse when
// empty) out of the building: they are no longer held, and not back on
// hand. A return comes back with RESTOCK.
func (inv *inventory) ship(orderID, warehouse string) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	var kept, shipped []integration.Allocation
	for _, a := range inv.held[orderID] {
		if warehouse != "" && a.WarehouseID != warehouse {
			kept = append(kept, a)
			continue
		}
		shipped = append(shipped, a)
	}
	inv.setHeld(orderID, kept)
	for _, a := range shipped {
		inv.changed(a.WarehouseID)
	}
}

func (inv *inventory) setHeld(orderID string, allocs []integration.Allocation) {
	if len(allocs) == 0 {
		delete(inv.held, orderID)
		return
	}
	inv.held[orderID] = allocs
}

// changed reports the units now held at warehouse to onChange; the caller
// holds mu. It walks every reservation: fine for a simulator.
func (inv *inventory) changed(warehouse string) {
	if inv.onChange == nil {
		return
	}
	var n int64
	for _, allocs := range inv.held {
		for _, a := range allocs {
			if a.WarehouseID == warehouse {
				for _, it := range a.Items {
					n += it.Quantity
				}
			}
		}
	}
	inv.onChange(warehouse, n)
}

func matchesReservation(a integration.Allocation, id string) bool {
	return id == "" || a.ReservationID == id || a.ReservationID == id+"-"+a.WarehouseID
}

// addItem adds it to items, merging it into an item of the same product.
func addItem(items []integration.Item, it integration.Item) []integration.Item {
	for i := range items {
		if items[i].ProductID == it.ProductID {
			items[i].Quantity += it.Quantity
			return items
		}
	}
	return append(items, it)
}

func failed(res integration.InventoryResult, reason string) integration.InventoryResult {
	res.Outcome, res.Reason = integration.OutcomeFailed, reason
	res.Allocations, res.Backordered = nil, nil
	return res
}

func cloneAllocation(a integration.Allocation) integration.Allocation {
	a.Items = slices.Clone(a.Items)
	return a
}

func cloneAllocations(as []integration.Allocation) []integration.Allocation {
	if as == nil {
		return nil
	}
	out := make([]integration.Allocation, len(as))
	for i, a := range as {
		out[i] = cloneAllocation(a)
	}
	return out
}
