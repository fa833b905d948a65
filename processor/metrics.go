package processor

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderlog/orderlog/order"
	"github.com/orderlog/orderlog/stream"
)

// Metrics are the processor's Prometheus collectors: the runtime's
// (orderlog_processor_transactions_total, _dlq_total, ...) and its own.
type Metrics struct {
	runtime  *stream.Metrics
	commands *prometheus.CounterVec
	incs     sync.Map // answer -> func(): commands' Inc per label pair, made once
	decide   prometheus.Histogram
}

// answer is the labels of orderlog_processor_commands_total.
type answer struct {
	t order.CommandType
	s order.ResultStatus
}

// answered returns the function that counts one command of type t
// answered s: looked up once per label pair, not hashed per command.
func (m *Metrics) answered(t order.CommandType, s order.ResultStatus) func() {
	if inc, ok := m.incs.Load(answer{t, s}); ok {
		return inc.(func())
	}
	inc, _ := m.incs.LoadOrStore(answer{t, s}, m.commands.WithLabelValues(string(t), string(s)).Inc)
	return inc.(func())
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
