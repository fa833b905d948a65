package chaos

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

// fleet runs orderd processes in one group and kills them.
type fleet struct {
	t      *testing.T
	env    []string // settings shared by every process
	logDir string

	mu    sync.Mutex
	all   []*proc
	kills int
}

// proc is one orderd process.
type proc struct {
	name    string
	cmd     *exec.Cmd
	http    string
	logPath string
	started time.Time
	ended   time.Time // once exited is closed
	exited  chan struct{}
	err     error // of cmd.Wait, once exited is closed
	// how we ended it: "" (still running or died on its own), "kill", "term"
	endedBy string
	crashed bool // it exited on its own, and replaceCrashed replaced it
}

func newFleet(t *testing.T, logDir string, env ...string) *fleet {
	f := &fleet{t: t, logDir: logDir, env: env}
	t.Cleanup(f.killAll)
	return f
}

// start runs one more orderd; it does not wait until it is ready.
func (f *fleet) start() *proc {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	p := &proc{name: fmt.Sprintf("orderd-%02d", len(f.all)+1), http: freeAddr(f.t), exited: make(chan struct{})}
	p.logPath = filepath.Join(f.logDir, p.name+".log")
	logFile, err := os.Create(p.logPath)
	if err != nil {
		f.t.Fatal(err)
	}
	defer logFile.Close()
	p.cmd = exec.Command(orderdBin)
	p.cmd.Env = append(append(environWithout("ORDERLOG_"), f.env...), "ORDERLOG_HTTP_ADDR="+p.http)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = childAttr()
	if err := p.cmd.Start(); err != nil {
		f.t.Fatalf("start %s: %v", p.name, err)
	}
	p.started = time.Now()
	go func() { p.err = p.cmd.Wait(); p.ended = time.Now(); close(p.exited) }()
	f.all = append(f.all, p)
	return p
}

// running returns the processes that have not exited.
func (f *fleet) running() []*proc {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*proc
	for _, p := range f.all {
		if !p.done() {
			out = append(out, p)
		}
	}
	return out
}

func (p *proc) done() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// killRandom sends SIGKILL to a random running process and waits until it
// is gone.
func (f *fleet) killRandom(rng *rand.Rand) *proc {
	f.t.Helper()
	rs := f.running()
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

// waitReady waits until every running process answers /readyz with 200.
func (f *fleet) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, p := range f.running() {
		for {
			code, body := p.get("/readyz")
			if code == http.StatusOK {
				break
			}
			if p.done() {
				return fmt.Errorf("%s exited before it was ready: %v", p.name, p.err)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not ready within %s: %d %q", p.name, timeout, code, strings.TrimSpace(body))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

func (p *proc) get(path string) (int, string) {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + p.http + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// terminateAll sends SIGTERM to every running process and returns an error
// for each that does not exit 0 within timeout.
func (f *fleet) terminateAll(timeout time.Duration) error {
	rs := f.running()
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
				errs = append(errs, fmt.Errorf("%s after SIGTERM: %v (log %s)", p.name, p.err, p.logPath))
			}
		case <-deadline:
			errs = append(errs, fmt.Errorf("%s did not exit within %s of SIGTERM (log %s)", p.name, timeout, p.logPath))
		}
	}
	return errors.Join(errs...)
}

// replaceCrashed starts a fresh process for every one that exited though
// nobody ended it (a processor that failed: fenced, an unrecoverable
// transaction error), and returns what it found.
func (f *fleet) replaceCrashed() []string {
	f.mu.Lock()
	var out []string
	n := 0
	for _, p := range f.all {
		if p.done() && p.endedBy == "" && !p.crashed {
			p.crashed = true
			n++
			out = append(out, fmt.Sprintf("%s exited on its own after %s: %v: %s",
				p.name, p.ended.Sub(p.started).Round(time.Second), p.err, lastError(p.logPath)))
		}
	}
	f.mu.Unlock()
	for range n {
		f.start()
	}
	return out
}

// crashes lists every process that exited on its own.
func (f *fleet) crashes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, p := range f.all {
		if p.crashed || (p.done() && p.endedBy == "") {
			out = append(out, fmt.Sprintf("%s (%v): %s", p.name, p.err, lastError(p.logPath)))
		}
	}
	return out
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

// killAll makes sure no orderd outlives the test.
func (f *fleet) killAll() {
	for _, p := range f.running() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
	}
}

// environWithout is the test's environment minus the variables starting
// with prefix, so orderd sees only the settings the test gives it.
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
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
