package chaoskit

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderlog/orderlog/processor"
	"github.com/orderlog/orderlog/topics"
)

// BuildOrderd builds ./cmd/orderd of the module at root into dir, without
// -race unless race: three race-instrumented processors on a two-core
// machine would test the scheduler more than the processor. It says on
// stderr how long the build took.
func BuildOrderd(root, dir string, race bool) (string, error) {
	bin := filepath.Join(dir, "orderd")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	start := time.Now()
	build := exec.Command("go", append(args, "./cmd/orderd")...)
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/orderd: %w", err)
	}
	fmt.Fprintf(os.Stderr, "chaoskit: built orderd in %s\n", time.Since(start).Round(time.Millisecond))
	return bin, nil
}

// Serdes are the processor's serdes without a registry, to read what the
// runs wrote.
func Serdes(t testing.TB) processor.Serdes {
	s, err := processor.NewSerdes(context.Background(), topics.NewNames(""), nil)
	require.NoError(t, err)
	return s
}

// EnvUint is the variable name as a number, or def when it is unset.
func EnvUint(t testing.TB, name string, def uint64) uint64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseUint(v, 10, 64)
	require.NoError(t, err, name)
	return n
}

// RandomSeed is a fresh seed for a run's plan; a run logs it so that
// ORDERLOG_CHAOS_SEED can replay it.
func RandomSeed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) >> 1
}
