package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/orderlog/orderlog/e2e/internal/chaoskit"
	"github.com/orderlog/orderlog/internal/testenv"
)

// orderdBin is the orderd built by TestMain; empty without the test bed.
var orderdBin string

// hasSessionTimeout says whether orderd has the setting
// ORDERLOG_SESSION_TIMEOUT (its --help lists it).
var hasSessionTimeout bool

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

// buildAndRun builds ./cmd/orderd without -race even when the test runs with
// -race: three race-instrumented processors on a two-core machine would test
// the scheduler more than the processor. ORDERLOG_CHAOS_RACE=1 builds it with
// -race.
func buildAndRun(m *testing.M) int {
	if os.Getenv(testenv.EnvKafkaBrokers) == "" {
		return m.Run() // every test skips
	}
	if bin := os.Getenv("ORDERLOG_CHAOS_ORDERD"); bin != "" {
		orderdBin = bin // an orderd built elsewhere, e.g. from a branch
		return probeAndRun(m)
	}
	dir, err := os.MkdirTemp("", "orderlog-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	orderdBin, err = chaoskit.BuildOrderd("../..", dir, os.Getenv("ORDERLOG_CHAOS_RACE") == "1")
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		return 1
	}
	return probeAndRun(m)
}

// probeAndRun reads orderd's settings from its --help, then runs the tests.
func probeAndRun(m *testing.M) int {
	help, err := exec.Command(orderdBin, "--help").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "chaos: %s --help: %v\n%s", orderdBin, err, help)
		return 1
	}
	hasSessionTimeout = strings.Contains(string(help), "ORDERLOG_SESSION_TIMEOUT")
	return m.Run()
}
