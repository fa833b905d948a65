package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
	"github.com/orderlog/orderlog/schemas"
)

// rebuildOpts are the flags of orderctl rebuild.
type rebuildOpts struct {
	newPrefix string
	group     string
	registry  string
	noSwitch  bool
	follow    bool
	progress  bool
}

// rebuildSummary is what orderctl rebuild prints at the end.
type rebuildSummary struct {
	Prefix         string  `json:"prefix"`
	PreviousPrefix string  `json:"previousPrefix"`
	Group          string  `json:"group"`
	Events         int64   `json:"events"`  // events applied under prefix
	Offsets        int64   `json:"offsets"` // records of order.events to read at the start
	Switched       bool    `json:"switched"`
	Seconds        float64 `json:"durationSeconds"`
}

func init() {
	var o rebuildOpts
	register(&command{
		path:  "rebuild",
		short: "rebuild the read models from order.events under a new Redis prefix, then switch readers to it",
		long: `Projects order.events from its beginning into a fresh Redis key prefix (--new-prefix;
by default the --redis-prefix's name and the time, e.g. orderlog-20261121T104500:),
next to the prefix readers use now, as a projector of the consumer group
GROUP-PREFIX (--group, default orderlog-projector: the group orderd --rebuild-prefix
PREFIX uses). Once the group has projected the whole log as it stood at some
moment, it sets --redis-pointer-key to the new prefix: readers switch at once.
A progress bar on stderr (on a terminal, or with --progress) counts the records
of order.events the group has committed (events and transaction markers)
against those the log held at the start; the summary counts the events applied.

After the switch, the new prefix stays current only while a projector of the
group GROUP-PREFIX runs: with --follow orderctl goes on as that projector until
interrupted; without it, run orderd with --rebuild-prefix PREFIX (it resumes
the group where orderctl stopped), stop the projectors of the old prefix, and
delete the old prefix's keys. --no-switch only builds the prefix: orderd
--rebuild-prefix PREFIX then catches up from there and switches itself.
Interrupted, a rebuild resumes when run again with the same --new-prefix.

Exit codes: 0 built (and switched), 1 error or interrupted, 2 usage.`,
		example: "  orderctl rebuild\n  orderctl rebuild --new-prefix orderlog-v2: --output json\n  orderctl rebuild --new-prefix orderlog-v2: --no-switch --progress",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&o.newPrefix, "new-prefix", "", "the Redis key prefix to build (default: --redis-prefix's name, '-', the UTC time and ':')")
			fs.StringVar(&o.group, "group", "orderlog-projector", "the projectors' consumer group; the rebuild uses GROUP-PREFIX")
			fs.StringVar(&o.registry, "schema-registry-url", "", "the schema registry orderd uses, if any (events in the Confluent wire format)")
			fs.BoolVar(&o.noSwitch, "no-switch", false, "build the prefix but leave the pointer key as it is")
			fs.BoolVar(&o.follow, "follow", false, "after the switch, go on projecting into the new prefix until interrupted")
			fs.BoolVar(&o.progress, "progress", false, "draw the progress bar on stderr even when it is not a terminal")
		},
		run: func(ctx context.Context, g *globals, e env, _ []string) int {
			return rebuild(ctx, g, e, o)
		},
	})
}

// defaultPrefix is base's name (its trailing ':' dropped), '-', the UTC time
// and ':'.
func defaultPrefix(base string, now time.Time) string {
	return strings.TrimRight(base, ":") + "-" + now.UTC().Format("20060102T150405") + ":"
}

