package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

// sendAll sends each command with --wait and returns the last version of
// each order.
func (c *cluster) sendAll(t *testing.T, cmds ...string) map[string]int64 {
	t.Helper()
	versions := map[string]int64{}
	for _, cmd := range cmds {
		r := c.ctl(t, cmd, "send", "--wait", "--output", "json")
		var res order.CommandResult
		if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &res) != nil || res.Status != order.ResultAccepted {
			t.Fatalf("send %s: exit %d %s %s", cmd, r.code, r.stdout, r.stderr)
		}
		versions[res.OrderID] = res.Version
	}
	return versions
}

func createFor(cmdID, orderID, customer string) string {
	return fmt.Sprintf(`{"commandId":%q,"type":"CreateOrder","orderId":%q,"data":{"customerId":%q,"currency":"USD"}}`, cmdID, orderID, customer)
}

// listFixture: o-1 (cust-1, 2 x 9.99 USD, PLACED), o-2 (cust-1, DRAFT) and
// o-3 (cust-2, DRAFT), created in that order, projected into miniredis.
func listFixture(t *testing.T) (*cluster, []string) {
	t.Helper()
	return listFixtureOn(t, standalone(miniredis.RunT(t).Addr()))
}

// listFixtureOn is listFixture on a Redis of the caller's; the flags are
// --redis-addr, --redis-prefix, --redis-pointer-key and --redis-mode, in
// that order, each with its value.
func listFixtureOn(t *testing.T, rs projections.RedisSettings) (*cluster, []string) {
	t.Helper()
	c := newCluster(t, 2)
	c.startProcessor(t)
	prefix, reader := c.startProjector(t, rs)
	versions := c.sendAll(t,
		createFor("c-1", "o-1", "cust-1"),
		`{"commandId":"c-2","type":"AddItems","orderId":"o-1","data":{"items":[{"productId":"sku-1","name":"Widget","quantity":2,"unitPrice":999}]}}`,
		`{"commandId":"c-2s","type":"UpdateShippingDetails","orderId":"o-1","data":{"recipientName":"Ann","address":{"line1":"1 Main St","city":"New York","state":"NY","postalCode":"10001","country":"US"}}}`,
		`{"commandId":"c-3","type":"PlaceOrder","orderId":"o-1","data":{}}`,
		createFor("c-4", "o-2", "cust-1"),
		createFor("c-5", "o-3", "cust-2"),
	)
	for id, v := range versions {
		if _, err := reader.WaitForVersion(t.Context(), id, v, 30*time.Second); err != nil {
			t.Fatalf("order %s not projected at version %d: %v", id, v, err)
		}
	}
	return c, []string{"--redis-addr", strings.Join(rs.Addrs, ","), "--redis-prefix", prefix, "--redis-pointer-key", prefix + "pointer",
		"--redis-mode", string(rs.Mode)}
}

// o1Total is the placed o-1's total in cents: two lines of 9.99, New York's
// tax (8.875 %) 1.77 and the standard shipping 5.00.
const o1Total = 2675

func TestOrderList(t *testing.T) {
	c, redisFlags := listFixture(t)
	list := func(args ...string) []orderSummary {
		t.Helper()
		r := c.ctl(t, "", append(append([]string{"order", "list", "--output", "json"}, args...), redisFlags...)...)
		if r.code != exitOK {
			t.Fatalf("order list %v: exit %d %s", args, r.code, r.stderr)
		}
		var rows []orderSummary
		if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
			t.Fatalf("order list %v: %v in %q", args, err, r.stdout)
		}
		return rows
	}
	ids := func(rows []orderSummary) string {
		var s []string
		for _, r := range rows {
			s = append(s, r.OrderID+"/"+string(r.Status))
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		args []string
		want string // newest created first
	}{
		{[]string{"--customer", "cust-1"}, "o-2/DRAFT o-1/PLACED"},
		{[]string{"--customer", "cust-2"}, "o-3/DRAFT"},
		{[]string{"--customer", "nobody"}, ""},
		{[]string{"--status", "DRAFT"}, "o-3/DRAFT o-2/DRAFT"},
		{[]string{"--status", "placed"}, "o-1/PLACED"},
		{[]string{"--status", "SHIPPED"}, ""},
		{[]string{"--customer", "cust-1", "--status", "DRAFT"}, "o-2/DRAFT"},
		{nil, "o-3/DRAFT o-2/DRAFT o-1/PLACED"},
		{[]string{"--limit", "2"}, "o-3/DRAFT o-2/DRAFT"},
		{[]string{"--status", "DRAFT", "--limit", "1"}, "o-3/DRAFT"},
	} {
		if got := ids(list(tc.args...)); got != tc.want {
			t.Errorf("order list %v = %q, want %q", tc.args, got, tc.want)
		}
	}
	o1 := list("--status", "PLACED")[0]
	if o1.CustomerID != "cust-1" || o1.Currency != "USD" || o1.Total != o1Total || o1.UpdatedAt.IsZero() || o1.Version < 3 {
		t.Errorf("o-1 = %+v, want cust-1, %d USD, an update time, version >= 3", o1, o1Total)
	}

	r := c.ctl(t, "", append([]string{"order", "list", "--customer", "cust-1"}, redisFlags...)...)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != exitOK || len(lines) != 4 || !strings.HasPrefix(lines[0], "ORDER ID") || lines[3] != "2 order(s)" {
		t.Fatalf("order list table: exit %d\n%s", r.code, r.stdout)
	}
	if !strings.Contains(lines[2], "o-1") || !strings.Contains(lines[2], "26.75 USD") ||
		!strings.Contains(lines[2], o1.UpdatedAt.UTC().Format(time.RFC3339)) {
		t.Errorf("order list table row of o-1: %q", lines[2])
	}
	if col := strings.Index(lines[0], "TOTAL"); col < 0 || strings.Index(lines[2], "26.75") != col {
		t.Errorf("order list table is not aligned:\n%s", r.stdout)
	}
}

func TestOrderListRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--status", "SHIPPD"}, `--status "SHIPPD" is not a status; use one of DRAFT, PLACED`},
		{[]string{"--limit", "-1"}, "--limit -1"},
	} {
		var out, errb strings.Builder
		code := run(t.Context(), append([]string{"order", "list"}, tc.args...), envFor("", &out, &errb, nil))
		if code != exitUsage || !strings.Contains(errb.String(), tc.want) || out.Len() != 0 {
			t.Errorf("order list %v: exit %d stderr %q, want %d and %q", tc.args, code, errb.String(), exitUsage, tc.want)
		}
	}
}
