package processor

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the processor's Prometheus collectors, named
// orderlog_processor_<what>_<unit>.
type Metrics struct {
	commands      *prometheus.CounterVec
	decide        prometheus.Histogram
	txnDuration   prometheus.Histogram
	txnRecords    prometheus.Histogram
	transactions  *prometheus.CounterVec
	restoreTime   prometheus.Histogram
	restoreRecs   prometheus.Counter
	restoreErrors prometheus.Counter
	dlq           prometheus.Counter
	rerouted      prometheus.Counter
	restarts      prometheus.Counter
	lag           *prometheus.GaugeVec
	partitions    prometheus.Gauge
	orders        prometheus.Gauge
}

// NewMetrics creates the collectors and registers them with reg (nil: not
// registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_processor_commands_total",
			Help: "Commands handled, by command type and outcome (ACCEPTED, REJECTED, DUPLICATE)."}, []string{"type", "outcome"}),
		decide: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "orderlog_processor_decide_duration_seconds",
			Help: "Time to decide one command.", Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10)}),
		txnDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "orderlog_processor_transaction_duration_seconds",
			Help: "Time from beginning a transaction to its end.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		txnRecords: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "orderlog_processor_transaction_records",
			Help: "Records produced per transaction.", Buckets: prometheus.ExponentialBuckets(1, 4, 9)}),
		transactions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_processor_transactions_total",
			Help: "Transactions ended, by outcome (committed, aborted)."}, []string{"outcome"}),
		restoreTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "orderlog_processor_restore_duration_seconds",
			Help: "Time to restore the states of newly assigned partitions.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}),
		restoreRecs: prometheus.NewCounter(prometheus.CounterOpts{Name: "orderlog_processor_restore_records_total",
			Help: "State records read while restoring."}),
		restoreErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "orderlog_processor_restore_failures_total",
			Help: "Restores that failed (an undecodable state record, a broker error) and were retried."}),
		dlq: prometheus.NewCounter(prometheus.CounterOpts{Name: "orderlog_processor_dlq_total",
			Help: "Commands sent to the dead-letter topic."}),
		rerouted: prometheus.NewCounter(prometheus.CounterOpts{Name: "orderlog_processor_rerouted_total",
			Help: "Commands that arrived on a partition other than their order's and were re-routed."}),
		restarts: prometheus.NewCounter(prometheus.CounterOpts{Name: "orderlog_processor_session_restarts_total",
			Help: "Group sessions ended by a failed transaction and started again."}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "orderlog_processor_consumer_lag_records",
			Help: "Commands not yet polled, per partition, as of the last fetch."}, []string{"partition"}),
		partitions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "orderlog_processor_partitions_assigned",
			Help: "Partitions of order.commands this member owns."}),
		orders: prometheus.NewGauge(prometheus.GaugeOpts{Name: "orderlog_processor_orders_in_store",
			Help: "Order states held in memory."}),
	}
	if reg != nil {
		reg.MustRegister(m.commands, m.decide, m.txnDuration, m.txnRecords, m.transactions, m.restoreTime,
			m.restoreRecs, m.restoreErrors, m.dlq, m.rerouted, m.restarts, m.lag, m.partitions, m.orders)
	}
	return m
}
