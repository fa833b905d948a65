package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderlog/orderlog/internal/testenv"
)

// orderd is run() in a goroutine against a kfake cluster.
type orderd struct {
	t      *testing.T
	addr   string
	cancel context.CancelFunc
	exit   chan int
	logs   *testenv.SyncBuffer
}

func startRun(t *testing.T, brokers []string, args ...string) *orderd {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	o := &orderd{t: t, addr: addr, cancel: cancel, exit: make(chan int, 1), logs: &testenv.SyncBuffer{}}
	args = append([]string{"--kafka-brokers=" + strings.Join(brokers, ","), "--http-addr=" + addr,
		"--partitions=3", "--transaction-timeout=5s"}, args...)
	go func() { o.exit <- run(ctx, args, env(), io.Discard, o.logs) }()
	t.Cleanup(func() {
		cancel()
		if t.Failed() {
			t.Logf("orderd logs:\n%s", o.logs.String())
		}
	})
	return o
}

// stop cancels run's context (SIGTERM in the binary) and returns its exit
// status.
func (o *orderd) stop() int {
	o.cancel()
	return o.wait(30 * time.Second)
}

func (o *orderd) wait(d time.Duration) int {
	select {
	case code := <-o.exit:
		return code
	case <-time.After(d):
		o.t.Fatalf("run did not return within %s", d)
		return -1
	}
}

func (o *orderd) get(path string) (int, string) {
	resp, err := http.Get("http://" + o.addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (o *orderd) eventually(path string, status int, contains string) string {
	o.t.Helper()
	var code int
	var body string
	require.Eventually(o.t, func() bool {
		code, body = o.get(path)
		return code == status && strings.Contains(body, contains)
	}, 30*time.Second, 50*time.Millisecond, "GET %s: want %d with %q, last got %d %q", path, status, contains, code, body)
	return body
}

func newKfake(t *testing.T) []string {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

func TestRunOnKfakeBecomesReadyProcessesAndStopsCleanly(t *testing.T) {
	brokers := newKfake(t)
	o := startRun(t, brokers, "--topic-prefix=unit.")
	o.eventually("/healthz", 200, "ok")
	o.eventually("/readyz", 200, "ready: processor")
	metrics := o.eventually("/metrics", 200, "orderlog_processor_")
	for _, want := range []string{"orderlog_processor_dlq_total", `orderlog_orderd_role_ready{role="processor"} 1`, "go_goroutines", "process_cpu_seconds_total"} {
		require.Contains(t, metrics, want)
	}

	// A JSON command goes through the processor the run function built.
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic("unit.order.commands"))
	require.NoError(t, err)
	defer cl.Close()
	cmd := `{"commandId":"c-1","type":"CreateOrder","orderId":"o-1","data":{"customerId":"cust-1","currency":"USD"}}`
	require.NoError(t, cl.ProduceSync(context.Background(), &kgo.Record{Key: []byte("o-1"), Value: []byte(cmd)}).FirstErr())
	o.eventually("/metrics", 200, `orderlog_processor_commands_total{outcome="ACCEPTED",type="CreateOrder"} 1`)

	require.Equal(t, 0, o.stop())
	require.Contains(t, o.logs.String(), "processor stopped; left the group")
	_, err = http.Get("http://" + o.addr + "/healthz")
	require.Error(t, err, "the HTTP server stops with the process")
}

// stub is a role whose readiness and failure a test controls.
type stub struct {
	ready atomic.Bool
	fail  chan error
}

func (s *stub) Ready() bool { return s.ready.Load() }

func (s *stub) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-s.fail:
		return err
	}
}

// withStubRole adds a role "stub" for the duration of the test.
func withStubRole(t *testing.T) *stub {
	s := &stub{fail: make(chan error, 1)}
	saved := roles
	roles = append(append([]roleSpec(nil), roles...), roleSpec{name: "stub",
		build: func(context.Context, deps) (Role, error) { return s, nil }})
	t.Cleanup(func() { roles = saved })
	return s
}

func TestReadyzNamesTheRoleThatIsNotReady(t *testing.T) {
	s := withStubRole(t)
	o := startRun(t, newKfake(t), "--roles=processor,stub")
	o.eventually("/readyz", 503, "not ready: stub")
	o.eventually("/metrics", 200, `orderlog_orderd_role_ready{role="stub"} 0`)
	s.ready.Store(true)
	o.eventually("/readyz", 200, "ready: processor, stub")
	require.Equal(t, 0, o.stop())
}

func TestAFailingRoleEndsRunWithStatus1AndStopsTheOthers(t *testing.T) {
	s := withStubRole(t)
	o := startRun(t, newKfake(t), "--roles=processor,stub")
	o.eventually("/readyz", 503, "not ready: stub")
	s.fail <- errors.New("payment simulator exploded")
	require.Equal(t, 1, o.wait(30*time.Second))
	logs := o.logs.String()
	require.Contains(t, logs, "payment simulator exploded")
	require.Contains(t, logs, "processor stopped; left the group")
}

func TestRunRejectsABadConfigWithStatus2(t *testing.T) {
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"--partitions=0"}, env(), io.Discard, &stderr)
	require.Equal(t, 2, code)
	require.Contains(t, stderr.String(), "ORDERLOG_PARTITIONS / --partitions: must be >= 1, got 0")
}

func TestRunFailsWhenTheHTTPAddressIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var stderr testenv.SyncBuffer
	code := run(context.Background(), []string{"--http-addr=" + ln.Addr().String()}, env(), io.Discard, &stderr)
	require.Equal(t, 1, code)
	require.Contains(t, stderr.String(), "ORDERLOG_HTTP_ADDR / --http-addr")
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}
