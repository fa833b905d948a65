package failover

import (
	"fmt"
	"time"

	"github.com/orderlog/orderlog/e2e/internal/chaoskit"
)

// window is the figures of the commands sent in [from, to).
type window struct {
	name          string
	from, to      time.Time
	fault         time.Time
	n, unanswered int
	p50, p99, max time.Duration
	// raised is how long after the fault commands still waited more than
	// a second: the last such answer's time minus the fault's.
	raised time.Duration
}

func windowOf(w *chaoskit.Waits, name string, fault, from, to time.Time) window {
	st := w.Within(from, to)
	win := window{name: name, from: from, to: to, fault: fault, n: st.N, unanswered: st.Unanswered,
		p50: st.P50, p99: st.P99, max: st.Max}
	if !st.LastSlow.IsZero() {
		win.raised = max(st.LastSlow.Sub(fault), 0)
	}
	return win
}

func (w window) String() string {
	return fmt.Sprintf("%-28s %6d commands  p50 %7s  p99 %7s  max %7s  waits >1s until %s after the fault",
		w.name, w.n, ms(w.p50), ms(w.p99), ms(w.max), ms(w.raised))
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }
