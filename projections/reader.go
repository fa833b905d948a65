package projections

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderlog/orderlog/order"
)

// ErrNotFound is returned (wrapped) for an order the projection does not
// have, or did not have at the version or time asked.
var ErrNotFound = errors.New("order not found")

// ErrBadCursor is returned (wrapped) for a page cursor that was not made by
// a Reader.
var ErrBadCursor = errors.New("bad page cursor")

// ReaderConfig is what a Reader needs; Redis is required.
type ReaderConfig struct {
	Redis redis.UniversalClient
	// Prefix is used while the pointer key is not set (default
	// "orderlog:").
	Prefix string
	// PointerKey holds the active prefix (default "orderlog:active-prefix").
	PointerKey string
	// CounterMinutes is how many recent minutes Counters reports (default 60).
	CounterMinutes int
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time
}

// Reader is the read side of the projections, for the API and the CLI.
// Every call resolves the active prefix once (one GET of the pointer key)
// and reads only under it, so a rebuild's switch is atomic for readers. It
// is safe for concurrent use.
type Reader struct {
	cfg ReaderConfig
	// seen is the active prefix the last call found: Order and Version
	// read under it in the same round trip as the pointer (orderField).
	seen atomic.Pointer[string]
}

// NewReader checks cfg and returns a Reader.
func NewReader(cfg ReaderConfig) (*Reader, error) {
	if cfg.Redis == nil {
		return nil, errors.New("reader: Redis client is nil")
	}
	setDefault(&cfg.Prefix, DefaultPrefix)
	setDefault(&cfg.PointerKey, DefaultPointerKey)
	setDefault(&cfg.CounterMinutes, 60)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := ValidatePrefix(cfg.Prefix); err != nil {
		return nil, fmt.Errorf("reader: %w", err)
	}
	r := &Reader{cfg: cfg}
	r.seen.Store(&cfg.Prefix)
	return r, nil
}

// orderField reads one field of an order's hash under the active prefix.
// The pointer's GET and the HGET under the prefix last seen go in one
// pipeline: one round trip while the prefix stays (always, but for a
// rebuild's switch). If the pointer names another prefix, the HGET is made
// again under that one. On one redis-server a pipeline runs in order, so
// this reads exactly as a GET and then an HGET would. A Redis Cluster may
// run the two on different nodes in either order; a reader then can read
// under a new prefix an instant before the pointer names it, which is
// harmless since a rebuild switches only once the new prefix has caught
// up. ok is false when the order has no such field.
func (r *Reader) orderField(ctx context.Context, id, field string) (val string, ok bool, err error) {
	guess := *r.seen.Load()
	pipe := r.cfg.Redis.Pipeline()
	ptr := pipe.Get(ctx, r.cfg.PointerKey)
	hget := pipe.HGet(ctx, keys{guess}.order(id), field)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return "", false, fmt.Errorf("read %s of order %s: %w", field, id, err)
	}
	active, err := ptr.Result()
	switch {
	case errors.Is(err, redis.Nil):
		active = r.cfg.Prefix
	case err != nil:
		return "", false, fmt.Errorf("get %s: %w", r.cfg.PointerKey, err)
	}
	if active != guess {
		r.seen.Store(&active)
		hget = r.cfg.Redis.HGet(ctx, keys{active}.order(id), field)
	}
	val, err = hget.Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read %s of order %s: %w", field, id, err)
	}
	return val, true, nil
}

func (r *Reader) keys(ctx context.Context) (keys, error) {
	p, err := ActivePrefix(ctx, r.cfg.Redis, r.cfg.PointerKey, r.cfg.Prefix)
	return keys{p}, err
}

// Prefix returns the prefix readers use now.
func (r *Reader) Prefix(ctx context.Context) (string, error) {
	k, err := r.keys(ctx)
	return k.p, err
}

// Order returns the current view of an order.
func (r *Reader) Order(ctx context.Context, id string) (View, error) {
	s, ok, err := r.orderField(ctx, id, fieldView)
	if err != nil {
		return View{}, err
	}
	if !ok {
		return View{}, fmt.Errorf("order %s: %w", id, ErrNotFound)
	}
	return decodeView(id, s)
}

func decodeView(id, s string) (View, error) {
	var v View
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return View{}, fmt.Errorf("order %s: view JSON: %w", id, err)
	}
	return v, nil
}

// Version returns the projected version of an order (0: not projected).
func (r *Reader) Version(ctx context.Context, id string) (int64, error) {
	s, ok, err := r.orderField(ctx, id, fieldVersion)
	if err != nil || !ok {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("version of order %s: %w", id, err)
	}
	return v, nil
}

