package simulators

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/integration"
	"github.com/orderlog/orderlog/topics"
)

// newTest returns simulators on the default config with no latency and the
// given changes; they are never connected, the tests call the systems'
// deciding methods directly.
func newTest(t *testing.T, change func(*Config)) *Simulators {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Brokers = []string{"127.0.0.1:1"}
	cfg.Topics = topics.NewNames("")
	cfg.Logger = testLogger()
	cfg.Payment.Latency, cfg.Inventory.Latency, cfg.Shipping.Latency = Latency{}, Latency{}, Latency{}
	if change != nil {
		change(&cfg)
	}
	s, err := New(cfg)
	require.NoError(t, err)
	return s
}

// withStock sets two warehouses, east and west, with the given stock and no
// default.
func withStock(stock map[string]map[string]int64) func(*Config) {
	return func(c *Config) {
		c.Inventory.Warehouses = []string{"east", "west"}
		c.Inventory.Stock = stock
		c.Inventory.DefaultStock = 0
	}
}

func inv(t *testing.T, s *Simulators, req integration.InventoryRequest) integration.InventoryResult {
	t.Helper()
	out := s.inventory(req.OrderID, req)
	require.Len(t, out, 1)
	return out[0].value.(integration.InventoryResult)
}

func reserve(id, order string, backorder bool, items ...integration.Item) integration.InventoryRequest {
	return integration.InventoryRequest{RequestID: id, OrderID: order, CorrelationID: "c-" + order,
		Action: integration.InvReserve, Items: items, AllowBackorder: backorder}
}

func item(p string, q int64) integration.Item { return integration.Item{ProductID: p, Quantity: q} }

func itemAt(p string, q int64, w string) integration.Item {
	return integration.Item{ProductID: p, Quantity: q, WarehouseID: w}
}

func TestReserveTakesStockGreedilyFromWarehousesInOrder(t *testing.T) {
	s := newTest(t, withStock(map[string]map[string]int64{
		"east": {"sku-1": 3},
		"west": {"sku-1": 10, "sku-2": 2},
	}))
	res := inv(t, s, reserve("r1", "o1", false, item("sku-1", 5), item("sku-2", 2)))

	require.Equal(t, integration.OutcomeOK, res.Outcome, res.Reason)
	want := []integration.Allocation{
		{ReservationID: "r1-east", WarehouseID: "east", Items: []integration.Item{itemAt("sku-1", 3, "east")}},
		{ReservationID: "r1-west", WarehouseID: "west", Items: []integration.Item{itemAt("sku-1", 2, "west"), itemAt("sku-2", 2, "west")}},
	}
	require.Equal(t, want, res.Allocations)
	require.Empty(t, res.Backordered)
	require.Equal(t, want, s.Reserved("o1"))
	require.Equal(t, "r1", res.RequestID)
	require.Equal(t, "o1", res.OrderID)
	require.Equal(t, "c-o1", res.CorrelationID)
	require.Equal(t, integration.InvReserve, res.Action)
	for _, c := range []struct {
		w, p string
		n    int64
	}{{"east", "sku-1", 0}, {"west", "sku-1", 8}, {"west", "sku-2", 0}, {"east", "sku-2", 0}} {
		require.Equal(t, c.n, s.Stock(c.w, c.p), "%s %s", c.w, c.p)
	}
}

func TestReserveCountsTheSameProductTwiceInOneRequest(t *testing.T) {
	s := newTest(t, withStock(map[string]map[string]int64{"east": {"sku-1": 3}, "west": {"sku-1": 3}}))
	res := inv(t, s, reserve("r1", "o1", false, item("sku-1", 2), item("sku-1", 2)))
	require.Equal(t, integration.OutcomeOK, res.Outcome, res.Reason)
	require.Equal(t, []integration.Allocation{
		{ReservationID: "r1-east", WarehouseID: "east", Items: []integration.Item{itemAt("sku-1", 3, "east")}},
		{ReservationID: "r1-west", WarehouseID: "west", Items: []integration.Item{itemAt("sku-1", 1, "west")}},
	}, res.Allocations)
}

