package gather

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/twmb/franz-go/pkg/kgo"
)

// fetches is n records of one partition of topic "t".
func fetches(n int) kgo.Fetches {
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Offset: int64(i)}
	}
	return kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: "t", Partitions: []kgo.FetchPartition{{Records: recs}}}}}}
}

func TestMore(t *testing.T) {
	for _, tc := range []struct {
		name       string
		have, more int
		limit      int
		wait       time.Duration
		wantPolled int // the limit the poll was given; 0: not polled
		wantTotal  int
	}{
		{"a partial batch takes one more fetch", 3, 4, 10, time.Millisecond, 7, 7},
		{"an empty poll waits for nothing", 0, 4, 10, time.Millisecond, 0, 0},
		{"a full batch has nothing to gain", 10, 4, 10, time.Millisecond, 0, 10},
		{"no wait, no poll", 3, 4, 10, 0, 0, 3},
		{"a negative wait, no poll", 3, 4, 10, -time.Millisecond, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			polled := 0
			var deadline bool
			got := More(context.Background(), fetches(tc.have), tc.limit, tc.wait, func(ctx context.Context, max int) kgo.Fetches {
				polled = max
				_, deadline = ctx.Deadline()
				return fetches(tc.more)
			})
			assert.Equal(t, tc.wantPolled, polled)
			assert.Equal(t, tc.wantTotal, got.NumRecords())
			if polled > 0 {
				assert.True(t, deadline, "the extra poll is bounded by the wait")
			}
		})
	}
}
