package saga

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderlog/orderlog/stream"
)

// Metrics are the saga's Prometheus metrics: the runtime's
// (orderlog_saga_transactions_total, _dlq_total, ...) and its own.
type Metrics struct {
	runtime     *stream.Metrics
	inputs      *prometheus.CounterVec
	outputs     *prometheus.CounterVec
	timers      prometheus.Counter
	rejections  *prometheus.CounterVec
	inFlight    atomic.Pointer[func() float64] // set by New: counts the member's orders in flight
	breakerOpen *prometheus.GaugeVec
}

// NewMetrics creates the metrics and registers them with reg (nil: not
// registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		runtime: stream.NewMetrics(reg, "saga"),
		inputs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_saga_inputs_total",
			Help: "Records the saga reacted to, by kind: event, payment, inventory, shipping, result (its own commands refused; committed)."}, []string{"kind"}),
		outputs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_saga_outputs_total",
			Help: "Records the saga wrote, by kind: command, payment, inventory, shipping, notification (committed)."}, []string{"kind"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_saga_command_rejections_total",
			Help: "The saga's own commands the order refused, by command type, code and what the saga did: cancelled, flagged, logged, ignored (committed)."},
			[]string{"command", "code", "action"}),
		timers: prometheus.NewCounter(prometheus.CounterOpts{Name: "orderlog_saga_timer_ticks_total",
			Help: "Orders whose due timers fired (committed transactions only)."}),
		breakerOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "orderlog_saga_breaker_open",
			Help: "1 while the circuit breaker of an outside system is open."}, []string{"system"}),
	}
	inFlight := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "orderlog_saga_orders_in_flight",
		Help: "Orders owned by this member with an unanswered request or a pending timer (the retention timer does not count)."},
		func() float64 {
			if f := m.inFlight.Load(); f != nil {
				return (*f)()
			}
			return 0
		})
	if reg != nil {
		reg.MustRegister(m.inputs, m.outputs, m.rejections, m.timers, inFlight, m.breakerOpen)
	}
	return m
}
