package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/orderlog/orderlog/internal/testenv"
)

// orderdBin is the orderd built by TestMain; empty without the test bed.
var orderdBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	if os.Getenv(testenv.EnvKafkaBrokers) == "" {
		return m.Run() // every test skips
	}
	dir, err := os.MkdirTemp("", "orderlog-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	orderdBin = filepath.Join(dir, "orderd")
	args := []string{"build", "-o", orderdBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	start := time.Now()
	build := exec.Command("go", append(args, "./cmd/orderd")...)
	build.Dir = ".." // the module root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: go build ./cmd/orderd:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: built orderd (race=%v) in %s\n", raceEnabled, time.Since(start).Round(time.Millisecond))
	return m.Run()
}
