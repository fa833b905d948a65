package saga

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the saga's Prometheus metrics (orderlog_saga_*).
type Metrics struct {
	inputs       *prometheus.CounterVec
	outputs      *prometheus.CounterVec
	timers       prometheus.Counter
	transactions *prometheus.CounterVec
	inFlight     prometheus.Gauge
	breakerOpen  *prometheus.GaugeVec
	dlq          prometheus.Counter
	partitions   prometheus.Gauge
}

// NewMetrics creates the metrics and registers them with reg (nil: not
// registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		inputs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_saga_inputs_total",
			Help: "Records the saga reacted to, by kind: event, payment, inventory, shipping."}, []string{"kind"}),
		outputs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_saga_outputs_total",
			Help: "Records the saga wrote, by kind: command, payment, inventory, shipping, notification."}, []string{"kind"}),
		timers: prometheus.NewCounter(prometheus.CounterOpts{Name: "orderlog_saga_timer_ticks_total",
			Help: "Orders whose due timers fired (committed transactions only)."}),
		transactions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_saga_transactions_total",
			Help: "Saga transactions by result: committed, aborted."}, []string{"result"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "orderlog_saga_orders_in_flight",
			Help: "Orders owned by this member with an unanswered request or a pending timer."}),
		breakerOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "orderlog_saga_breaker_open",
			Help: "1 while the circuit breaker of an outside system is open."}, []string{"system"}),
		dlq: prometheus.NewCounter(prometheus.CounterOpts{Name: "orderlog_saga_dlq_total",
			Help: "Records the saga could not read and sent to the dead-letter topic."}),
		partitions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "orderlog_saga_partitions_assigned",
			Help: "Partitions this saga member owns."}),
	}
	if reg != nil {
		reg.MustRegister(m.inputs, m.outputs, m.timers, m.transactions, m.inFlight, m.breakerOpen, m.dlq, m.partitions)
	}
	return m
}
