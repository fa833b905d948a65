package simulators

import "github.com/prometheus/client_golang/prometheus"

// Outcome labels of orderlog_simulator_requests_total besides the
// integration outcomes (OK, FAILED, UNAVAILABLE).
const (
	outcomeDropped  = "DROPPED"  // never answered, on purpose (DropRate)
	outcomeReceived = "RECEIVED" // a notification, which has no answer
)

// Metrics are the simulators' Prometheus collectors, named
// orderlog_simulator_<what>_<unit>.
type Metrics struct {
	requests       *prometheus.CounterVec
	repeated       *prometheus.CounterVec
	invalid        *prometheus.CounterVec
	results        *prometheus.CounterVec
	produceErrors  *prometheus.CounterVec
	reservedUnits  *prometheus.GaugeVec
	pendingAnswers prometheus.Gauge
}

// NewMetrics creates the collectors and registers them with reg (nil: not
// registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_simulator_requests_total",
			Help: "Requests decided by the simulated systems, by system, action (the template for notifications) and outcome (OK, FAILED, UNAVAILABLE, DROPPED, RECEIVED)."},
			[]string{"system", "action", "outcome"}),
		repeated: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_simulator_repeated_requests_total",
			Help: "Requests whose requestId was already answered, answered again with the first answer."}, []string{"system"}),
		invalid: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_simulator_invalid_requests_total",
			Help: "Request records that could not be decoded and were skipped."}, []string{"system"}),
		results: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_simulator_results_total",
			Help: "Results produced to the results topics, by system."}, []string{"system"}),
		produceErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_simulator_produce_failures_total",
			Help: "Results that could not be produced (the answer is lost, as in a crash)."}, []string{"system"}),
		reservedUnits: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "orderlog_simulator_reserved_units",
			Help: "Units the simulated inventory holds for orders, per warehouse."}, []string{"warehouse"}),
		pendingAnswers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "orderlog_simulator_pending_answers",
			Help: "Answers scheduled and not yet produced (waiting out their latency or a delivery delay)."}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.repeated, m.invalid, m.results, m.produceErrors, m.reservedUnits, m.pendingAnswers)
	}
	return m
}