func rebuild(ctx context.Context, g *globals, e env, o rebuildOpts) int {
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(e.stderr, "orderctl rebuild: "+format+"\n", args...)
		return code
	}
	if o.noSwitch && o.follow {
		return fail(exitUsage, "--follow keeps projecting after the switch; it does not go with --no-switch")
	}
	if strings.TrimSpace(o.group) == "" {
		return fail(exitUsage, "--group is empty")
	}
	start := time.Now()
	if o.newPrefix == "" {
		o.newPrefix = defaultPrefix(g.RedisPrefix, start)
	}
	if err := projections.ValidatePrefix(o.newPrefix); err != nil {
		return fail(exitUsage, "--new-prefix: %v", err)
	}
	group := o.group + "-" + o.newPrefix // as projections.Rebuild names it
	topic := g.names().Events

	rdb, err := g.redis(ctx)
	if err != nil {
		return fail(exitError, "%v", err)
	}
	defer rdb.Close()
	active, err := projections.ActivePrefix(ctx, rdb, g.PointerKey, g.RedisPrefix)
	if err != nil {
		return fail(exitError, "redis at %s: %v", g.Redis.Addr, err)
	}
	if o.newPrefix == active {
		return fail(exitUsage, "--new-prefix %q is the active prefix (%s); choose another, e.g. %q", o.newPrefix, g.PointerKey, defaultPrefix(g.RedisPrefix, start))
	}
	if strings.HasPrefix(o.newPrefix, active) || strings.HasPrefix(active, o.newPrefix) {
		return fail(exitUsage, "--new-prefix %q overlaps the active prefix %q (one starts the other); choose another, e.g. %q",
			o.newPrefix, active, defaultPrefix(g.RedisPrefix, start))
	}

	adm, closeAdm, err := g.admin(ctx)
	if err != nil {
		return fail(exitError, "%v", err)
	}
	defer closeAdm()
	todo, from, resumed, err := logToRead(ctx, adm, topic, group)
	if err != nil {
		return fail(exitError, "%v", err)
	}
	if !resumed {
		if k, err := projections.AnyKey(ctx, rdb, o.newPrefix); err != nil {
			return fail(exitError, "redis at %s: %v", g.Redis.Addr, err)
		} else if k != "" {
			return fail(exitUsage, "prefix %q already has keys (%s) but group %s has no offsets: it is not a fresh prefix; choose another", o.newPrefix, k, group)
		}
	}

	var opts []schemas.Option
	if o.registry != "" {
		reg, err := sr.NewClient(sr.URLs(o.registry))
		if err != nil {
			return fail(exitUsage, "--schema-registry-url: %v", err)
		}
		opts = append(opts, schemas.WithRegistry(reg, topic+"-value"))
	}
	events, err := schemas.NewEvents(ctx, opts...)
	if err != nil {
		return fail(exitError, "%v", err)
	}

	// The bar counts the records of order.events the group has committed
	// (events and transaction markers) against those the log held at the
	// start; the summary counts the events applied.
	bar := newProgress(e, o.progress, todo, "rebuilding "+o.newPrefix, "records")
	var applied atomic.Int64
	p, err := projections.New(projections.Config{
		Brokers: g.brokers(), Group: group, Topic: topic, Events: events, Redis: rdb,
		Prefix: o.newPrefix, PointerKey: g.PointerKey, Activate: !o.noSwitch,
		// Warnings only: the bar owns the terminal's last line.
		Logger:    slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		OnApplied: func(order.Event, time.Time) { applied.Add(1) },
	})
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	runErr := make(chan error, 1)
	go func() { runErr <- p.Run(rctx) }()

	summary := func(switched bool) rebuildSummary {
		return rebuildSummary{Prefix: o.newPrefix, PreviousPrefix: active, Group: group, Events: applied.Load(),
			Offsets: todo, Switched: switched, Seconds: time.Since(start).Seconds()}
	}
	tick := func() {
		if bar != nil {
			bar.Set(committedSince(ctx, adm, topic, group, from))
		}
	}
	if err := waitRebuilt(ctx, p, o.noSwitch, runErr, tick); err != nil {
		bar.Stop()
		if !errors.Is(err, errProjectorStopped) {
			stop()
			<-runErr
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fail(exitError, "interrupted after %d events; run the same command (--new-prefix %s) to resume", applied.Load(), o.newPrefix)
		}
		return fail(exitError, "%v", err)
	}
	bar.Finish()
	s := summary(!o.noSwitch)
	if o.follow {
		fmt.Fprintf(e.stderr, "orderctl rebuild: readers use %s now (was %s); projecting new events into it until interrupted\n", o.newPrefix, active)
		select {
		case <-ctx.Done():
		case err := <-runErr:
			if err != nil {
				return fail(exitError, "%v", err)
			}
		}
		s = summary(true)
	}
	stop()
	if err := <-runErr; err != nil {
		return fail(exitError, "%v", err)
	}
	if g.Output == "json" {
		printJSON(e.stdout, s)
	} else {
		fmt.Fprintf(e.stdout, "rebuilt %d event(s) under %s in %s (group %s)\n", s.Events, s.Prefix, time.Duration(s.Seconds*float64(time.Second)).Round(time.Millisecond), group)
		if s.Switched {
			fmt.Fprintf(e.stdout, "readers now use %s (was %s)\n", s.Prefix, s.PreviousPrefix)
		} else {
			fmt.Fprintf(e.stdout, "readers still use %s (--no-switch)\n", s.PreviousPrefix)
		}
	}
	if !o.follow {
		fmt.Fprintf(e.stderr, "orderctl rebuild: %s is kept current only while a projector of group %s runs: "+
			"run orderd with --rebuild-prefix %s (and --projector-group %s), stop the projectors of %s, then delete its keys\n",
			o.newPrefix, group, o.newPrefix, o.group, active)
	}
	return exitOK
}

