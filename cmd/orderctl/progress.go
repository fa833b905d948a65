package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is a progress bar on stderr, or nothing: a nil *progress ignores
// every call, so commands call it unconditionally.
type progress struct{ bar *progressbar.ProgressBar }

// newProgress returns a bar of max steps of unit ("events") described by
// desc, written to e.stderr when force is set or stderr is a terminal, else
// nil. It never writes to stdout, which --output json keeps for the result.
// A max of 0 or less draws a spinner.
func newProgress(e env, force bool, max int64, desc, unit string) *progress {
	if !force && !isTerminal(e.stderr) {
		return nil
	}
	if max <= 0 {
		max = -1
	}
	w := e.stderr
	return &progress{bar: progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)}
}

// Add moves the bar n steps on; safe for concurrent use.
func (p *progress) Add(n int) {
	if p != nil {
		_ = p.bar.Add(n)
	}
}

// Set moves the bar to n steps (n < 0: leaves it); safe for concurrent use.
func (p *progress) Set(n int64) {
	if p != nil && n >= 0 {
		_ = p.bar.Set64(n)
	}
}

// Finish fills the bar (the work is done even if fewer steps were counted
// than expected) and ends its line.
func (p *progress) Finish() {
	if p != nil {
		_ = p.bar.Finish()
	}
}

// Stop ends the bar's line where it stands (the work stopped short).
func (p *progress) Stop() {
	if p != nil {
		_ = p.bar.Exit()
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
