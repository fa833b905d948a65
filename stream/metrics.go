package stream

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the runtime's Prometheus collectors, named
// orderlog_<role>_<what>_<unit>: the same names for every binding.
type Metrics struct {
	txnDuration   prometheus.Histogram
	txnRecords    prometheus.Histogram
	transactions  *prometheus.CounterVec
	restoreTime   prometheus.Histogram
	restoreRecs   prometheus.Counter
	restoreErrors prometheus.Counter
	dlq           prometheus.Counter
	rerouted      prometheus.Counter
	refused       prometheus.Counter
	skipped       prometheus.Counter
	isolations    prometheus.Counter
	restarts      prometheus.Counter
	fenced        prometheus.Counter
	lag           *prometheus.GaugeVec
	stuck         *prometheus.GaugeVec
	partitions    prometheus.Gauge
	states        prometheus.Gauge
}

// NewMetrics creates the collectors of role and registers them with reg
// (nil: not registered, for tests).
func NewMetrics(reg prometheus.Registerer, role string) *Metrics {
	n := func(what string) string { return "orderlog_" + role + "_" + what }
	m := &Metrics{
		txnDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: n("transaction_duration_seconds"),
			Help: "Time from beginning a transaction to its end.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		txnRecords: prometheus.NewHistogram(prometheus.HistogramOpts{Name: n("transaction_records"),
			Help: "Records produced per transaction.", Buckets: prometheus.ExponentialBuckets(1, 4, 9)}),
		transactions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: n("transactions_total"),
			Help: "Transactions ended, by outcome (committed, aborted)."}, []string{"outcome"}),
		restoreTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: n("restore_duration_seconds"),
			Help: "Time to restore the states of newly assigned partitions.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}),
		restoreRecs: prometheus.NewCounter(prometheus.CounterOpts{Name: n("restore_records_total"),
			Help: "State records read while restoring."}),
		restoreErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: n("restore_failures_total"),
			Help: "Restores that failed (an undecodable state record, a broker error) and were retried."}),
		dlq: prometheus.NewCounter(prometheus.CounterOpts{Name: n("dlq_total"),
			Help: "Inputs written to the dead-letter topic (committed transactions only)."}),
		rerouted: prometheus.NewCounter(prometheus.CounterOpts{Name: n("rerouted_total"),
			Help: "Inputs that arrived on a partition other than their key's and were re-routed (committed)."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Name: n("refused_total"),
			Help: "Inputs whose outputs would not fit in Kafka, answered by a refusal instead (committed)."}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{Name: n("skipped_total"),
			Help: "Inputs that not even a truncated dead letter could hold, skipped with an error log (committed)."}),
		isolations: prometheus.NewCounter(prometheus.CounterOpts{Name: n("isolations_total"),
			Help: "Transactions aborted because of what a record held, each followed by isolating the record or halving the batch."}),
		restarts: prometheus.NewCounter(prometheus.CounterOpts{Name: n("session_restarts_total"),
			Help: "Group sessions ended by a failed transaction and started again."}),
		fenced: prometheus.NewCounter(prometheus.CounterOpts{Name: n("fenced_transactions_total"),
			Help: "Open transactions of departed members fenced (aborted at once) when their partitions were assigned here."}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: n("consumer_lag_records"),
			Help: "Input records not yet polled, per input topic and partition, as of the last fetch."}, []string{"topic", "partition"}),
		stuck: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: n("partition_stuck"),
			Help: "1 while a partition cannot make progress (its transactions keep failing); /readyz says why."}, []string{"partition"}),
		partitions: prometheus.NewGauge(prometheus.GaugeOpts{Name: n("partitions_assigned"),
			Help: "Partitions this member owns."}),
		states: prometheus.NewGauge(prometheus.GaugeOpts{Name: n("orders_in_store"),
			Help: "States (one per order) held in memory."}),
	}
	if reg != nil {
		reg.MustRegister(m.txnDuration, m.txnRecords, m.transactions, m.restoreTime, m.restoreRecs, m.restoreErrors,
			m.dlq, m.rerouted, m.refused, m.skipped, m.isolations, m.restarts, m.fenced, m.lag, m.stuck, m.partitions, m.states)
	}
	return m
}

func (m *Metrics) committed(t tally) {
	m.dlq.Add(float64(t.deadLetters))
	m.rerouted.Add(float64(t.rerouted))
	m.refused.Add(float64(t.refused))
	m.skipped.Add(float64(t.skipped))
}