func TestReserveShortWithoutBackorderFailsAndHoldsNothing(t *testing.T) {
	s := newTest(t, withStock(map[string]map[string]int64{"east": {"sku-1": 3, "sku-2": 1}, "west": {"sku-2": 1}}))
	res := inv(t, s, reserve("r1", "o1", false, item("sku-1", 1), item("sku-2", 5)))

	require.Equal(t, integration.OutcomeFailed, res.Outcome)
	require.Contains(t, res.Reason, "sku-2")
	require.Contains(t, res.Reason, "5 requested, 2 available")
	require.Empty(t, res.Allocations)
	require.Empty(t, s.Reserved("o1"))
	require.EqualValues(t, 3, s.Stock("east", "sku-1"))
	require.EqualValues(t, 1, s.Stock("east", "sku-2"))
	require.EqualValues(t, 1, s.Stock("west", "sku-2"))
}

func TestReserveShortWithBackorderHoldsWhatExistsAndBackordersTheRest(t *testing.T) {
	s := newTest(t, withStock(map[string]map[string]int64{"east": {"sku-1": 1}, "west": {"sku-1": 2}}))
	res := inv(t, s, reserve("r1", "o1", true, item("sku-1", 5), item("sku-9", 4)))

	require.Equal(t, integration.OutcomeOK, res.Outcome, res.Reason)
	require.Equal(t, []integration.Allocation{
		{ReservationID: "r1-east", WarehouseID: "east", Items: []integration.Item{itemAt("sku-1", 1, "east")}},
		{ReservationID: "r1-west", WarehouseID: "west", Items: []integration.Item{itemAt("sku-1", 2, "west")}},
	}, res.Allocations)
	require.Equal(t, []integration.Item{item("sku-1", 2), item("sku-9", 4)}, res.Backordered)
	require.EqualValues(t, 0, s.Stock("east", "sku-1"))
	require.EqualValues(t, 0, s.Stock("west", "sku-1"))
}

func TestReserveDefaultStockAppliesPerWarehouse(t *testing.T) {
	s := newTest(t, func(c *Config) {
		withStock(map[string]map[string]int64{"east": {"sku-1": 1}})(c)
		c.Inventory.DefaultStock = 4
	})
	res := inv(t, s, reserve("r1", "o1", false, item("sku-1", 3), item("sku-2", 6)))
	require.Equal(t, integration.OutcomeOK, res.Outcome, res.Reason)
	require.Equal(t, []integration.Allocation{
		{ReservationID: "r1-east", WarehouseID: "east", Items: []integration.Item{itemAt("sku-1", 1, "east"), itemAt("sku-2", 4, "east")}},
		{ReservationID: "r1-west", WarehouseID: "west", Items: []integration.Item{itemAt("sku-1", 2, "west"), itemAt("sku-2", 2, "west")}},
	}, res.Allocations)
	require.EqualValues(t, 2, s.Stock("west", "sku-1"))
	require.EqualValues(t, 2, s.Stock("west", "sku-2"))
}

func TestReserveFromTheWarehouseAnItemNames(t *testing.T) {
	s := newTest(t, withStock(map[string]map[string]int64{"east": {"sku-1": 5}, "west": {"sku-1": 5}}))
	res := inv(t, s, reserve("r1", "o1", false, itemAt("sku-1", 2, "west")))
	require.Equal(t, integration.OutcomeOK, res.Outcome, res.Reason)
	require.Equal(t, []integration.Allocation{
		{ReservationID: "r1-west", WarehouseID: "west", Items: []integration.Item{itemAt("sku-1", 2, "west")}},
	}, res.Allocations)

	res = inv(t, s, reserve("r2", "o2", false, itemAt("sku-1", 4, "west")))
	require.Equal(t, integration.OutcomeFailed, res.Outcome, "west has 3 left; east must not be used")
	res = inv(t, s, reserve("r3", "o3", false, itemAt("sku-1", 1, "north")))
	require.Equal(t, integration.OutcomeFailed, res.Outcome)
	require.Contains(t, res.Reason, "unknown warehouse north")
}