// WaitForVersion waits until the order's projection reaches version (read
// your writes: the API knows the version a command produced) and returns
// the version reached. It polls (one round trip each, see orderField),
// every 2 ms at first, backing off to 10 ms: a reply waits at most 10 ms
// longer than the projection took. After timeout it returns the version
// reached with an error wrapping context.DeadlineExceeded.
func (r *Reader) WaitForVersion(ctx context.Context, id string, version int64, timeout time.Duration) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wait := 2 * time.Millisecond
	for {
		v, err := r.Version(ctx, id)
		if err != nil || v >= version {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, fmt.Errorf("order %s is at version %d, waited %s for %d: %w", id, v, timeout, version, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Millisecond)
	}
}

// Events returns an order's events with fromSeq <= sequenceNumber <= toSeq
// (toSeq <= 0: to the last), from its event index.
func (r *Reader) Events(ctx context.Context, id string, fromSeq, toSeq int64) ([]order.Event, error) {
	k, err := r.keys(ctx)
	if err != nil {
		return nil, err
	}
	return r.events(ctx, k, id, fromSeq, toSeq)
}

func (r *Reader) events(ctx context.Context, k keys, id string, fromSeq, toSeq int64) ([]order.Event, error) {
	fromSeq = max(fromSeq, 1)
	stop := toSeq - 1
	if toSeq <= 0 {
		stop = -1
	}
	if toSeq > 0 && toSeq < fromSeq {
		return nil, nil
	}
	raw, err := r.cfg.Redis.LRange(ctx, k.orderEvents(id), fromSeq-1, stop).Result()
	if err != nil {
		return nil, fmt.Errorf("read events of order %s: %w", id, err)
	}
	if len(raw) == 0 {
		n, err := r.cfg.Redis.Exists(ctx, k.order(id)).Result()
		if err != nil {
			return nil, fmt.Errorf("read order %s: %w", id, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("order %s: %w", id, ErrNotFound)
		}
	}
	out := make([]order.Event, len(raw))
	for i, s := range raw {
		if out[i], err = DecodeEventJSON([]byte(s)); err != nil {
			return nil, fmt.Errorf("order %s event %d: %w", id, fromSeq+int64(i), err)
		}
	}
	return out, nil
}

// OrderAtVersion returns the view of an order as it was at a version, folded
// from its event index (time travel).
func (r *Reader) OrderAtVersion(ctx context.Context, id string, version int64) (View, error) {
	if version < 1 {
		return View{}, fmt.Errorf("order %s has no version %d: %w", id, version, ErrNotFound)
	}
	evs, err := r.Events(ctx, id, 1, version)
	if err != nil {
		return View{}, err
	}
	if int64(len(evs)) < version {
		return View{}, fmt.Errorf("order %s is at version %d, not %d: %w", id, len(evs), version, ErrNotFound)
	}
	return Fold(evs), nil
}

// OrderAt returns the view of an order as it was at time t: the fold of its
// events stamped at or before t.
func (r *Reader) OrderAt(ctx context.Context, id string, t time.Time) (View, error) {
	evs, err := r.Events(ctx, id, 1, 0)
	if err != nil {
		return View{}, err
	}
	n := 0
	for n < len(evs) && !evs[n].Time.After(t) {
		n++
	}
	if n == 0 {
		return View{}, fmt.Errorf("order %s did not exist at %s: %w", id, t.Format(time.RFC3339Nano), ErrNotFound)
	}
	return Fold(evs[:n]), nil
}

// EventsByType returns events of one type stamped from..to (zero: open),
// newest first, at most limit (default 100, at most 1000), from the
// events-by-type index, which keeps Config.TypeIndexRetention: the newest
// limit of every shard, merged.
func (r *Reader) EventsByType(ctx context.Context, t order.EventType, from, to time.Time, limit int) ([]order.Event, error) {
	k, err := r.keys(ctx)
	if err != nil {
		return nil, err
	}
	limit = clampLimit(limit, 100)
	lo, hi := "-inf", "+inf"
	if !from.IsZero() {
		lo = strconv.FormatInt(from.UnixMilli(), 10)
	}
	if !to.IsZero() {
		hi = strconv.FormatInt(to.UnixMilli(), 10)
	}
	pipe := r.cfg.Redis.Pipeline()
	var zcmds [NumShards]*redis.ZSliceCmd
	for s := range NumShards {
		zcmds[s] = pipe.ZRevRangeByScoreWithScores(ctx, k.typeIndex(s, t), &redis.ZRangeBy{Min: lo, Max: hi, Count: int64(limit)})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("read events of type %s: %w", t, err)
	}
	var zs []redis.Z
	for _, c := range zcmds {
		zs = append(zs, c.Val()...)
	}
	sortNewestFirst(zs)
	zs = zs[:min(len(zs), limit)]
	pipe = r.cfg.Redis.Pipeline()
	cmds := make([]*redis.StringCmd, len(zs))
	for i, z := range zs {
		id, seq, err := parseTypeMember(z.Member.(string))
		if err != nil {
			return nil, err
		}
		cmds[i] = pipe.LIndex(ctx, k.orderEvents(id), seq-1)
	}
	if len(cmds) == 0 {
		return []order.Event{}, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read events of type %s: %w", t, err)
	}
	out := make([]order.Event, 0, len(cmds))
	for _, c := range cmds {
		s, err := c.Result()
		if errors.Is(err, redis.Nil) {
			continue // the order's keys were deleted meanwhile
		}
		e, err := DecodeEventJSON([]byte(s))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// sortNewestFirst sorts members as ZREVRANGE orders one set: highest score
// first, equal scores in reverse lexical order of the member.
func sortNewestFirst(zs []redis.Z) {
	slices.SortFunc(zs, func(a, b redis.Z) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(b.Member.(string), a.Member.(string))
	})
}

// Page is one page of orders, newest first; Next is the cursor of the
// following page ("" on the last).
type Page struct {
	Orders []View
	Next   string
}

// Orders pages through every order, newest created first.
func (r *Reader) Orders(ctx context.Context, cursor string, limit int) (Page, error) {
	return r.pageOf(ctx, func(k keys, s int) string { return k.orders(s) }, cursor, limit)
}

// OrdersByCustomer pages through a customer's orders, newest created first.
func (r *Reader) OrdersByCustomer(ctx context.Context, customerID, cursor string, limit int) (Page, error) {
	return r.pageOf(ctx, func(k keys, s int) string { return k.customer(s, customerID) }, cursor, limit)
}

// OrdersByStatus pages through the orders now in a status, newest created
// first.
func (r *Reader) OrdersByStatus(ctx context.Context, status order.Status, cursor string, limit int) (Page, error) {
	return r.pageOf(ctx, func(k keys, s int) string { return k.status(s, status) }, cursor, limit)
}

func clampLimit(limit, def int) int {
	if limit <= 0 {
		return def
	}
	return min(limit, 1000)
}

func (r *Reader) pageOf(ctx context.Context, key func(k keys, shard int) string, cursor string, limit int) (Page, error) {
	k, err := r.keys(ctx)
	if err != nil {
		return Page{}, err
	}
	ids, next, err := r.page(ctx, func(s int) string { return key(k, s) }, cursor, clampLimit(limit, 50))
	if err != nil {
		return Page{}, err
	}
	if len(ids) == 0 {
		return Page{Next: next, Orders: []View{}}, nil
	}
	pipe := r.cfg.Redis.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, k.order(id), fieldView)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return Page{}, fmt.Errorf("read %d orders: %w", len(ids), err)
	}
	pg := Page{Next: next, Orders: make([]View, 0, len(ids))}
	for i, c := range cmds {
		s, err := c.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		v, err := decodeView(ids[i], s)
		if err != nil {
			return Page{}, err
		}
		pg.Orders = append(pg.Orders, v)
	}
	return pg, nil
}

