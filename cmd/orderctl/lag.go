package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
)

func init() {
	var groups string
	register(&command{
		path:  "lag",
		short: "consumer lag per group and partition (processor and projector groups by default)",
		long: `For each group: its state, and per topic and partition the committed offset, the
end offset, the lag (end - committed; -1 when unknown) and the member consuming it.
The processors commit in transactions: their end offsets include transaction
markers, so an idle group may show a lag of 1.`,
		example: "  orderctl lag\n  orderctl lag --groups orderlog-processor --output json",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&groups, "groups", "orderlog-processor,orderlog-projector", "consumer groups, comma-separated")
		},
		run: func(ctx context.Context, g *globals, e env, _ []string) int {
			var names []string
			for s := range strings.SplitSeq(groups, ",") {
				if s = strings.TrimSpace(s); s != "" {
					names = append(names, s)
				}
			}
			if len(names) == 0 {
				fmt.Fprintf(e.stderr, "orderctl lag: --groups names no group\n")
				return exitUsage
			}
			adm, done, err := g.admin()
			if err != nil {
				fmt.Fprintf(e.stderr, "orderctl lag: %v\n", err)
				return exitError
			}
			defer done()
			lags, err := adm.Lag(ctx, names...)
			if err != nil {
				fmt.Fprintf(e.stderr, "orderctl lag: %v\n", err)
				return exitError
			}
			type row struct {
				Group     string `json:"group"`
				State     string `json:"state"`
				Topic     string `json:"topic"`
				Partition int32  `json:"partition"`
				Committed int64  `json:"committed"`
				End       int64  `json:"end"`
				Lag       int64  `json:"lag"`
				Member    string `json:"member,omitempty"`
				Error     string `json:"error,omitempty"`
			}
			rows := []row{}
			code := exitOK
			for _, gl := range lags.Sorted() {
				if err := gl.Error(); err != nil {
					fmt.Fprintf(e.stderr, "orderctl lag: group %s: %v\n", gl.Group, err)
					code = exitError
					continue
				}
				for _, l := range gl.Lag.Sorted() {
					r := row{Group: gl.Group, State: gl.State, Topic: l.Topic, Partition: l.Partition,
						Committed: l.Commit.At, End: l.End.Offset, Lag: l.Lag}
					if l.Member != nil {
						r.Member = l.Member.ClientID + " " + l.Member.ClientHost
					}
					if l.Err != nil {
						r.Error = l.Err.Error()
					}
					rows = append(rows, r)
				}
				if len(gl.Lag) == 0 {
					rows = append(rows, row{Group: gl.Group, State: gl.State, Partition: -1, Committed: -1, End: -1, Lag: -1, Error: "no committed offsets"})
				}
			}
			if g.Output == "json" {
				printJSON(e.stdout, rows)
				return code
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "GROUP\tSTATE\tTOPIC\tPARTITION\tCOMMITTED\tEND\tLAG\tMEMBER\tERROR")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", r.Group, r.State, r.Topic, r.Partition, r.Committed, r.End, r.Lag, r.Member, r.Error)
			}
			_ = tw.Flush()
			return code
		},
	})
}