func TestReserveRejectsEmptyAndNonPositiveRequests(t *testing.T) {
	s := newTest(t, nil)
	for name, req := range map[string]integration.InventoryRequest{
		"no items":      reserve("r1", "o1", false),
		"zero quantity": reserve("r2", "o2", false, item("sku-1", 0)),
		"negative":      reserve("r3", "o3", true, item("sku-1", -2)),
	} {
		res := inv(t, s, req)
		require.Equal(t, integration.OutcomeFailed, res.Outcome, name)
		require.Empty(t, s.Reserved(req.OrderID), name)
	}
}

func TestReleaseGivesBackWhatTheReservationHeld(t *testing.T) {
	stock := map[string]map[string]int64{"east": {"sku-1": 2}, "west": {"sku-1": 10}}
	tests := []struct {
		name          string
		reservationID string
		wantReleased  []string // reservation ids
		wantEast      int64
		wantWest      int64
		wantHeld      int
	}{
		{name: "one allocation by its id", reservationID: "r1-west", wantReleased: []string{"r1-west"}, wantEast: 0, wantWest: 6, wantHeld: 2},
		{name: "a RESERVE's allocations by its requestId", reservationID: "r1", wantReleased: []string{"r1-east", "r1-west"}, wantEast: 2, wantWest: 6, wantHeld: 1},
		{name: "everything the order holds", reservationID: "", wantReleased: []string{"r1-east", "r1-west", "r2-west"}, wantEast: 2, wantWest: 7, wantHeld: 0},
		{name: "an unknown reservation", reservationID: "nope", wantEast: 0, wantWest: 5, wantHeld: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTest(t, withStock(stock))
			require.Equal(t, integration.OutcomeOK, inv(t, s, reserve("r1", "o1", false, item("sku-1", 3))).Outcome)
			require.Equal(t, integration.OutcomeOK, inv(t, s, reserve("r2", "o1", false, item("sku-1", 1))).Outcome)
			require.Equal(t, integration.OutcomeOK, inv(t, s, reserve("r3", "o2", false, item("sku-1", 3))).Outcome)
			// east 2-2 (r1), west 10-1 (r1) -1 (r2) -3 (o2's r3)
			require.EqualValues(t, 0, s.Stock("east", "sku-1"))
			require.EqualValues(t, 5, s.Stock("west", "sku-1"))

			rel := integration.InventoryRequest{RequestID: "rel", OrderID: "o1", Action: integration.InvRelease, ReservationID: tc.reservationID}
			res := inv(t, s, rel)
			require.Equal(t, integration.OutcomeOK, res.Outcome)
			var released []string
			for _, a := range res.Allocations {
				released = append(released, a.ReservationID)
			}
			require.Equal(t, tc.wantReleased, released)
			require.Equal(t, tc.wantEast, s.Stock("east", "sku-1"))
			require.Equal(t, tc.wantWest, s.Stock("west", "sku-1"))
			require.Len(t, s.Reserved("o1"), tc.wantHeld)
			require.Len(t, s.Reserved("o2"), 1, "another order's reservation is untouched")

			// Releasing again (a new request) gives back nothing more.
			rel.RequestID = "rel-again"
			again := inv(t, s, rel)
			require.Equal(t, integration.OutcomeOK, again.Outcome)
			require.Empty(t, again.Allocations)
			require.Equal(t, tc.wantEast, s.Stock("east", "sku-1"))
			require.Equal(t, tc.wantWest, s.Stock("west", "sku-1"))
		})
	}
}

