package changelog

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ReadToEnd reads partitions parts of topic from their start to the high
// watermark each has now, and hands every poll's fetched partitions (control
// records included: skip them with r.Attrs.IsControl()) to apply, which may
// work on them in parallel: each partition appears once per call. opts are
// the client options (seed brokers, TLS, SASL). It returns when every
// partition is read to its end, or the first error of the cluster, of ctx or
// of apply.
func ReadToEnd(ctx context.Context, adm *kadm.Client, opts []kgo.Opt, topic string, parts []int32,
	apply func([]kgo.FetchTopicPartition) error) error {
	if len(parts) == 0 {
		return nil
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("list end offsets of %s: %w", topic, err)
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("list start offsets of %s: %w", topic, err)
	}
	want := map[int32]int64{}
	consume := map[int32]kgo.Offset{}
	for _, p := range parts {
		end, ok := ends.Lookup(topic, p)
		if !ok || end.Err != nil {
			return fmt.Errorf("no end offset for %s/%d: %v", topic, p, end.Err)
		}
		if begin, _ := starts.Lookup(topic, p); end.Offset > begin.Offset {
			want[p] = end.Offset
			consume[p] = kgo.NewOffset().AtStart()
		}
	}
	if len(want) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt(nil), opts...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: consume}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		kgo.FetchMaxBytes(64<<20),
		kgo.FetchMaxPartitionBytes(16<<20), // a restore reads whole partitions: fewer round trips than kgo's 1 MiB
	)...)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	defer cl.Close()
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) { ferr = fmt.Errorf("fetch %s/%d: %w", t, p, err) })
		if ferr != nil {
			return ferr
		}
		var got []kgo.FetchTopicPartition
		fs.EachPartition(func(fp kgo.FetchTopicPartition) {
			if n := len(fp.Records); n > 0 {
				if fp.Records[n-1].Offset+1 >= want[fp.Partition] {
					delete(want, fp.Partition)
				}
				got = append(got, fp)
			}
		})
		if err := apply(got); err != nil {
			return err
		}
	}
	return nil
}
