package failover

import (
	"fmt"
	"os"
	"testing"

	"github.com/orderlog/orderlog/e2e/internal/chaoskit"
	"github.com/orderlog/orderlog/internal/testenv"
)

// orderdBin is the orderd built by TestMain (never with -race: the figures
// are of the processor, not of the race detector); empty without the bed.
var orderdBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	if os.Getenv(testenv.EnvKafkaBrokers) == "" {
		return m.Run() // every test skips
	}
	if bin := os.Getenv("ORDERLOG_FAILOVER_ORDERD"); bin != "" {
		orderdBin = bin
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "orderlog-failover-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if orderdBin, err = chaoskit.BuildOrderd("../..", dir, false); err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		return 1
	}
	return m.Run()
}
