package secure

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderlog/orderlog/e2e/internal/chaoskit"
	"github.com/orderlog/orderlog/internal/testenv"
)

const moduleRoot = "../.."

// bed is the secure bed's env (secure.sh start writes DIR/env).
type bed struct {
	brokers, redis, dir, prefix string
}

func (b bed) file(name string) string { return filepath.Join(b.dir, name) }

var (
	orderdBin, orderctlBin string
	theBed                 *bed
)

func TestMain(m *testing.M) { os.Exit(setUpAndRun(m)) }

func setUpAndRun(m *testing.M) int {
	if os.Getenv(testenv.EnvKafkaClasspath) == "" {
		return m.Run() // every test skips
	}
	tmp, err := os.MkdirTemp("", "orderlog-secure-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "secure:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if orderdBin, err = chaoskit.BuildOrderd(moduleRoot, tmp, false); err != nil {
		fmt.Fprintln(os.Stderr, "secure:", err)
		return 1
	}
	if orderctlBin, err = buildOrderctl(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "secure:", err)
		return 1
	}
	dir := os.Getenv("ORDERLOG_SECURE_DIR")
	if dir == "" {
		dir = filepath.Join(tmp, "bed")
		ports, err := freePorts(3)
		if err != nil {
			fmt.Fprintln(os.Stderr, "secure:", err)
			return 1
		}
		start := time.Now()
		script := filepath.Join(moduleRoot, "scripts", "testbed", "secure.sh")
		if out, err := exec.Command(script, append([]string{"start", dir}, ports...)...).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "secure: secure.sh start: %v\n%s", err, out)
			_ = exec.Command(script, "stop", dir).Run()
			return 1
		}
		defer exec.Command(script, "stop", dir).Run()
		fmt.Fprintf(os.Stderr, "secure: bed up in %s\n", time.Since(start).Round(time.Millisecond))
	}
	if theBed, err = readEnv(filepath.Join(dir, "env")); err != nil {
		fmt.Fprintln(os.Stderr, "secure:", err)
		return 1
	}
	return m.Run()
}

// needBed skips without the test bed.
func needBed(t *testing.T) bed {
	t.Helper()
	testenv.KafkaClasspath(t)
	if theBed == nil {
		t.Fatal("TestMain did not start the secure bed")
	}
	return *theBed
}

func readEnv(path string) (*bed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "="); ok && !strings.HasPrefix(k, "#") {
			vals[k] = v
		}
	}
	b := &bed{brokers: vals["ORDERLOG_SECURE_KAFKA_BROKERS"], redis: vals["ORDERLOG_SECURE_REDIS_ADDR"],
		dir: vals["ORDERLOG_SECURE_DIR"], prefix: vals["ORDERLOG_SECURE_PREFIX"]}
	if b.brokers == "" || b.redis == "" || b.dir == "" || b.prefix == "" {
		return nil, fmt.Errorf("%s lacks a setting: %v", path, vals)
	}
	return b, sc.Err()
}

func freePorts(n int) ([]string, error) {
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		out = append(out, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	return out, nil
}

// buildOrderctl builds ./cmd/orderctl into dir.
func buildOrderctl(dir string) (string, error) {
	bin := filepath.Join(dir, "orderctl")
	build := exec.Command("go", "build", "-o", bin, "./cmd/orderctl")
	build.Dir = moduleRoot
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/orderctl: %w", err)
	}
	return bin, nil
}
