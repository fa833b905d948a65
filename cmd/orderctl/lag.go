package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/orderlog/orderlog/internal/records"
)

func init() {
	var groups string
	register(&command{
		path:  "lag",
		short: "consumer lag per group and partition (processor and projector groups by default)",
		long: `For each group: its state, and per topic and partition the committed offset, the
end offset, the lag and the member consuming it. The lag counts records, as a
read_committed consumer reads them: transaction markers and aborted records are
not lag, so an idle group lags 0 (end - committed would say 1 behind a
transactional writer). A lag of more than 20,000 offsets is end - committed, an
upper bound; -1 when unknown.`,
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
			cl, err := g.client(ctx)
			if err != nil {
				fmt.Fprintf(e.stderr, "orderctl lag: %v\n", err)
				return exitError
			}
			defer cl.Close()
			adm := kadm.NewClient(cl)
			lags, err := adm.Lag(ctx, names...)
			if err != nil {
				fmt.Fprintf(e.stderr, "orderctl lag: groups %s: %v\n", strings.Join(names, ","), g.Kafka.Explain(err, "orderctl", settingName))
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
			// Offsets overcount behind a transactional writer: count the
			// records of each short lag instead.
			counter := records.NewCounter(cl)
			for i := range rows {
				r := &rows[i]
				if r.Lag <= 0 || r.Lag > records.MaxCounted || r.Committed < 0 {
					continue
				}
				rs, err := counter.Ranges(ctx, r.Topic, func(p int32) (int64, bool) { return r.Committed, p == r.Partition })
				if err != nil || len(rs) != 1 || rs[0].To != r.End {
					continue // moved on meanwhile, or not readable: the offsets stand
				}
				if n, err := counter.Count(ctx, rs[0]); err == nil {
					r.Lag = n
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
