package session

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRunRestartsAfterAFailureAndStopsCleanly(t *testing.T) {
	var calls int
	var failures []error
	boom := errors.New("fenced")
	Run(t.Context(), time.Millisecond, func(context.Context) error {
		calls++
		if calls < 3 {
			return boom
		}
		return nil
	}, func(err error) { failures = append(failures, err) })
	if calls != 3 || len(failures) != 2 || !errors.Is(failures[0], boom) {
		t.Fatalf("calls %d, failures %v; want 3 calls and 2 failures", calls, failures)
	}
}

func TestRunStopsWhenTheContextEndsDuringThePause(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, time.Hour, func(context.Context) error { calls++; return errors.New("fail") }, func(error) { cancel() })
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop when its context ended")
	}
	if calls != 1 {
		t.Fatalf("%d sessions, want 1", calls)
	}
}
