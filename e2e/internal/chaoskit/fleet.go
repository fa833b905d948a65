package chaoskit

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Fleet runs orderd processes of one binary with shared settings and
// kills them.
type Fleet struct {
	t      *testing.T
	bin    string
	env    []string // settings shared by every process
	logDir string

	mu    sync.Mutex
	all   []*Proc
	kills int
}

// Proc is one orderd process.
type Proc struct {
	Name    string
	cmd     *exec.Cmd
	HTTP    string
	LogPath string
	started time.Time
	ended   time.Time // once exited is closed
	exited  chan struct{}
	err     error // of cmd.Wait, once exited is closed
	// how we ended it: "" (still running or died on its own), "kill", "term"
	endedBy string
	crashed bool // it exited on its own, and replaceCrashed replaced it
}

// NewFleet is a fleet of bin, each process with env (ORDERLOG_* settings;
// none of the test's own ORDERLOG_* variables) and its log in logDir. No
// process outlives the test.
func NewFleet(t *testing.T, bin, logDir string, env ...string) *Fleet {
	f := &Fleet{t: t, bin: bin, logDir: logDir, env: env}
	t.Cleanup(f.KillAll)
	return f
}

// Start runs one more orderd; it does not wait until it is ready.
func (f *Fleet) Start() *Proc {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	p := &Proc{Name: fmt.Sprintf("orderd-%02d", len(f.all)+1), HTTP: freeAddr(f.t), exited: make(chan struct{})}
	p.LogPath = filepath.Join(f.logDir, p.Name+".log")
	logFile, err := os.Create(p.LogPath)
	if err != nil {
		f.t.Fatal(err)
	}
	defer logFile.Close()
	p.cmd = exec.Command(f.bin)
	p.cmd.Env = append(append(EnvironWithout("ORDERLOG_"), f.env...), "ORDERLOG_HTTP_ADDR="+p.HTTP)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = childAttr()
	if err := p.cmd.Start(); err != nil {
		f.t.Fatalf("start %s: %v", p.Name, err)
	}
	p.started = time.Now()
	go func() { p.err = p.cmd.Wait(); p.ended = time.Now(); close(p.exited) }()
	f.all = append(f.all, p)
	return p
}

// Running returns the processes that have not exited.
func (f *Fleet) Running() []*Proc {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*Proc
	for _, p := range f.all {
		if !p.Done() {
			out = append(out, p)
		}
	}
	return out
}

// Done reports whether the process has exited.
func (p *Proc) Done() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// KillRandom sends SIGKILL to a random running process and waits until it
// is gone.
func (f *Fleet) KillRandom(rng *rand.Rand) *Proc {
	f.t.Helper()
	rs := f.Running()
	if len(rs) == 0 {
		f.t.Fatal("chaos: no orderd left to kill")
	}
	p := rs[rng.IntN(len(rs))]
	f.mu.Lock()
	p.endedBy = "kill"
	f.kills++
	f.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	return p
}

// WaitReady waits until every running process answers /readyz with 200.
func (f *Fleet) WaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	// A process that exited on its own before this looked is not ready,
	// though it is no longer among the running.
	f.mu.Lock()
	for _, p := range f.all {
		if p.Done() && p.endedBy == "" && !p.crashed {
			f.mu.Unlock()
			return fmt.Errorf("%s exited before it was ready: %v (log %s: %s)", p.Name, p.err, p.LogPath, lastError(p.LogPath))
		}
	}
	f.mu.Unlock()
	for _, p := range f.Running() {
		for {
			code, body := p.Get("/readyz")
			if code == http.StatusOK {
				break
			}
			if p.Done() {
				return fmt.Errorf("%s exited before it was ready: %v", p.Name, p.err)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not ready within %s: %d %q", p.Name, timeout, code, strings.TrimSpace(body))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

// Get asks the process's HTTP server for path: the status code and body.
func (p *Proc) Get(path string) (int, string) {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + p.HTTP + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TerminateAll sends SIGTERM to every running process and returns an error
// for each that does not exit 0 within timeout.
func (f *Fleet) TerminateAll(timeout time.Duration) error {
	rs := f.Running()
	for _, p := range rs {
		f.mu.Lock()
		p.endedBy = "term"
		f.mu.Unlock()
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	var errs []error
	deadline := time.After(timeout)
	for _, p := range rs {
		select {
		case <-p.exited:
			if p.err != nil {
				errs = append(errs, fmt.Errorf("%s after SIGTERM: %v (log %s)", p.Name, p.err, p.LogPath))
			}
		case <-deadline:
			errs = append(errs, fmt.Errorf("%s did not exit within %s of SIGTERM (log %s)", p.Name, timeout, p.LogPath))
		}
	}
	return errors.Join(errs...)
}

// ReplaceCrashed starts a fresh process for every one that exited though
// nobody ended it (a processor that failed: fenced, an unrecoverable
// transaction error), and returns what it found.
func (f *Fleet) ReplaceCrashed() []string {
	f.mu.Lock()
	var out []string
	n := 0
	for _, p := range f.all {
		if p.Done() && p.endedBy == "" && !p.crashed {
			p.crashed = true
			n++
			out = append(out, fmt.Sprintf("%s exited on its own after %s: %v: %s",
				p.Name, p.ended.Sub(p.started).Round(time.Second), p.err, lastError(p.LogPath)))
		}
	}
	f.mu.Unlock()
	for range n {
		f.Start()
	}
	return out
}

// Crashes lists every process that exited on its own.
func (f *Fleet) Crashes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, p := range f.all {
		if p.crashed || (p.Done() && p.endedBy == "") {
			out = append(out, fmt.Sprintf("%s (%v): %s", p.Name, p.err, lastError(p.LogPath)))
		}
	}
	return out
}

// Kills is how many processes KillRandom has killed.
func (f *Fleet) Kills() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.kills
}

// lastError is the last line of a log at level ERROR.
func lastError(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(string(b), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], "level=ERROR") {
			return lines[i]
		}
	}
	return "(no ERROR line in " + path + ")"
}

// KillAll makes sure no orderd outlives the test.
func (f *Fleet) KillAll() {
	for _, p := range f.Running() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
	}
}

// EnvironWithout is the test's environment minus the variables starting
// with prefix, so orderd sees only the settings the test gives it.
func EnvironWithout(prefix string) []string {
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
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
