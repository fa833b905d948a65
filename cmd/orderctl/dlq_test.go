package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestDLQListShowReplay(t *testing.T) {
	c := newCluster(t, 1)
	stopProcessor := c.startProcessor(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(c.brokers, ",")...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	bad := []*kgo.Record{
		{Topic: c.names.Commands, Key: []byte("o-1"), Value: []byte(`{"commandId":"c-1","type":"NoSuchThing","orderId":"o-1"}`),
			Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("t-1")}}},
		{Topic: c.names.Commands, Value: []byte(`{"commandId":"c-2","type":"CreateOrder","orderId":"o-2"}`)},
	}
	if err := cl.ProduceSync(t.Context(), bad...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	var entries []dlqEntry
	for deadline := time.Now().Add(20 * time.Second); len(entries) < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("DLQ has %d entries after 20s, want 2", len(entries))
		}
		r := c.ctl(t, "", "dlq", "list", "--output", "json")
		if r.code != exitOK {
			t.Fatalf("dlq list: exit %d", r.code)
		}
		entries = nil
		if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil {
			t.Fatal(err)
		}
	}
	if e := entries[0]; e.Offset != 0 || e.Key != "o-1" || !strings.Contains(e.Error, "NoSuchThing") ||
		e.SourceTopic != c.names.Commands || e.SourcePartition != "0" || e.SourceOffset != "0" {
		t.Errorf("entry 0 = %+v", e)
	}
	if e := entries[1]; e.Offset != 1 || e.Key != "" || !strings.Contains(e.Error, "no key") {
		t.Errorf("entry 1 = %+v", e)
	}
	if r := c.ctl(t, "", "dlq", "list"); !strings.Contains(r.stdout, "2 dead-lettered command(s)") || !strings.Contains(r.stdout, "OFFSET") {
		t.Errorf("dlq list table: %q", r.stdout)
	}
	if r := c.ctl(t, "", "dlq", "show", "0"); r.code != exitOK || !strings.Contains(r.stdout, "NoSuchThing") || !strings.Contains(r.stdout, "trace: t-1") {
		t.Errorf("dlq show 0: exit %d stdout %q", r.code, r.stdout)
	}
	if r := c.ctl(t, "", "dlq", "show", "7"); r.code != exitError {
		t.Errorf("dlq show 7: exit %d, want 1", r.code)
	}
	if r := c.ctl(t, "", "dlq", "replay"); r.code != exitUsage {
		t.Errorf("dlq replay without OFFSET or --all: exit %d", r.code)
	}

	// Stopped, the processor does not dead-letter the replayed commands
	// again while the test reads them.
	stopProcessor()
	// Replay reads order.commands from its current end.
	ends, err := c.adm.ListEndOffsets(t.Context(), c.names.Commands)
	if err != nil {
		t.Fatal(err)
	}
	end, _ := ends.Lookup(c.names.Commands, 0)
	if r := c.ctl(t, "", "dlq", "replay", "0"); r.code != exitOK || !strings.Contains(r.stdout, "1 of 1 command(s) replayed") {
		t.Fatalf("dlq replay 0: exit %d stdout %q", r.code, r.stdout)
	}
	if r := c.ctl(t, "", "dlq", "replay", "0"); strings.Contains(r.stderr, "replaying") {
		t.Errorf("dlq replay 0 drew a progress bar on a stderr that is not a terminal, without --progress: %q", r.stderr)
	}
	r := c.ctl(t, "", "dlq", "replay", "--all", "--progress")
	if r.code != exitOK || !strings.Contains(r.stdout, "2 of 2 command(s) replayed") {
		t.Fatalf("dlq replay --all: exit %d stdout %q", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, "replaying 100%") || !strings.Contains(r.stderr, "(2/2") {
		t.Errorf("dlq replay --all --progress: no finished progress bar on stderr: %q", r.stderr)
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(c.brokers, ",")...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{c.names.Commands: {0: kgo.NewOffset().At(end.Offset)}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	var got []*kgo.Record
	for len(got) < 4 {
		fs := cons.PollFetches(t.Context())
		if t.Context().Err() != nil {
			t.Fatal(t.Context().Err())
		}
		got = append(got, fs.Records()...)
	}
	headers := func(r *kgo.Record) map[string]string {
		m := map[string]string{}
		for _, h := range r.Headers {
			m[h.Key] = string(h.Value)
		}
		return m
	}
	for i, want := range []struct {
		key, from string
	}{{"o-1", "0"}, {"o-1", "0"}, {"o-1", "0"}, {"", "1"}} {
		h := headers(got[i])
		if string(got[i].Key) != want.key || h[HeaderReplayedFrom] != want.from || h["dlq-error"] != "" {
			t.Errorf("replayed record %d: key %q headers %v, want key %q from offset %s and no dlq-* header", i, got[i].Key, h, want.key, want.from)
		}
	}
	if h := headers(got[0]); h["trace"] != "t-1" {
		t.Errorf("replayed record lost its headers: %v", h)
	}
}
