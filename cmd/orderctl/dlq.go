package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/topics"
)

// HeaderReplayedFrom marks a command replayed from the DLQ with its DLQ offset.
const (
	HeaderReplayedFrom          = "replayed-from-dlq-offset"
	HeaderReplayedFromPartition = "replayed-from-dlq-partition"
)

// dlqEntry is a dead-lettered command as orderctl shows it.
type dlqEntry struct {
	Partition       int32             `json:"partition"`
	Offset          int64             `json:"offset"`
	Key             string            `json:"key"`
	Error           string            `json:"error"`
	SourceTopic     string            `json:"sourceTopic"`
	SourcePartition string            `json:"sourcePartition"`
	SourceOffset    string            `json:"sourceOffset"`
	Time            string            `json:"deadLetteredAt,omitempty"`
	Headers         map[string]string `json:"headers,omitempty"`
	Value           string            `json:"value,omitempty"`
	rec             *kgo.Record
}

func entryOf(r *kgo.Record, full bool) dlqEntry {
	h := map[string]string{}
	for _, x := range r.Headers {
		h[x.Key] = string(x.Value)
	}
	d := dlqEntry{Partition: r.Partition, Offset: r.Offset, Key: string(r.Key), Error: h[topics.HeaderDLQError],
		SourceTopic: h[topics.HeaderDLQTopic], SourcePartition: h[topics.HeaderDLQPartition],
		SourceOffset: h[topics.HeaderDLQOffset], Time: h[topics.HeaderDLQTime], rec: r}
	if full {
		d.Headers, d.Value = h, string(r.Value)
	}
	return d
}

