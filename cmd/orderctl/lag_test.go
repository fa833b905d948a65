package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestLagPerGroupAndPartition(t *testing.T) {
	c := newCluster(t, 2)
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(c.brokers, ",")...), kgo.DefaultProduceTopic(c.names.Events),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range 5 {
		if err := cl.ProduceSync(t.Context(), &kgo.Record{Partition: int32(i % 2), Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	// The group has read 1 of partition 0's 3 records and 2 of partition 1's 2.
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: c.names.Events, Partition: 0, At: 1})
	offs.Add(kadm.Offset{Topic: c.names.Events, Partition: 1, At: 2})
	if _, err := c.adm.CommitOffsets(t.Context(), "g-1", offs); err != nil {
		t.Fatal(err)
	}
	r := c.ctl(t, "", "lag", "--groups", "g-1", "--output", "json")
	if r.code != exitOK {
		t.Fatalf("lag: exit %d %s", r.code, r.stderr)
	}
	var rows []struct {
		Group     string
		Topic     string
		Partition int32
		Committed int64
		End       int64
		Lag       int64
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Partition != 0 || rows[0].Lag != 2 || rows[0].End != 3 || rows[1].Lag != 0 || rows[1].Committed != 2 {
		t.Errorf("lag rows %+v, want partition 0 lag 2 (1 of 3), partition 1 lag 0", rows)
	}
	if r := c.ctl(t, "", "lag", "--groups", "g-1"); r.code != exitOK || !strings.HasPrefix(r.stdout, "GROUP") || !strings.Contains(r.stdout, "t.order.events") {
		t.Errorf("lag table: %q", r.stdout)
	}
}

// TestAnIdleGroupBehindATransactionalWriterLagsZero: two records written in
// a transaction take three offsets (the commit marker); a group that read
// both lags 0, not the 1 that end - committed says.
func TestAnIdleGroupBehindATransactionalWriterLagsZero(t *testing.T) {
	c := newCluster(t, 2)
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(c.brokers, ",")...), kgo.DefaultProduceTopic(c.names.Events),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.TransactionalID("lag-writer"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(t.Context(), &kgo.Record{Partition: 0, Value: []byte("a")}, &kgo.Record{Partition: 0, Value: []byte("b")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := cl.EndTransaction(t.Context(), kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: c.names.Events, Partition: 0, At: 2})
	if _, err := c.adm.CommitOffsets(t.Context(), "g-idle", offs); err != nil {
		t.Fatal(err)
	}
	r := c.ctl(t, "", "lag", "--groups", "g-idle", "--output", "json")
	if r.code != exitOK {
		t.Fatalf("lag: exit %d %s", r.code, r.stderr)
	}
	var rows []struct {
		Partition      int32
		Committed, End int64
		Lag            int64
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || rows[0].Partition != 0 || rows[0].End != 3 || rows[0].Lag != 0 {
		t.Errorf("lag rows %+v, want partition 0 at end 3 (two records and a marker) lagging 0", rows)
	}
}
