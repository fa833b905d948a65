package brokerchaos

import (
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

// moduleRoot is the repository, from this package's directory.
const moduleRoot = "../.."

// The binaries and the cluster TestMain set up; empty without the test bed.
var (
	orderdBin  string
	orderctlBn string
	cluster    *kafka3
)

// TestMain builds orderd and orderctl and starts the three-node cluster
// once for the package, when the test bed is there (its Kafka jars,
// ORDERLOG_KAFKA_CLASSPATH, and its redis-server).
func TestMain(m *testing.M) {
	os.Exit(setUpAndRun(m))
}

func setUpAndRun(m *testing.M) int {
	if os.Getenv(testenv.EnvKafkaClasspath) == "" || os.Getenv(testenv.EnvRedisAddr) == "" {
		return m.Run() // every test skips
	}
	dir, err := os.MkdirTemp("", "orderlog-brokerchaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "brokerchaos:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if orderdBin, err = chaoskit.BuildOrderd(moduleRoot, dir, false); err != nil {
		fmt.Fprintln(os.Stderr, "brokerchaos:", err)
		return 1
	}
	orderctlBn = filepath.Join(dir, "orderctl")
	if out, err := exec.Command("go", "build", "-o", orderctlBn, moduleRoot+"/cmd/orderctl").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "brokerchaos: go build ./cmd/orderctl: %v\n%s", err, out)
		return 1
	}
	start := time.Now()
	cluster, err = startKafka3(filepath.Join(dir, "kafka3"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "brokerchaos:", err)
		return 1
	}
	defer cluster.stop()
	fmt.Fprintf(os.Stderr, "brokerchaos: three-node cluster on %s in %s\n", strings.Join(cluster.brokers, ","), time.Since(start).Round(time.Millisecond))
	return m.Run()
}

// freePorts returns n ports nobody listens on now.
func freePorts(n int) ([]string, error) {
	var out []string
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		out = append(out, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	return out, nil
}