func init() {
	var partition int
	var all, progress bool
	pickFlags := func(fs *flag.FlagSet) {
		fs.IntVar(&partition, "partition", -1, "the DLQ partition of OFFSET (needed only when several partitions have a record at OFFSET)")
	}
	register(&command{
		path:    "dlq list",
		short:   "list the dead-lettered commands: offset, key, error, where they came from",
		long:    "Reads order.commands.dlq from its start to its current end (committed records only).",
		example: "  orderctl dlq list\n  orderctl dlq list --output json",
		run: func(ctx context.Context, g *globals, e env, _ []string) int {
			recs, err := readDLQ(ctx, g)
			if err != nil {
				fmt.Fprintf(e.stderr, "orderctl dlq list: %v\n", err)
				return exitError
			}
			entries := make([]dlqEntry, len(recs))
			for i, r := range recs {
				entries[i] = entryOf(r, false)
			}
			if g.Output == "json" {
				printJSON(e.stdout, entries)
				return exitOK
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PARTITION\tOFFSET\tKEY\tSOURCE\tERROR")
			for _, d := range entries {
				fmt.Fprintf(tw, "%d\t%d\t%s\t%s[%s]@%s\t%s\n", d.Partition, d.Offset, d.Key, d.SourceTopic, d.SourcePartition, d.SourceOffset, oneLine(d.Error))
			}
			_ = tw.Flush()
			fmt.Fprintf(e.stdout, "%d dead-lettered command(s)\n", len(entries))
			return exitOK
		},
	})
	register(&command{
		path:    "dlq show",
		args:    "OFFSET",
		nargs:   1,
		short:   "show one dead-lettered command: its headers and value",
		example: "  orderctl dlq show 42\n  orderctl dlq show 42 --partition 3 --output json",
		flags:   pickFlags,
		run: func(ctx context.Context, g *globals, e env, args []string) int {
			recs, code := pickDLQ(ctx, g, e, "dlq show", args[0], partition, false)
			if code != exitOK {
				return code
			}
			d := entryOf(recs[0], true)
			if g.Output == "json" {
				printJSON(e.stdout, d)
				return exitOK
			}
			fmt.Fprintf(e.stdout, "partition %d offset %d key %q\nerror: %s\nsource: %s[%s]@%s\ndead-lettered at: %s\nheaders:\n", d.Partition, d.Offset, d.Key, d.Error, d.SourceTopic, d.SourcePartition, d.SourceOffset, d.Time)
			for _, x := range recs[0].Headers {
				fmt.Fprintf(e.stdout, "  %s: %s\n", x.Key, x.Value)
			}
			fmt.Fprintf(e.stdout, "value:\n%s\n", recs[0].Value)
			return exitOK
		},
	})
	register(&command{
		path:  "dlq replay",
		args:  "OFFSET | --all",
		nargs: -1,
		short: "produce dead-lettered commands back onto order.commands",
		long: `Replays the record at OFFSET (or with --all every record of the DLQ) onto
order.commands with its original key, value and headers, less the dlq-* headers,
plus replayed-from-dlq-offset and replayed-from-dlq-partition. Fix what made the
processor dead-letter it first (a missing key, an unknown schema): a command that
still cannot be read is dead-lettered again. A progress bar on stderr counts the
commands produced (on a terminal, or with --progress).`,
		example: "  orderctl dlq replay 42\n  orderctl dlq replay --all --progress",
		flags: func(fs *flag.FlagSet) {
			pickFlags(fs)
			fs.BoolVar(&all, "all", false, "replay every dead-lettered command")
			fs.BoolVar(&progress, "progress", false, "draw the progress bar on stderr even when it is not a terminal")
		},
		run: func(ctx context.Context, g *globals, e env, args []string) int {
			if all == (len(args) == 1) || len(args) > 1 {
				fmt.Fprintf(e.stderr, "orderctl dlq replay: give either one OFFSET or --all\n")
				return exitUsage
			}
			arg := ""
			if len(args) == 1 {
				arg = args[0]
			}
			recs, code := pickDLQ(ctx, g, e, "dlq replay", arg, partition, all)
			if code != exitOK {
				return code
			}
			return replay(ctx, g, e, recs, progress)
		},
	})
}

func replay(ctx context.Context, g *globals, e env, recs []*kgo.Record, progress bool) int {
	cl, err := g.client(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "orderctl dlq replay: %v\n", err)
		return exitError
	}
	defer cl.Close()
	type replayed struct {
		DLQPartition int32  `json:"dlqPartition"`
		DLQOffset    int64  `json:"dlqOffset"`
		Key          string `json:"key"`
		Topic        string `json:"topic"`
		Partition    int32  `json:"partition"`
		Offset       int64  `json:"offset"`
	}
	var done []replayed
	code := exitOK
	bar := newProgress(e, progress, int64(len(recs)), "replaying", "commands")
	for _, r := range recs {
		var hs []kgo.RecordHeader
		for _, h := range r.Headers {
			if !strings.HasPrefix(h.Key, "dlq-") && h.Key != HeaderReplayedFrom && h.Key != HeaderReplayedFromPartition {
				hs = append(hs, h)
			}
		}
		hs = append(hs,
			kgo.RecordHeader{Key: HeaderReplayedFrom, Value: []byte(strconv.FormatInt(r.Offset, 10))},
			kgo.RecordHeader{Key: HeaderReplayedFromPartition, Value: []byte(strconv.Itoa(int(r.Partition)))})
		out := &kgo.Record{Topic: g.names().Commands, Key: r.Key, Value: r.Value, Headers: hs}
		if err := cl.ProduceSync(ctx, out).FirstErr(); err != nil {
			fmt.Fprintf(e.stderr, "orderctl dlq replay: partition %d offset %d: %v\n", r.Partition, r.Offset, err)
			code = exitError
			break
		}
		done = append(done, replayed{r.Partition, r.Offset, string(r.Key), out.Topic, out.Partition, out.Offset})
		bar.Add(1)
	}
	if code == exitOK {
		bar.Finish()
	} else {
		bar.Stop()
	}
	if g.Output == "json" {
		printJSON(e.stdout, nonNil(done))
	} else {
		for _, d := range done {
			fmt.Fprintf(e.stdout, "replayed DLQ partition %d offset %d (key %q) to %s partition %d offset %d\n",
				d.DLQPartition, d.DLQOffset, d.Key, d.Topic, d.Partition, d.Offset)
		}
		fmt.Fprintf(e.stdout, "%d of %d command(s) replayed\n", len(done), len(recs))
	}
	return code
}

