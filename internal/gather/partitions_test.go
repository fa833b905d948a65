package gather

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
)

// fetch is one fetch of topic "t": per partition, its records' offsets and
// its high watermark.
func fetch(parts map[int32][]int64, hwm int64) kgo.Fetch {
	ft := kgo.FetchTopic{Topic: "t"}
	for _, p := range []int32{0, 1, 2} {
		offs, ok := parts[p]
		if !ok {
			continue
		}
		fp := kgo.FetchPartition{Partition: p, HighWatermark: hwm, LastStableOffset: hwm}
		for _, o := range offs {
			fp.Records = append(fp.Records, &kgo.Record{Topic: "t", Partition: p, Offset: o})
		}
		ft.Partitions = append(ft.Partitions, fp)
	}
	return kgo.Fetch{Topics: []kgo.FetchTopic{ft}}
}

func offsets(fp kgo.FetchTopicPartition) []int64 {
	var out []int64
	for _, r := range fp.Records {
		out = append(out, r.Offset)
	}
	return out
}

// A gathered poll holds two fetches; each partition must come once, its
// records in log order, or the projector would release (and commit past)
// a gap found in the first half on the strength of the second.
func TestPartitionsMergesAGatheredPollsFetches(t *testing.T) {
	fs := kgo.Fetches{
		fetch(map[int32][]int64{0: {10, 11}, 1: {5}, 2: {}}, 20),
		fetch(map[int32][]int64{0: {12, 13}, 2: {7}}, 30),
	}
	parts := Partitions(fs)
	require.Len(t, parts, 3, "partition 2's empty half is no part; each partition once")
	byPart := map[int32]kgo.FetchTopicPartition{}
	for _, fp := range parts {
		byPart[fp.Partition] = fp
	}
	assert.Equal(t, []int64{10, 11, 12, 13}, offsets(byPart[0]))
	assert.Equal(t, int64(30), byPart[0].HighWatermark, "the later fetch's watermark")
	assert.Equal(t, []int64{5}, offsets(byPart[1]))
	assert.Equal(t, int64(20), byPart[1].HighWatermark)
	assert.Equal(t, []int64{7}, offsets(byPart[2]))
	assert.Equal(t, []int64{10, 11}, offsets(kgo.FetchTopicPartition{FetchPartition: fs[0].Topics[0].Partitions[0]}), "the first fetch's records are left as they were")
}
