package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/internal/testenv"
)

const partitions = 3

// bed is what the tests use of the test bed.
type bed struct {
	brokers  string // comma-separated, as the tools want them
	registry string // ORDERLOG_SCHEMA_REGISTRY_URL; may be empty
}

// needBed skips t without the test bed.
func needBed(t *testing.T) bed {
	t.Helper()
	b := bed{brokers: strings.Join(testenv.KafkaBrokers(t), ","), registry: os.Getenv("ORDERLOG_SCHEMA_REGISTRY_URL")}
	require.NotEmpty(t, orderdBin, "TestMain did not build orderd")
	return b
}

// proc is a running orderd.
type proc struct {
	t       *testing.T
	cmd     *exec.Cmd
	http    string
	logPath string
	exited  chan struct{}
	err     error // of cmd.Wait, once exited is closed
}

// startOrderd runs orderd under prefix with the given extra settings
// (NAME=value environment entries) and waits until /readyz says 200. At the
// end of the test it is stopped with SIGTERM, and must exit 0.
func startOrderd(t *testing.T, b bed, prefix string, settings ...string) *proc {
	t.Helper()
	p := &proc{t: t, http: freeAddr(t), logPath: filepath.Join(t.TempDir(), "orderd.log"), exited: make(chan struct{})}
	logFile, err := os.Create(p.logPath)
	require.NoError(t, err)
	defer logFile.Close()
	p.cmd = exec.Command(orderdBin)
	p.cmd.Env = append(environWithout("ORDERLOG_"),
		"ORDERLOG_KAFKA_BROKERS="+b.brokers,
		"ORDERLOG_TOPIC_PREFIX="+prefix,
		"ORDERLOG_GROUP="+prefix+"orderd",
		fmt.Sprintf("ORDERLOG_PARTITIONS=%d", partitions),
		"ORDERLOG_HTTP_ADDR="+p.http,
		"ORDERLOG_TRANSACTION_TIMEOUT=10s",
	)
	if os.Getenv("GORACE") == "" {
		p.cmd.Env = append(p.cmd.Env, "GORACE=atexit_sleep_ms=0") // a -race build waits 1s at exit by default
	}
	p.cmd.Env = append(p.cmd.Env, settings...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	require.NoError(t, p.cmd.Start())
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		if t.Failed() {
			// What the process counted, before it stops: commands decided,
			// transactions, lag, restarts.
			if code, body, err := p.get("/metrics"); err == nil && code == http.StatusOK {
				var ours []string
				for line := range strings.Lines(body) {
					if strings.HasPrefix(line, "orderlog_") {
						ours = append(ours, strings.TrimSpace(line))
					}
				}
				t.Logf("orderd metrics before stop:\n%s", strings.Join(ours, "\n"))
			}
		}
		p.stop()
		if t.Failed() {
			t.Logf("orderd log (%s):\n%s", p.logPath, p.logs())
		}
	})
	p.waitReady(60 * time.Second)
	return p
}

func (p *proc) waitReady(timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			p.t.Fatalf("orderd exited before it was ready: %v\n%s", p.err, p.logs())
		default:
		}
		code, body, err := p.get("/readyz")
		if code == http.StatusOK {
			return
		}
		last = fmt.Sprintf("%d %q %v", code, body, err)
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("orderd not ready within %s; last /readyz: %s", timeout, last)
}

func (p *proc) get(path string) (int, string, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + p.http + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// stop sends SIGTERM and requires exit status 0 within 30s. Safe to call
// twice.
func (p *proc) stop() {
	p.t.Helper()
	select {
	case <-p.exited:
	default:
		start := time.Now()
		require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGTERM))
		select {
		case <-p.exited:
			p.t.Logf("orderd stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
			p.t.Errorf("orderd did not stop within 30s of SIGTERM")
			return
		}
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		p.t.Errorf("orderd exited with status %d, want 0", exit.ExitCode())
		return
	}
	require.NoError(p.t, p.err)
}

func (p *proc) logs() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// environWithout is the test's environment minus the variables starting
// with prefix, so orderd sees only the settings a test gives it.
func environWithout(prefix string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// tool runs an external program with a timeout and returns its stdout; on
// failure the test fails with its stderr.
func tool(t *testing.T, timeout time.Duration, stdin string, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is not installed (scripts/testbed/deps.sh installs it): %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s %s: %s", name, shortArgs(args), time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s\nstdout:\n%s", name, strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Logf("%s stderr: %s", name, s)
	}
	return stdout.String()
}

func shortArgs(args []string) string {
	s := strings.Join(args, " ")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