func TestRestockPutsItemsBackAtTheirWarehouseOrTheFirst(t *testing.T) {
	s := newTest(t, withStock(map[string]map[string]int64{"east": {"sku-1": 1}, "west": {"sku-1": 1}}))
	res := inv(t, s, integration.InventoryRequest{RequestID: "rs", OrderID: "o1", Action: integration.InvRestock,
		Items: []integration.Item{item("sku-1", 2), itemAt("sku-1", 3, "west"), item("sku-7", 1)}})
	require.Equal(t, integration.OutcomeOK, res.Outcome, res.Reason)
	require.EqualValues(t, 3, s.Stock("east", "sku-1"))
	require.EqualValues(t, 4, s.Stock("west", "sku-1"))
	require.EqualValues(t, 1, s.Stock("east", "sku-7"))
	require.Equal(t, []integration.Allocation{
		{WarehouseID: "east", Items: []integration.Item{itemAt("sku-1", 2, "east"), itemAt("sku-7", 1, "east")}},
		{WarehouseID: "west", Items: []integration.Item{itemAt("sku-1", 3, "west")}},
	}, res.Allocations)

	bad := inv(t, s, integration.InventoryRequest{RequestID: "rs2", OrderID: "o1", Action: integration.InvRestock,
		Items: []integration.Item{item("sku-1", 2), itemAt("sku-1", 1, "north")}})
	require.Equal(t, integration.OutcomeFailed, bad.Outcome)
	require.EqualValues(t, 3, s.Stock("east", "sku-1"), "a refused restock changes nothing")
}

func TestShipmentTakesTheReservationOutOfTheWarehouse(t *testing.T) {
	s := newTest(t, withStock(map[string]map[string]int64{"east": {"sku-1": 1}, "west": {"sku-1": 5}}))
	require.Equal(t, integration.OutcomeOK, inv(t, s, reserve("r1", "o1", false, item("sku-1", 3))).Outcome)

	out := s.shipping("o1", integration.ShippingRequest{RequestID: "d1", OrderID: "o1", Action: integration.ShipDispatch, WarehouseID: "west"})
	require.Equal(t, integration.ShipmentShipped, out[0].value.(integration.ShippingResult).Status)
	require.Equal(t, []integration.Allocation{
		{ReservationID: "r1-east", WarehouseID: "east", Items: []integration.Item{itemAt("sku-1", 1, "east")}},
	}, s.Reserved("o1"), "only the west reservation shipped")
	require.EqualValues(t, 3, s.Stock("west", "sku-1"), "shipped units do not come back on hand")

	// Releasing after shipping gives back only what is still held.
	res := inv(t, s, integration.InventoryRequest{RequestID: "rel", OrderID: "o1", Action: integration.InvRelease})
	require.Len(t, res.Allocations, 1)
	require.EqualValues(t, 1, s.Stock("east", "sku-1"))
	require.EqualValues(t, 3, s.Stock("west", "sku-1"))
	require.Empty(t, s.Reserved("o1"))
}

func TestReservedUnitsMetricFollowsTheReservations(t *testing.T) {
	s := newTest(t, withStock(map[string]map[string]int64{"east": {"sku-1": 2}, "west": {"sku-1": 5}}))
	inv(t, s, reserve("r1", "o1", false, item("sku-1", 4)))
	require.EqualValues(t, 2, gauge(t, s.metrics.reservedUnits.WithLabelValues("east")))
	require.EqualValues(t, 2, gauge(t, s.metrics.reservedUnits.WithLabelValues("west")))
	inv(t, s, integration.InventoryRequest{RequestID: "rel", OrderID: "o1", Action: integration.InvRelease, ReservationID: "r1-east"})
	require.EqualValues(t, 0, gauge(t, s.metrics.reservedUnits.WithLabelValues("east")))
	require.EqualValues(t, 2, gauge(t, s.metrics.reservedUnits.WithLabelValues("west")))
}

func testNames() topics.Names { return topics.NewNames("") }

// testLogger discards logs unless ORDERLOG_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("ORDERLOG_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
