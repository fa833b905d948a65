package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
)

// Rebuild projects the whole log under newPrefix, next to the prefix
// readers use now, and points readers to it once it has caught up: a
// projector with cfg's settings but Prefix newPrefix, the consumer group
// cfg.Group+"-"+newPrefix (new, so it starts at the beginning of the log;
// after a crash it resumes) and Activate set. It keeps running as the live
// projector of newPrefix until ctx ends. Stop the old prefix's projectors
// after the switch, then delete its keys with DeletePrefix.
func Rebuild(ctx context.Context, cfg Config, newPrefix string) error {
	cfg.Prefix, cfg.Group, cfg.Activate = newPrefix, cfg.Group+"-"+newPrefix, true
	p, err := New(cfg)
	if err != nil {
		return err
	}
	return p.Run(ctx)
}

// CaughtUp reports whether the projector's group has committed, for every
// partition of order.events, an offset at or past the partition's last
// stable offset as read just before: the group has projected the whole
// log as it stood at that moment. False before Run has started.
func (p *Projector) CaughtUp(ctx context.Context) (bool, error) {
	cl := p.client.Load()
	if cl == nil {
		return false, nil
	}
	adm := kadm.NewClient(cl)
	ends, err := adm.ListCommittedOffsets(ctx, p.cfg.Topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return false, fmt.Errorf("list end offsets of %s: %w", p.cfg.Topic, err)
	}
	committed, err := adm.FetchOffsets(ctx, p.cfg.Group)
	if err == nil {
		err = committed.Error()
	}
	if err != nil {
		return false, fmt.Errorf("fetch offsets of group %s: %w", p.cfg.Group, err)
	}
	caught := true
	ends.Each(func(o kadm.ListedOffset) {
		c, ok := committed.Lookup(o.Topic, o.Partition)
		if o.Offset > 0 && (!ok || c.At < o.Offset) {
			caught = false
		}
	})
	return caught, nil
}

// activateWhenCaughtUp checks every second whether the group has caught
// up, and then points readers to this projector's prefix.
func (p *Projector) activateWhenCaughtUp(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !p.joined.Load() {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ok, err := p.CaughtUp(cctx)
		cancel()
		if err != nil {
			p.log.Warn("cannot tell whether the rebuild caught up", "error", err)
			continue
		}
		if !ok {
			continue
		}
		old, err := Activate(ctx, p.cfg.Redis, p.cfg.PointerKey, p.cfg.Prefix)
		if err != nil {
			p.log.Error("activate prefix", "error", err)
			continue
		}
		p.activated.Store(true)
		p.metrics.activations.Inc()
		p.log.Info("caught up with the log; readers now use this prefix", "pointerKey", p.cfg.PointerKey, "previous", old)
		return
	}
}

// belongsTo reports whether key could be one of prefix's keys: the prefix,
// then a key family. A key that could be either prefix's (an order id that
// begins with a family name) counts as the active one's and is kept.
func belongsTo(key, prefix string) bool {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return false
	}
	for _, f := range allFamilies {
		if strings.HasPrefix(rest, f) {
			return true
		}
	}
	return false
}

// Activate points readers to prefix (one SET of the pointer key: readers
// switch atomically) and returns the prefix they used before ("" if none).
func Activate(ctx context.Context, rdb redis.UniversalClient, pointerKey, prefix string) (string, error) {
	if err := ValidatePrefix(prefix); err != nil {
		return "", err
	}
	old, err := rdb.SetArgs(ctx, pointerKey, prefix, redis.SetArgs{Get: true}).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("set %s: %w", pointerKey, err)
	}
	return old, nil
}

// ActivePrefix returns the prefix readers use: the pointer key's value, or
// def when it is not set.
func ActivePrefix(ctx context.Context, rdb redis.UniversalClient, pointerKey, def string) (string, error) {
	v, err := rdb.Get(ctx, pointerKey).Result()
	if errors.Is(err, redis.Nil) {
		return def, nil
	}
	if err != nil {
		return "", fmt.Errorf("get %s: %w", pointerKey, err)
	}
	return v, nil
}