// page reads up to limit members of a set sharded over NumShards keys
// after the cursor, highest score first: every shard's first limit+1
// members after the cursor (one pipelined round trip), merged. The cursor
// is the last member returned and its score, so pages stay right while
// members are added (ranks would shift) and do not depend on which shard a
// member is in; members of equal score come in reverse lexical order and
// those at or above the cursor's member were on earlier pages.
func (r *Reader) page(ctx context.Context, key func(shard int) string, cursor string, limit int) ([]string, string, error) {
	hi, curScore, curMember, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	type shardPage struct {
		out    []redis.Z
		offset int64
		done   bool
	}
	var shards [NumShards]shardPage
	for {
		pipe := r.cfg.Redis.Pipeline()
		var cmds [NumShards]*redis.ZSliceCmd
		for s := range shards {
			if sp := &shards[s]; !sp.done && len(sp.out) <= limit {
				cmds[s] = pipe.ZRevRangeByScoreWithScores(ctx, key(s), &redis.ZRangeBy{Min: "-inf", Max: hi, Offset: sp.offset, Count: int64(limit + 1)})
			}
		}
		if pipe.Len() == 0 {
			break
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, "", fmt.Errorf("read %s: %w", key(0), err)
		}
		for s, c := range cmds {
			if c == nil {
				continue
			}
			sp := &shards[s]
			zs := c.Val()
			for _, z := range zs {
				m := z.Member.(string)
				if cursor != "" && int64(z.Score) == curScore && m >= curMember {
					continue
				}
				sp.out = append(sp.out, z)
			}
			sp.offset += int64(len(zs))
			// Fewer than asked: the shard has no more. Otherwise, if ties at
			// the cursor were skipped, read on.
			sp.done = len(zs) < limit+1 || len(sp.out) > limit
		}
	}
	var out []redis.Z
	for _, sp := range shards {
		out = append(out, sp.out...)
	}
	sortNewestFirst(out)
	ids := make([]string, 0, min(len(out), limit))
	for _, z := range out[:min(len(out), limit)] {
		ids = append(ids, z.Member.(string))
	}
	next := ""
	if len(out) > limit {
		last := out[limit-1]
		next = encodeCursor(int64(last.Score), last.Member.(string))
	}
	return ids, next, nil
}

