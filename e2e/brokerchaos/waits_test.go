package brokerchaos

import (
	"time"

	"github.com/orderlog/orderlog/e2e/internal/chaoskit"
)

// span is a stretch of the run: a fault, from its start until the cluster
// was whole again.
type span struct {
	name     string
	from, to time.Time
}

// within is the waits of the commands sent in the span (its end
// included).
func within(w *chaoskit.Waits, sp span) chaoskit.Stats {
	return w.Stats(func(at time.Time) bool { return !at.Before(sp.from) && !at.After(sp.to) })
}

// outside is the waits of the commands sent outside every span.
func outside(w *chaoskit.Waits, spans []span) chaoskit.Stats {
	return w.Stats(func(at time.Time) bool {
		for _, sp := range spans {
			if !at.Before(sp.from) && !at.After(sp.to) {
				return false
			}
		}
		return true
	})
}