var errProjectorStopped = errors.New("the projector stopped before it caught up")

// waitRebuilt returns once p has made its prefix the active one (or, with
// noSwitch, its group has projected the whole log as it stood at some
// moment), or with the error that stopped it.
// It calls tick every 200 ms.
func waitRebuilt(ctx context.Context, p *projections.Projector, noSwitch bool, runErr <-chan error, tick func()) error {
	ticker := time.NewTicker(200 * time.Millisecond)
	defer ticker.Stop()
	lastCheck := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-runErr:
			if err == nil {
				return errProjectorStopped
			}
			return fmt.Errorf("%w: %w", errProjectorStopped, err)
		case <-ticker.C:
		}
		tick()
		if !noSwitch {
			if p.Activated() {
				return nil
			}
			continue
		}
		if !p.Ready() || time.Since(lastCheck) < time.Second {
			continue
		}
		lastCheck = time.Now()
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ok, err := p.CaughtUp(cctx)
		cancel()
		if err == nil && ok {
			return nil
		}
	}
}

// logToRead returns how many records of topic group has still to read (the
// end offsets less the group's committed offsets, or the start offsets for a
// new group), the offset it reads each partition from, and whether the group
// had committed offsets (a resumed rebuild).
func logToRead(ctx context.Context, adm *kadm.Client, topic, group string) (int64, map[int32]int64, bool, error) {
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return 0, nil, false, fmt.Errorf("start offsets of %s: %w", topic, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return 0, nil, false, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err == nil {
		err = committed.Error()
	}
	if errors.Is(err, kerr.GroupIDNotFound) {
		committed, err = nil, nil // a new group: no offsets
	}
	if err != nil {
		return 0, nil, false, fmt.Errorf("offsets of group %s: %w", group, err)
	}
	var todo int64
	resumed := false
	froms := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		from := int64(0)
		if s, ok := starts.Lookup(topic, o.Partition); ok {
			from = s.Offset
		}
		if c, ok := committed.Lookup(topic, o.Partition); ok && c.At >= 0 {
			resumed = true
			from = max(from, c.At)
		}
		froms[o.Partition] = from
		todo += max(0, o.Offset-from)
	})
	return todo, froms, resumed, nil
}

// committedSince returns how many records of topic group has committed past
// from, or -1 if its offsets cannot be read now.
func committedSince(ctx context.Context, adm *kadm.Client, topic, group string, from map[int32]int64) int64 {
	committed, err := adm.FetchOffsets(ctx, group)
	if err == nil {
		err = committed.Error()
	}
	if err != nil {
		return -1
	}
	var n int64
	for p, f := range from {
		if c, ok := committed.Lookup(topic, p); ok {
			n += max(0, c.At-f)
		}
	}
	return n
}
