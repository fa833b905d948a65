package gather

import (
	"context"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultWait is the wait the consumers use unless told otherwise: a
// fetch round trip on a loaded broker, and a small part of a batch.
const DefaultWait = 2 * time.Millisecond

// Poll is a client's (or a GroupTransactSession's) PollRecords.
type Poll func(ctx context.Context, maxRecords int) kgo.Fetches

// More returns fs with what one more poll brings within wait, when fs has
// records and fewer than limit; else fs as it is. wait <= 0 never polls.
func More(ctx context.Context, fs kgo.Fetches, limit int, wait time.Duration, poll Poll) kgo.Fetches {
	n := fs.NumRecords()
	if wait <= 0 || n == 0 || n >= limit {
		return fs
	}
	gctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return append(fs, poll(gctx, limit-n)...)
}

// Partitions is fs's records by partition, each partition once with its
// records in log order, the empty ones left out. A poll More topped up
// holds two fetches, so a partition can come twice; a consumer that judges
// a partition by one of its halves alone (where it stops, what it
// commits) must take them from here. The later fetch's watermarks are the
// ones kept; fs is left as it was.
func Partitions(fs kgo.Fetches) []kgo.FetchTopicPartition {
	var parts []kgo.FetchTopicPartition
	type tp struct {
		topic string
		part  int32
	}
	at := map[tp]int{}
	fs.EachPartition(func(fp kgo.FetchTopicPartition) {
		if len(fp.Records) == 0 {
			return
		}
		k := tp{fp.Topic, fp.Partition}
		i, ok := at[k]
		if !ok {
			at[k] = len(parts)
			parts = append(parts, fp)
			return
		}
		fp.Records = append(slices.Clip(parts[i].Records), fp.Records...)
		parts[i] = fp
	})
	return parts
}