func encodeCursor(score int64, member string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(score, 10) + ":" + member))
}

// decodeCursor returns the score bound to read from and the cursor's score
// and member; "" starts at the top.
func decodeCursor(c string) (hi string, score int64, member string, err error) {
	if c == "" {
		return "+inf", 0, "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", 0, "", fmt.Errorf("%w: %v", ErrBadCursor, err)
	}
	s, m, ok := strings.Cut(string(b), ":")
	if !ok {
		return "", 0, "", ErrBadCursor
	}
	score, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return "", 0, "", fmt.Errorf("%w: %v", ErrBadCursor, err)
	}
	return s, score, m, nil
}

// Counters are the dashboard's live numbers.
type Counters struct {
	// OrdersByStatus counts orders per current status.
	OrdersByStatus map[order.Status]int64
	// Revenue is captured minus refunded money, per currency and UTC day
	// of the payment events, oldest day first.
	Revenue []Revenue
	// EventsPerMinute counts events per type for each of the last
	// ReaderConfig.CounterMinutes UTC minutes (by event time), oldest first.
	EventsPerMinute []MinuteCount
}

// Revenue is one currency's net takings on one day, in minor units.
type Revenue struct {
	Currency string
	Day      string // 2026-11-21
	Amount   int64
}

// MinuteCount is the events of one minute by type.
type MinuteCount struct {
	Minute time.Time
	ByType map[order.EventType]int64
}

// Counters reads the dashboard counters, every shard's, in one round trip
// and sums them.
func (r *Reader) Counters(ctx context.Context) (Counters, error) {
	k, err := r.keys(ctx)
	if err != nil {
		return Counters{}, err
	}
	pipe := r.cfg.Redis.Pipeline()
	now := r.cfg.Now().UTC().Truncate(time.Minute)
	minutes := make([]time.Time, r.cfg.CounterMinutes)
	for i := range minutes {
		minutes[i] = now.Add(-time.Duration(len(minutes)-1-i) * time.Minute)
	}
	var status, revenue [NumShards]*redis.MapStringStringCmd
	mcmds := make([][NumShards]*redis.MapStringStringCmd, len(minutes))
	for s := range NumShards {
		status[s] = pipe.HGetAll(ctx, k.statusCounts(s))
		revenue[s] = pipe.HGetAll(ctx, k.revenue(s))
		for i, m := range minutes {
			mcmds[i][s] = pipe.HGetAll(ctx, k.minute(s, m))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return Counters{}, fmt.Errorf("read counters: %w", err)
	}
	var c Counters
	c.OrdersByStatus = map[order.Status]int64{}
	byDay := map[[2]string]int64{}
	for s := range NumShards {
		for st, v := range status[s].Val() {
			n, _ := strconv.ParseInt(v, 10, 64)
			c.OrdersByStatus[order.Status(st)] += n
		}
		for f, v := range revenue[s].Val() {
			cur, day, _ := strings.Cut(f, ":")
			n, _ := strconv.ParseInt(v, 10, 64)
			byDay[[2]string{cur, day}] += n
		}
	}
	for st, n := range c.OrdersByStatus {
		if n == 0 {
			delete(c.OrdersByStatus, st)
		}
	}
	for cd, n := range byDay {
		if n == 0 {
			continue // as the script drops a field that reaches 0
		}
		c.Revenue = append(c.Revenue, Revenue{Currency: cd[0], Day: cd[1], Amount: n})
	}
	slices.SortFunc(c.Revenue, func(a, b Revenue) int {
		return strings.Compare(a.Day+a.Currency, b.Day+b.Currency)
	})
	for i, m := range minutes {
		mc := MinuteCount{Minute: m, ByType: map[order.EventType]int64{}}
		for s := range NumShards {
			for t, v := range mcmds[i][s].Val() {
				n, _ := strconv.ParseInt(v, 10, 64)
				mc.ByType[order.EventType(t)] += n
			}
		}
		c.EventsPerMinute = append(c.EventsPerMinute, mc)
	}
	return c, nil
}
