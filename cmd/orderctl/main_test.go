package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/topics"
)

// cluster is a kfake cluster with the topics of prefix created.
type cluster struct {
	brokers string
	prefix  string
	names   topics.Names
	adm     *kadm.Client
}

func newCluster(t *testing.T, partitions int32) *cluster {
	t.Helper()
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	c := &cluster{brokers: strings.Join(kc.ListenAddrs(), ","), prefix: "t."}
	c.names = topics.NewNames(c.prefix)
	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	c.adm = kadm.NewClient(cl)
	if partitions > 0 {
		set, err := topics.New(topics.Config{Prefix: c.prefix, Partitions: partitions, ReplicationFactor: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := set.Ensure(t.Context(), c.adm); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// startProcessor runs a processor on the cluster until the test ends or
// stop is called.
func (c *cluster) startProcessor(t *testing.T) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	serdes, err := processor.NewSerdes(ctx, c.names, nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logTail{max: 2000}
	p, err := processor.New(processor.Config{
		Brokers: strings.Split(c.brokers, ","), Group: "orderctl-test", TransactionalID: "orderctl-test-txn",
		Topics: c.names, Serdes: serdes, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics:    processor.NewMetrics(nil),
		ClientOpts: []kgo.Opt{kgo.WithLogger(kgo.BasicLogger(logs, kgo.LogLevelDebug, func() string { return time.Now().Format("15:04:05.000 ") }))},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	// A join on kfake takes milliseconds; the bound is for a loaded CI
	// machine with -race. On failure the processor's and franz-go's log
	// says where it stopped (joining, restoring, fetching).
	const wait = 90 * time.Second
	start := time.Now()
	for !p.Ready() {
		if time.Since(start) > wait {
			t.Fatalf("processor not ready after %s; its log (franz-go at debug level), last lines:\n%s", wait, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("processor ready after %s", time.Since(start).Round(time.Millisecond))
	return stop
}

type result struct {
	code           int
	stdout, stderr string
}

// ctl runs orderctl in-process against the cluster.
func (c *cluster) ctl(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"ORDERLOG_KAFKA_BROKERS": c.brokers, "ORDERLOG_TOPIC_PREFIX": c.prefix}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	code := run(ctx, args, envFor(stdin, &out, &errb, env))
	t.Logf("orderctl %s -> %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errb.String())
	return result{code, out.String(), errb.String()}
}

func envFor(stdin string, out, errb io.Writer, vars map[string]string) env {
	return env{stdin: strings.NewReader(stdin), stdout: out, stderr: errb,
		lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
}

func createOrder(cmdID, orderID string) string {
	return fmt.Sprintf(`{"commandId":%q,"type":"CreateOrder","orderId":%q,"data":{"customerId":"cust-1","currency":"USD"}}`, cmdID, orderID)
}

func TestHelpShowsEveryCommandAndExamples(t *testing.T) {
	var out bytes.Buffer
	if code := run(t.Context(), []string{"--help"}, envFor("", &out, io.Discard, nil)); code != exitOK {
		t.Fatalf("--help exit %d", code)
	}
	for _, c := range commands {
		if !strings.Contains(out.String(), c.path) {
			t.Errorf("--help does not list %q", c.path)
		}
		var cout bytes.Buffer
		args := append(strings.Fields(c.path), "--help")
		if code := run(t.Context(), args, envFor("", &cout, io.Discard, nil)); code != exitOK {
			t.Errorf("%v exit %d", args, code)
		}
		if !strings.Contains(cout.String(), "Example:") || !strings.Contains(cout.String(), "--kafka-brokers") {
			t.Errorf("%v: no example or global flags:\n%s", args, cout.String())
		}
	}
}

func TestUnknownCommandAndBadOutput(t *testing.T) {
	if code := run(t.Context(), []string{"nope"}, envFor("", io.Discard, io.Discard, nil)); code != exitUsage {
		t.Errorf("unknown command exit %d, want %d", code, exitUsage)
	}
	if code := run(t.Context(), []string{"send", "--output", "yaml"}, envFor("", io.Discard, io.Discard, nil)); code != exitUsage {
		t.Errorf("--output yaml exit %d, want %d", code, exitUsage)
	}
}

// logTail keeps the last max writes (log lines) made to it.
type logTail struct {
	max   int
	mu    sync.Mutex
	lines []string
}

func (l *logTail) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(b))
	if len(l.lines) > 2*l.max {
		l.lines = append(l.lines[:0], l.lines[len(l.lines)-l.max:]...)
	}
	return len(b), nil
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "")
}
