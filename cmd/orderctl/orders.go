package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/projections"
)

func (g *globals) reader(ctx context.Context) (*projections.Reader, func(), error) {
	rdb, err := g.redis(ctx)
	if err != nil {
		return nil, nil, err
	}
	r, err := projections.NewReader(projections.ReaderConfig{Redis: rdb, Prefix: g.RedisPrefix, PointerKey: g.PointerKey})
	if err != nil {
		rdb.Close()
		return nil, nil, err
	}
	return r, func() { rdb.Close() }, nil
}

func init() {
	var version int64
	var at string
	register(&command{
		path:  "order show",
		args:  "ORDER_ID",
		nargs: 1,
		short: "show an order from the read models (Redis), now or as it was",
		long: `Without --version or --at, the order's current state. With --version N, its
state after its first N events; with --at TIME, after its events stamped at or
before TIME (RFC 3339): both folded with order.Evolve from its events in Redis.`,
		example: "  orderctl order show o-1\n  orderctl order show o-1 --version 2 --output json\n  orderctl order show o-1 --at 2026-11-21T12:00:00Z",
		flags: func(fs *flag.FlagSet) {
			fs.Int64Var(&version, "version", 0, "the order as it was at this version")
			fs.StringVar(&at, "at", "", "the order as it was at this time (RFC 3339)")
		},
		run: func(ctx context.Context, g *globals, e env, args []string) int {
			if version != 0 && at != "" {
				fmt.Fprintf(e.stderr, "orderctl order show: give --version or --at, not both\n")
				return exitUsage
			}
			var t time.Time
			if at != "" {
				var err error
				if t, err = time.Parse(time.RFC3339Nano, at); err != nil {
					fmt.Fprintf(e.stderr, "orderctl order show: --at: %v\n", err)
					return exitUsage
				}
			}
			if version < 0 {
				fmt.Fprintf(e.stderr, "orderctl order show: --version %d: versions start at 1\n", version)
				return exitUsage
			}
			r, done, err := g.reader(ctx)
			if err != nil {
				fmt.Fprintf(e.stderr, "orderctl order show: %v\n", err)
				return exitError
			}
			defer done()
			id := args[0]
			evs, err := r.Events(ctx, id, 1, version)
			if err != nil {
				return readErr(e, "order show", err)
			}
			if version > 0 && int64(len(evs)) < version {
				fmt.Fprintf(e.stderr, "orderctl order show: order %s is at version %d, not %d\n", id, len(evs), version)
				return exitError
			}
			if at != "" {
				n := 0
				for n < len(evs) && !evs[n].Time.After(t) {
					n++
				}
				if n == 0 {
					fmt.Fprintf(e.stderr, "orderctl order show: order %s did not exist at %s\n", id, at)
					return exitError
				}
				evs = evs[:n]
			}
			var s order.State
			for _, ev := range evs {
				s = order.Evolve(s, ev)
			}
			if g.Output == "json" {
				printJSON(e.stdout, s)
				return exitOK
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			for _, row := range [][2]string{
				{"order", s.OrderID}, {"number", s.OrderNumber}, {"customer", s.CustomerID}, {"status", string(s.Status)},
				{"version", fmt.Sprint(s.Version)}, {"currency", s.Currency}, {"lines", fmt.Sprint(len(s.Lines))},
				{"created", s.CreatedAt.Format(time.RFC3339)}, {"updated", s.UpdatedAt.Format(time.RFC3339)},
			} {
				fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
			}
			_ = tw.Flush()
			return exitOK
		},
	})
	register(&command{
		path:    "order history",
		args:    "ORDER_ID",
		nargs:   1,
		short:   "list an order's events: seq, time, type, causationId",
		example: "  orderctl order history o-1\n  orderctl order history o-1 --output json",
		run: func(ctx context.Context, g *globals, e env, args []string) int {
			r, done, err := g.reader(ctx)
			if err != nil {
				fmt.Fprintf(e.stderr, "orderctl order history: %v\n", err)
				return exitError
			}
			defer done()
			evs, err := r.Events(ctx, args[0], 1, 0)
			if err != nil {
				return readErr(e, "order history", err)
			}
			if g.Output == "json" {
				printJSON(e.stdout, nonNil(evs))
				return exitOK
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQ\tTIME\tTYPE\tCAUSATION ID")
			for _, ev := range evs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", ev.Seq, ev.Time.UTC().Format(time.RFC3339Nano), ev.Type, ev.CausationID)
			}
			_ = tw.Flush()
			return exitOK
		},
	})
}

func readErr(e env, cmd string, err error) int {
	fmt.Fprintf(e.stderr, "orderctl %s: %v\n", cmd, err)
	return exitError
}