// DeletePrefix deletes the keys of a projection that readers no longer use
// (SCAN on every primary, UNLINK a batch at a time) and returns how many it
// deleted: every key family's keys, the per-order keys and every shard's.
// It refuses unless the pointer key names the active prefix, refuses that
// prefix, and never deletes the pointer key or a key of the active
// projection (a prefix may be the start of the active one, as "orderlog:"
// is of "orderlog:order:"; a key that could be the active one's is kept).
func DeletePrefix(ctx context.Context, rdb redis.UniversalClient, pointerKey, prefix string) (int, error) {
	if err := ValidatePrefix(prefix); err != nil {
		return 0, err
	}
	active, err := ActivePrefix(ctx, rdb, pointerKey, "")
	if err != nil {
		return 0, err
	}
	if active == "" {
		return 0, fmt.Errorf("%s is not set, so which prefix readers use is unknown; Activate the one they use first", pointerKey)
	}
	if active == prefix {
		return 0, fmt.Errorf("prefix %q is the active one (%s); activate another first", prefix, pointerKey)
	}
	var deleted atomic.Int64
	err = eachPrimary(ctx, rdb, func(ctx context.Context, node redis.UniversalClient) error {
		for _, fam := range allFamilies {
			iter := node.Scan(ctx, 0, prefix+fam+"*", 1000).Iterator()
			var batch []string
			flush := func() error {
				if len(batch) == 0 {
					return nil
				}
				n, err := unlink(ctx, rdb, batch)
				deleted.Add(n)
				batch = batch[:0]
				return err
			}
			for iter.Next(ctx) {
				k := iter.Val()
				if k == pointerKey || belongsTo(k, active) {
					continue
				}
				if batch = append(batch, k); len(batch) == 500 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			if err := errors.Join(iter.Err(), flush()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return int(deleted.Load()), fmt.Errorf("delete keys of %q: %w", prefix, err)
	}
	return int(deleted.Load()), nil
}

// eachPrimary calls fn with every primary of a cluster (in parallel), or
// with the client itself for one Redis (standalone or a failover client's
// primary): what SCAN must visit to see every key.
func eachPrimary(ctx context.Context, rdb redis.UniversalClient, fn func(ctx context.Context, node redis.UniversalClient) error) error {
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return fn(ctx, c) })
	}
	return fn(ctx, rdb)
}

// unlink deletes keys through rdb: one UNLINK per key in one pipeline, so
// that a cluster client sends each to its slot's primary (a multi-key
// UNLINK must stay in one slot).
func unlink(ctx context.Context, rdb redis.UniversalClient, ks []string) (int64, error) {
	pipe := rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(ks))
	for i, k := range ks {
		cmds[i] = pipe.Unlink(ctx, k)
	}
	_, err := pipe.Exec(ctx)
	var n int64
	for _, c := range cmds {
		n += c.Val()
	}
	return n, err
}

// AnyKey returns one key under prefix, on any primary, or "" if there is
// none: whether a prefix is fresh.
func AnyKey(ctx context.Context, rdb redis.UniversalClient, prefix string) (string, error) {
	var mu sync.Mutex
	found := ""
	err := eachPrimary(ctx, rdb, func(ctx context.Context, node redis.UniversalClient) error {
		iter := node.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		if iter.Next(ctx) {
			mu.Lock()
			found = iter.Val()
			mu.Unlock()
			return nil
		}
		return iter.Err()
	})
	return found, err
}

// DeleteMatching deletes every key that starts with prefix, on every
// primary, whatever its family, with no check at all: for tests and
// throwaway prefixes. Use DeletePrefix for a projection.
func DeleteMatching(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	if err := ValidatePrefix(prefix); err != nil {
		return err
	}
	return eachPrimary(ctx, rdb, func(ctx context.Context, node redis.UniversalClient) error {
		iter := node.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var batch []string
		for iter.Next(ctx) {
			if batch = append(batch, iter.Val()); len(batch) == 500 {
				if _, err := unlink(ctx, rdb, batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if _, err := unlink(ctx, rdb, batch); err != nil {
			return err
		}
		return iter.Err()
	})
}
