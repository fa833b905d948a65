package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/schemas"
)

func init() {
	var data string
	var wait bool
	var timeout time.Duration
	register(&command{
		path:  "send",
		short: "produce a command (JSON) to order.commands; --wait prints its result",
		long: `The command is the documented JSON form, from --data or stdin:
  {"commandId": "...", "type": "CreateOrder", "orderId": "...", "expectedVersion": 2,
   "correlationId": "...", "userId": "...", "data": {...}}
It is checked first (schemas.ParseCommandJSON) and produced keyed by its orderId.
With --wait, orderctl reads order.command-results (read_committed) from the time of
sending until the command's result arrives, and prints it.
Exit code: 0 accepted or duplicate, 3 rejected (its code and message are printed), 1 on errors.`,
		example: `  orderctl send --wait --data '{"commandId":"c-1","type":"CreateOrder","orderId":"o-1","data":{"customerId":"cust-1","currency":"USD"}}'
  echo '{"commandId":"c-2","type":"PlaceOrder","orderId":"o-1","data":{}}' | orderctl send --wait`,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&data, "data", "", "the command as JSON (default: read from stdin)")
			fs.BoolVar(&wait, "wait", false, "wait for the command's result and print it")
			fs.DurationVar(&timeout, "timeout", 30*time.Second, "how long --wait waits for the result")
		},
		run: func(ctx context.Context, g *globals, e env, _ []string) int {
			return send(ctx, g, e, data, wait, timeout)
		},
	})
}

func send(ctx context.Context, g *globals, e env, data string, wait bool, timeout time.Duration) int {
	raw := []byte(data)
	if data == "" {
		var err error
		if raw, err = io.ReadAll(e.stdin); err != nil {
			fmt.Fprintf(e.stderr, "orderctl send: read stdin: %v\n", err)
			return exitError
		}
	}
	raw = bytes.TrimSpace(raw)
	cmd, err := schemas.ParseCommandJSON(raw)
	if err != nil {
		fmt.Fprintf(e.stderr, "orderctl send: %v\n", err)
		return exitError
	}
	cl, err := g.client(ctx, kgo.DefaultProduceTopic(g.names().Commands))
	if err != nil {
		fmt.Fprintf(e.stderr, "orderctl send: %v\n", err)
		return exitError
	}
	defer cl.Close()

	var results *kgo.Client
	if wait {
		// Read the results from the ends of their partitions as they are
		// before sending: an older result of the same commandId (a
		// resend) is not taken for this one's.
		results, err = resultsFromNow(ctx, g)
		if err != nil {
			fmt.Fprintf(e.stderr, "orderctl send: %v\n", err)
			return exitError
		}
		defer results.Close()
	}
	rec := &kgo.Record{Key: []byte(cmd.OrderID), Value: raw}
	if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		fmt.Fprintf(e.stderr, "orderctl send: produce to %s: %v\n", g.names().Commands, err)
		return exitError
	}
	if !wait {
		if g.Output == "json" {
			printJSON(e.stdout, map[string]any{"commandId": cmd.ID, "orderId": cmd.OrderID, "topic": rec.Topic, "partition": rec.Partition, "offset": rec.Offset})
		} else {
			fmt.Fprintf(e.stdout, "sent command %s (%s) for order %s to %s partition %d offset %d\n", cmd.ID, cmd.Type, cmd.OrderID, rec.Topic, rec.Partition, rec.Offset)
		}
		return exitOK
	}
	res, err := awaitResult(ctx, results, cmd.ID, timeout)
	if err != nil {
		fmt.Fprintf(e.stderr, "orderctl send: command %s was sent (partition %d offset %d) but: %v\n", cmd.ID, rec.Partition, rec.Offset, err)
		return exitError
	}
	if g.Output == "json" {
		printJSON(e.stdout, res)
	} else {
		printResult(e.stdout, res)
	}
	if res.Status == order.ResultRejected {
		return exitRejected
	}
	return exitOK
}

// resultsFromNow is a read_committed consumer of order.command-results
// starting at the current end of every partition.
func resultsFromNow(ctx context.Context, g *globals) (*kgo.Client, error) {
	adm, closeAdm, err := g.admin(ctx)
	if err != nil {
		return nil, err
	}
	defer closeAdm()
	topic := g.names().Results
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	start := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) { start[o.Partition] = kgo.NewOffset().At(o.Offset) })
	if len(start) == 0 {
		return nil, fmt.Errorf("topic %s has no partitions; run orderctl topics create", topic)
	}
	return g.client(ctx,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: start}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// A person waits on this fetch: ask again every 200 ms rather than
		// rely on the broker waking a read_committed fetch at the commit
		// marker (kfake sometimes does not, and the default wait is 5 s).
		kgo.FetchMaxWait(200*time.Millisecond),
	)
}

// awaitResult polls results until the result of commandID arrives.
func awaitResult(ctx context.Context, cl *kgo.Client, commandID string, timeout time.Duration) (order.CommandResult, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	serde, err := schemas.NewResults(ctx)
	if err != nil {
		return order.CommandResult{}, err
	}
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return order.CommandResult{}, fmt.Errorf("no result after %s", timeout)
		}
		var fetchErr error
		fs.EachError(func(topic string, p int32, err error) {
			fetchErr = fmt.Errorf("fetch %s[%d]: %w", topic, p, err)
		})
		if fetchErr != nil {
			return order.CommandResult{}, fetchErr
		}
		var found *order.CommandResult
		fs.EachRecord(func(r *kgo.Record) {
			if found != nil {
				return
			}
			res, err := serde.Decode(r.Value)
			if err == nil && res.CommandID == commandID {
				found = &res
			}
		})
		if found != nil {
			return *found, nil
		}
	}
}

func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// printResult prints a command result for people. A message that starts
// with its own code (a duplicate's does: order.Duplicate.Error) is printed
// without it, so the code appears once.
func printResult(w io.Writer, res order.CommandResult) {
	fmt.Fprintf(w, "%s %s for order %s: %s, version %d\n", res.CommandType, res.CommandID, res.OrderID, res.Status, res.Version)
	if res.Code != "" || res.Message != "" {
		fmt.Fprintf(w, "  code %s: %s\n", res.Code, strings.TrimPrefix(res.Message, string(res.Code)+": "))
	}
	if res.Field != "" {
		fmt.Fprintf(w, "  field %s\n", res.Field)
	}
}
