package chaoskit

import "time"

// Await checks done every poll until it holds (true) or timeout passes
// (false), calling progress (when not nil) at every check: the one wait
// of the chaos runs for a condition (results drained, Redis caught up).
func Await(timeout, poll time.Duration, done func() bool, progress func()) bool {
	deadline := time.Now().Add(timeout)
	t := time.NewTicker(poll)
	defer t.Stop()
	for !done() {
		if progress != nil {
			progress()
		}
		if time.Now().After(deadline) {
			return false
		}
		<-t.C
	}
	return true
}

// Every returns f limited to once per interval (a progress log line).
func Every(interval time.Duration, f func()) func() {
	last := time.Now()
	return func() {
		if time.Since(last) >= interval {
			f()
			last = time.Now()
		}
	}
}
