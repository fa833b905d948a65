package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderlog/orderlog/projections"
)

func TestRebuildSwitchesReadersToTheSameOrders(t *testing.T) {
	testRebuildSwitchesReadersToTheSameOrders(t, listFixture)
}

// On a Redis Cluster, the rebuild, the switch and the reads are the same.
func TestRebuildOnARedisCluster(t *testing.T) {
	rs := testCluster(t)
	testRebuildSwitchesReadersToTheSameOrders(t, func(t *testing.T) (*cluster, []string) { return listFixtureOn(t, rs) })
}

// fixtureRedis is a client of the fixture's Redis, from its flags.
func fixtureRedis(t *testing.T, redisFlags []string) redis.UniversalClient {
	rdb := projections.NewRedis(projections.RedisSettings{Addrs: strings.Split(redisFlags[1], ","), Mode: projections.RedisMode(redisFlags[7])})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func testRebuildSwitchesReadersToTheSameOrders(t *testing.T, fixture func(t *testing.T) (*cluster, []string)) {
	c, redisFlags := fixture(t)
	prefix := redisFlags[3]
	rdb := fixtureRedis(t, redisFlags)
	reader, err := projections.NewReader(projections.ReaderConfig{Redis: rdb, Prefix: prefix, PointerKey: prefix + "pointer"})
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]projections.View{}
	events := 0
	for _, id := range []string{"o-1", "o-2", "o-3"} {
		if before[id], err = reader.Order(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		events += int(before[id].Version)
	}

	newPrefix := strings.TrimSuffix(prefix, ":") + "-v2:"
	t.Cleanup(func() { _ = projections.DeleteMatching(context.Background(), rdb, newPrefix) })
	r := c.ctl(t, "", append([]string{"rebuild", "--new-prefix", newPrefix, "--progress", "--output", "json"}, redisFlags...)...)
	if r.code != exitOK {
		t.Fatalf("rebuild: exit %d %s", r.code, r.stderr)
	}
	var s rebuildSummary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("rebuild summary: %v in %q", err, r.stdout)
	}
	if s.Prefix != newPrefix || s.PreviousPrefix != prefix || !s.Switched || s.Events != int64(events) ||
		s.Offsets < s.Events || s.Group != "orderlog-projector-"+newPrefix || s.Seconds <= 0 {
		t.Errorf("rebuild summary %+v, want %d events under %s switched from %s", s, events, newPrefix, prefix)
	}
	if !strings.Contains(r.stderr, "rebuilding "+newPrefix) || !strings.Contains(r.stderr, "100%") ||
		!strings.Contains(r.stderr, "--rebuild-prefix "+newPrefix) {
		t.Errorf("rebuild stderr has no finished progress bar or no next step:\n%s", r.stderr)
	}
	if p, err := reader.Prefix(t.Context()); err != nil || p != newPrefix {
		t.Fatalf("readers use %q (%v), want %q", p, err, newPrefix)
	}
	for id, want := range before {
		got, err := reader.Order(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Errorf("order %s after the rebuild:\n%s\nbefore:\n%s", id, gj, wj)
		}
	}
	list := c.ctl(t, "", append([]string{"order", "list", "--customer", "cust-1", "--output", "json"}, redisFlags...)...)
	var rows []orderSummary
	if err := json.Unmarshal([]byte(list.stdout), &rows); err != nil || len(rows) != 2 || rows[0].OrderID != "o-2" || rows[1].OrderID != "o-1" {
		t.Errorf("order list --customer cust-1 after the rebuild: %v %s", err, list.stdout)
	}

	// The same prefix again is the active one now; a prefix with keys but
	// no group offsets is not fresh; both are refused before any work.
	for _, tc := range []struct{ prefix, want string }{
		{newPrefix, "is the active prefix"},
		{newPrefix + "x:", "overlaps the active prefix"},
		{prefix, "not a fresh prefix"},
	} {
		r := c.ctl(t, "", append([]string{"rebuild", "--new-prefix", tc.prefix}, redisFlags...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("rebuild --new-prefix %s: exit %d stderr %q, want %d and %q", tc.prefix, r.code, r.stderr, exitUsage, tc.want)
		}
	}
}

func TestRebuildNoSwitchLeavesThePointer(t *testing.T) {
	c, redisFlags := listFixture(t)
	prefix := redisFlags[3]
	newPrefix := strings.TrimSuffix(prefix, ":") + "-v3:"
	r := c.ctl(t, "", append([]string{"rebuild", "--new-prefix", newPrefix, "--no-switch"}, redisFlags...)...)
	if r.code != exitOK || !strings.Contains(r.stdout, "under "+newPrefix) || !strings.Contains(r.stdout, "readers still use "+prefix) {
		t.Fatalf("rebuild --no-switch: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "100%") {
		t.Errorf("a progress bar was drawn on a stderr that is not a terminal, without --progress:\n%s", r.stderr)
	}
	rdb := fixtureRedis(t, redisFlags)
	if p, err := projections.ActivePrefix(t.Context(), rdb, prefix+"pointer", prefix); err != nil || p != prefix {
		t.Errorf("active prefix %q (%v), want %q unchanged", p, err, prefix)
	}
	built, err := projections.NewReader(projections.ReaderConfig{Redis: rdb, Prefix: newPrefix, PointerKey: newPrefix + "no-pointer"})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := built.Order(t.Context(), "o-1"); err != nil || v.Totals.Total != o1Total || v.CustomerID != "cust-1" {
		t.Errorf("o-1 under %s: %+v %v", newPrefix, v, err)
	}
	// Run again, the rebuild resumes its group: nothing left to apply.
	r = c.ctl(t, "", append([]string{"rebuild", "--new-prefix", newPrefix, "--no-switch", "--output", "json"}, redisFlags...)...)
	var s rebuildSummary
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &s) != nil || s.Events != 0 {
		t.Errorf("rebuild resumed: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
}

func TestRebuildRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--new-prefix", "bad prefix"}, "--new-prefix"},
		{[]string{"--no-switch", "--follow"}, "--follow"},
		{[]string{"--group", " "}, "--group"},
	} {
		var out, errb strings.Builder
		code := run(t.Context(), append([]string{"rebuild"}, tc.args...), envFor("", &out, &errb, nil))
		if code != exitUsage || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("rebuild %v: exit %d stderr %q, want %d and %q", tc.args, code, errb.String(), exitUsage, tc.want)
		}
	}
}

func TestDefaultPrefix(t *testing.T) {
	at := time.Date(2026, 11, 21, 10, 45, 0, 0, time.UTC)
	for _, tc := range []struct{ base, want string }{
		{"orderlog:", "orderlog-20261121T104500:"},
		{"staging::", "staging-20261121T104500:"},
		{"x", "x-20261121T104500:"},
	} {
		if got := defaultPrefix(tc.base, at); got != tc.want {
			t.Errorf("defaultPrefix(%q) = %q, want %q", tc.base, got, tc.want)
		}
		if err := projections.ValidatePrefix(defaultPrefix(tc.base, at)); err != nil {
			t.Error(err)
		}
	}
}