// pickDLQ returns the DLQ records a show or replay is about.
func pickDLQ(ctx context.Context, g *globals, e env, cmd, arg string, partition int, all bool) ([]*kgo.Record, int) {
	var offset int64
	if !all {
		var err error
		if offset, err = strconv.ParseInt(arg, 10, 64); err != nil || offset < 0 {
			fmt.Fprintf(e.stderr, "orderctl %s: OFFSET %q is not an offset\n", cmd, arg)
			return nil, exitUsage
		}
	}
	recs, err := readDLQ(ctx, g)
	if err != nil {
		fmt.Fprintf(e.stderr, "orderctl %s: %v\n", cmd, err)
		return nil, exitError
	}
	if all {
		return recs, exitOK
	}
	var hits []*kgo.Record
	for _, r := range recs {
		if r.Offset == offset && (partition < 0 || r.Partition == int32(partition)) {
			hits = append(hits, r)
		}
	}
	switch {
	case len(hits) == 0:
		fmt.Fprintf(e.stderr, "orderctl %s: no dead-lettered command at offset %d (see orderctl dlq list)\n", cmd, offset)
		return nil, exitError
	case len(hits) > 1:
		fmt.Fprintf(e.stderr, "orderctl %s: %d partitions have a record at offset %d; choose one with --partition\n", cmd, len(hits), offset)
		return nil, exitUsage
	}
	return hits, exitOK
}

// readDLQ reads every committed record of the DLQ up to its end at the time
// of the call, ordered by partition and offset.
func readDLQ(ctx context.Context, g *globals) ([]*kgo.Record, error) {
	topic := g.names().DLQ
	adm, closeAdm, err := g.admin(ctx)
	if err != nil {
		return nil, err
	}
	defer closeAdm()
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("start offsets of %s: %w", topic, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	from := map[int32]kgo.Offset{}
	want := map[int32]int64{} // partition -> end offset still to reach
	ends.Each(func(o kadm.ListedOffset) {
		s, _ := starts.Lookup(topic, o.Partition)
		if o.Offset > s.Offset {
			from[o.Partition] = kgo.NewOffset().At(s.Offset)
			want[o.Partition] = o.Offset
		}
	})
	byPart := map[int32][]*kgo.Record{}
	if len(from) > 0 {
		cl, err := g.client(ctx, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: from}),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())
		if err != nil {
			return nil, err
		}
		defer cl.Close()
		for len(want) > 0 {
			// Control records are kept so that a log ending in a
			// transaction marker still reaches its end offset (as the
			// processor's restore does); they are not dead letters.
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var ferr error
			fs.EachError(func(t string, p int32, err error) {
				if !errors.Is(err, context.DeadlineExceeded) {
					ferr = fmt.Errorf("fetch %s[%d]: %w", t, p, err)
				}
			})
			if ferr != nil {
				return nil, ferr
			}
			fs.EachRecord(func(r *kgo.Record) {
				end, ok := want[r.Partition]
				if !ok || r.Offset >= end {
					return
				}
				if !r.Attrs.IsControl() {
					byPart[r.Partition] = append(byPart[r.Partition], r)
				}
				if r.Offset+1 >= end {
					delete(want, r.Partition)
				}
			})
		}
	}
	var out []*kgo.Record
	for p := int32(0); len(byPart) > 0; p++ {
		out = append(out, byPart[p]...)
		delete(byPart, p)
	}
	return out, nil
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}
