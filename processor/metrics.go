package processor

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderlog/orderlog/stream"
)

// Metrics are the processor's Prometheus collectors: the runtime's
// (orderlog_processor_transactions_total, _dlq_total, ...) and its own.
type Metrics struct {
	runtime  *stream.Metrics
	commands *prometheus.CounterVec
	decide   prometheus.Histogram
}

// NewMetrics creates the collectors and registers them with reg (nil: not
// registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		runtime: stream.NewMetrics(reg, "processor"),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_processor_commands_total",
			Help: "Commands answered, by command type and outcome (ACCEPTED, REJECTED, DUPLICATE), committed transactions only."}, []string{"type", "outcome"}),
		decide: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "orderlog_processor_decide_duration_seconds",
			Help: "Time to decide one command.", Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10)}),
	}
	if reg != nil {
		reg.MustRegister(m.commands, m.decide)
	}
	return m
}
