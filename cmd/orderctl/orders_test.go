package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orderlog/orderlog/internal/testenv"
	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
	"github.com/orderlog/orderlog/schemas"
)

// startProjector projects the cluster's events into Redis under a prefix of
// its own, until the test ends; it returns the prefix and a reader.
func standalone(addr string) projections.RedisSettings {
	return projections.RedisSettings{Addrs: []string{addr}, Mode: projections.RedisStandalone}
}

// testCluster is the test bed's Redis Cluster (skipping without it).
func testCluster(t *testing.T) projections.RedisSettings {
	v := strings.TrimSpace(os.Getenv("ORDERLOG_REDIS_CLUSTER_ADDRS"))
	if v == "" {
		t.Skip("ORDERLOG_REDIS_CLUSTER_ADDRS is not set: no Redis Cluster (make test starts one; or source .testbed/env)")
	}
	return projections.RedisSettings{Addrs: strings.Split(v, ","), Mode: projections.RedisCluster}
}

func (c *cluster) startProjector(t *testing.T, rs projections.RedisSettings) (string, *projections.Reader) {
	t.Helper()
	prefix := strings.TrimSuffix(testenv.TopicPrefix(t), ".") + ":"
	rdb := projections.NewRedis(rs)
	t.Cleanup(func() {
		_ = projections.DeleteMatching(context.Background(), rdb, prefix)
		rdb.Close()
	})
	ctx, cancel := context.WithCancel(context.Background())
	evs, err := schemas.NewEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := projections.New(projections.Config{
		Brokers: strings.Split(c.brokers, ","), Group: "orderctl-test-projector", Topic: c.names.Events, Events: evs,
		Redis: rdb, Prefix: prefix, PointerKey: prefix + "pointer",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: projections.NewMetrics(nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	r, err := projections.NewReader(projections.ReaderConfig{Redis: rdb, Prefix: prefix, PointerKey: prefix + "pointer"})
	if err != nil {
		t.Fatal(err)
	}
	return prefix, r
}

func TestOrderShowAndHistory(t *testing.T) {
	addr := testenv.RedisAddr(t)
	c := newCluster(t, 2)
	c.startProcessor(t)
	prefix, reader := c.startProjector(t, standalone(addr))

	for _, cmd := range []string{
		createOrder("c-1", "o-1"),
		`{"commandId":"c-2","type":"AddItems","orderId":"o-1","data":{"items":[{"productId":"sku-1","name":"Widget","quantity":2,"unitPrice":999}]}}`,
	} {
		if r := c.ctl(t, cmd, "send", "--wait"); r.code != exitOK {
			t.Fatalf("send: exit %d %s %s", r.code, r.stdout, r.stderr)
		}
	}
	if _, err := reader.WaitForVersion(t.Context(), "o-1", 2, 20*time.Second); err != nil {
		t.Fatalf("order o-1 not projected at version 2: %v", err)
	}
	ctl := func(args ...string) result {
		return c.ctl(t, "", append(args, "--redis-addr", addr, "--redis-prefix", prefix, "--redis-pointer-key", prefix+"pointer")...)
	}
	show := func(args ...string) order.State {
		t.Helper()
		r := ctl(append([]string{"order", "show", "o-1", "--output", "json"}, args...)...)
		if r.code != exitOK {
			t.Fatalf("order show %v: exit %d %s", args, r.code, r.stderr)
		}
		var s order.State
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := show(); s.Version != 2 || len(s.Lines) != 1 || s.CustomerID != "cust-1" {
		t.Errorf("order show: %+v", s)
	}
	if s := show("--version", "1"); s.Version != 1 || len(s.Lines) != 0 {
		t.Errorf("order show --version 1: version %d, %d lines", s.Version, len(s.Lines))
	}
	evs, err := reader.Events(t.Context(), "o-1", 1, 0)
	if err != nil || len(evs) != 2 {
		t.Fatalf("events: %v %v", evs, err)
	}
	if s := show("--at", evs[0].Time.Format(time.RFC3339Nano)); s.Version != 1 {
		t.Errorf("order show --at the first event: version %d, want 1", s.Version)
	}
	if r := ctl("order", "show", "o-1", "--version", "3"); r.code != exitError {
		t.Errorf("order show --version 3: exit %d, want 1", r.code)
	}
	if r := ctl("order", "show", "nope"); r.code != exitError || !strings.Contains(r.stderr, "nope") {
		t.Errorf("order show nope: exit %d stderr %q", r.code, r.stderr)
	}
	r := ctl("order", "history", "o-1")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != exitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "SEQ") ||
		!strings.Contains(lines[1], "ORDER_CREATED") || !strings.Contains(lines[2], "c-2") {
		t.Errorf("order history: exit %d\n%s", r.code, r.stdout)
	}
	if col := strings.Index(lines[0], "TYPE"); col < 0 || strings.Index(lines[1], "ORDER_CREATED") != col {
		t.Errorf("order history is not aligned:\n%s", r.stdout)
	}
}
