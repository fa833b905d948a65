package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"

	"github.com/orderlog/orderlog/topics"
)

func init() {
	var partitions, rf, minISR int
	topicFlags := func(fs *flag.FlagSet) {
		fs.IntVar(&partitions, "partitions", 6, "partitions of every co-partitioned topic")
		fs.IntVar(&rf, "replication-factor", 1, "replication factor of the topics; -1 for the broker's default")
		fs.IntVar(&minISR, "min-insync-replicas", 0, "min.insync.replicas of every topic (production: 2 with replication 3); 0 for the broker's default")
	}
	set := func(g *globals) (topics.Set, error) {
		return topics.New(topics.Config{Prefix: g.TopicPrefix, Partitions: int32(partitions), ReplicationFactor: int16(rf),
			MinInsyncReplicas: int16(minISR)})
	}
	register(&command{
		path:  "topics create",
		short: "create the missing topics of orderlog (existing ones are left alone), then verify them",
		long: `Creates order.commands, order.events, order.state, order.command-results and
order.commands.dlq (with --topic-prefix in front) with their retention and cleanup
policies, then verifies every topic as "topics verify" does.`,
		example: "  orderctl topics create --topic-prefix staging. --partitions 12 --replication-factor 3 --min-insync-replicas 2",
		flags:   topicFlags,
		run: func(ctx context.Context, g *globals, e env, _ []string) int {
			s, err := set(g)
			if err != nil {
				fmt.Fprintf(e.stderr, "orderctl topics create: %v\n", err)
				return exitUsage
			}
			adm, done, err := g.admin(ctx)
			if err != nil {
				fmt.Fprintf(e.stderr, "orderctl topics create: %v\n", err)
				return exitError
			}
			defer done()
			created, err := s.Ensure(ctx, adm)
			if err != nil {
				fmt.Fprintf(e.stderr, "orderctl topics create: %v\n", err)
				return exitError
			}
			verr := s.Verify(ctx, adm)
			if g.Output == "json" {
				printJSON(e.stdout, map[string]any{"created": nonNil(created), "problems": problemsOf(verr)})
			} else {
				for _, n := range s.TopicNames() {
					what := "exists"
					if slices.Contains(created, n) {
						what = "created"
					}
					fmt.Fprintf(e.stdout, "%-40s %s\n", n, what)
				}
			}
			return reportVerify(e, "topics create", verr)
		},
	})
	register(&command{
		path:  "topics verify",
		short: "check that every topic exists with the expected partitions, replication and configs",
		long: `Prints each problem found (a missing topic, a wrong partition count or replication
factor, topics that are not co-partitioned, a wrong retention or cleanup policy)
with what to do about it, and exits 1 if there is any.`,
		example: "  orderctl topics verify --topic-prefix staging. --partitions 12 --replication-factor 3 --min-insync-replicas 2",
		flags:   topicFlags,
		run: func(ctx context.Context, g *globals, e env, _ []string) int {
			s, err := set(g)
			if err != nil {
				fmt.Fprintf(e.stderr, "orderctl topics verify: %v\n", err)
				return exitUsage
			}
			adm, done, err := g.admin(ctx)
			if err != nil {
				fmt.Fprintf(e.stderr, "orderctl topics verify: %v\n", err)
				return exitError
			}
			defer done()
			verr := s.Verify(ctx, adm)
			if g.Output == "json" {
				printJSON(e.stdout, map[string]any{"ok": verr == nil, "problems": problemsOf(verr)})
			} else if verr == nil {
				fmt.Fprintf(e.stdout, "ok: %d topics as expected\n", len(s.TopicNames()))
			}
			return reportVerify(e, "topics verify", verr)
		},
	})
}

// problemsOf lists the problems of a Verify error as text.
func problemsOf(err error) []string {
	out := []string{}
	var ve *topics.VerifyError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			out = append(out, p.String())
		}
	}
	return out
}

func reportVerify(e env, cmd string, err error) int {
	if err == nil {
		return exitOK
	}
	var ve *topics.VerifyError
	if !errors.As(err, &ve) {
		fmt.Fprintf(e.stderr, "orderctl %s: %v\n", cmd, err)
		return exitError
	}
	fmt.Fprintf(e.stderr, "orderctl %s: %d problem(s):\n", cmd, len(ve.Problems))
	for _, p := range ve.Problems {
		fmt.Fprintf(e.stderr, "  %s\n", p)
	}
	return exitError
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
