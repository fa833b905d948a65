package projections

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// AttentionList is the needs-attention list: the orders that need a
// person now, oldest reason first, and how many there are in all.
type AttentionList struct {
	Orders []AttentionItem `json:"orders"`
	// Total counts the orders whose time to need attention has come, as
	// the index says; Orders holds at most the limit of them.
	Total int64 `json:"total"`
}

// Attention reads the needs-attention list: from every shard's attention
// index (doc.go) the orders whose time has come, in one pipelined round
// trip, then their views in another, each judged by Attention at the
// reader's clock. At most limit orders (default 100, at most 1000), those
// due longest first; the list is sorted by the age of their most urgent
// reason, oldest first.
func (r *Reader) Attention(ctx context.Context, limit int) (AttentionList, error) {
	k, err := r.keys(ctx)
	if err != nil {
		return AttentionList{}, err
	}
	limit = clampLimit(limit, 100)
	now := r.cfg.Now()
	until := strconv.FormatInt(now.UnixMilli(), 10)
	pipe := r.cfg.Redis.Pipeline()
	var ranges [NumShards]*redis.ZSliceCmd
	var counts [NumShards]*redis.IntCmd
	for s := range NumShards {
		ranges[s] = pipe.ZRangeByScoreWithScores(ctx, k.attention(s), &redis.ZRangeBy{Min: "-inf", Max: until, Count: int64(limit)})
		counts[s] = pipe.ZCount(ctx, k.attention(s), "-inf", until)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return AttentionList{}, fmt.Errorf("read the attention index: %w", err)
	}
	list := AttentionList{Orders: []AttentionItem{}}
	var due []redis.Z
	for s := range NumShards {
		due = append(due, ranges[s].Val()...)
		list.Total += counts[s].Val()
	}
	slices.SortFunc(due, func(a, b redis.Z) int {
		if a.Score != b.Score {
			if a.Score < b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Member.(string), b.Member.(string))
	})
	due = due[:min(len(due), limit)]
	if len(due) == 0 {
		return list, nil
	}
	pipe = r.cfg.Redis.Pipeline()
	views := make([]*redis.StringCmd, len(due))
	for i, z := range due {
		views[i] = pipe.HGet(ctx, k.order(z.Member.(string)), fieldView)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return AttentionList{}, fmt.Errorf("read %d orders that need attention: %w", len(due), err)
	}
	for i, c := range views {
		s, err := c.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		v, err := decodeView(due[i].Member.(string), s)
		if err != nil {
			return AttentionList{}, err
		}
		if item, ok := Attention(v, now); ok {
			list.Orders = append(list.Orders, item)
		}
	}
	slices.SortStableFunc(list.Orders, func(a, b AttentionItem) int {
		return a.Reasons[0].Since.Compare(b.Reasons[0].Since)
	})
	return list, nil
}
