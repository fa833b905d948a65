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
