package projections

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the projector's Prometheus collectors, named
// orderlog_projector_<what>_<unit>.
type Metrics struct {
	events      *prometheus.CounterVec
	gaps        prometheus.Counter
	decodeErrs  prometheus.Counter
	batch       prometheus.Histogram
	batchEvents prometheus.Histogram
	eventAge    prometheus.Histogram
	lagEvents   *prometheus.GaugeVec
	lagSeconds  *prometheus.GaugeVec
	stalled     prometheus.Gauge
	partitions  prometheus.Gauge
	redisErrs   prometheus.Counter
	cacheHits   prometheus.Counter
	cacheMisses prometheus.Counter
	activations prometheus.Counter
}

// NewMetrics creates the collectors and registers them with reg (nil: not
// registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "orderlog_projector_events_total",
			Help: "Events handled, by outcome: applied, duplicate (already projected), gap (not applied, partition held), stale (not applied, retried)."},
			[]string{"outcome"}),
		gaps: prometheus.NewCounter(prometheus.CounterOpts{Name: "orderlog_projector_gaps_total",
			Help: "Gaps detected: an event more than one past its order's projected version. Not applied; its partition is held and retried."}),
		decodeErrs: prometheus.NewCounter(prometheus.CounterOpts{Name: "orderlog_projector_decode_errors_total",
			Help: "Records of order.events that could not be decoded; their partition is held and retried."}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "orderlog_projector_batch_duration_seconds",
			Help: "Time to project one polled batch into Redis and commit its offsets.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),
		batchEvents: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "orderlog_projector_batch_events",
			Help: "Events per polled batch.", Buckets: prometheus.ExponentialBuckets(1, 4, 9)}),
		eventAge: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "orderlog_projector_event_age_seconds",
			Help: "Time from an event's timestamp to its projection into Redis (applied events).", Buckets: prometheus.ExponentialBuckets(0.001, 2, 18)}),
		lagEvents: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "orderlog_projector_lag_events",
			Help: "Records of order.events not yet projected, per partition, as of the last batch."}, []string{"partition"}),
		lagSeconds: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "orderlog_projector_lag_seconds",
			Help: "Age of the newest projected event while records wait behind it (0 when caught up), per partition."}, []string{"partition"}),
		stalled: prometheus.NewGauge(prometheus.GaugeOpts{Name: "orderlog_projector_partitions_held",
			Help: "Partitions held at a gap, an undecodable record or a stale base, waiting to retry."}),
		partitions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "orderlog_projector_partitions_assigned",
			Help: "Partitions of order.events this member owns."}),
		redisErrs: prometheus.NewCounter(prometheus.CounterOpts{Name: "orderlog_projector_redis_errors_total",
			Help: "Batches that failed on Redis and were rewound to be polled again."}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{Name: "orderlog_projector_view_cache_hits_total",
			Help: "Orders whose base view came from the in-memory cache."}),
		cacheMisses: prometheus.NewCounter(prometheus.CounterOpts{Name: "orderlog_projector_view_cache_misses_total",
			Help: "Orders whose base view was read from Redis."}),
		activations: prometheus.NewCounter(prometheus.CounterOpts{Name: "orderlog_projector_activations_total",
			Help: "Times this projector pointed readers to its prefix."}),
	}
	if reg != nil {
		reg.MustRegister(m.events, m.gaps, m.decodeErrs, m.batch, m.batchEvents, m.eventAge, m.lagEvents, m.lagSeconds,
			m.stalled, m.partitions, m.redisErrs, m.cacheHits, m.cacheMisses, m.activations)
	}
	return m
}
