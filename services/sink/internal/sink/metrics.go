package sink

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of the sink, registered on the registerer given to NewMetrics.
type Metrics struct {
	batches      prometheus.Counter
	messages     *prometheus.CounterVec
	flushSeconds prometheus.Histogram
	flushErrors  prometheus.Counter
	fetchErrors  prometheus.Counter
	indexUpdates prometheus.Counter

	conflicts       *prometheus.CounterVec
	compensations   prometheus.Counter
	rewinds         prometheus.Counter
	lost            prometheus.Counter
	logMismatch     prometheus.Gauge
	overCompensated prometheus.Counter
}

// NewMetrics registers the sink's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		batches: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "sink",
			Name: "batches_total", Help: "Batches written to ClickHouse."}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tension", Subsystem: "sink",
			Name: "messages_total", Help: "Enriched messages by outcome: counted, recounted (a higher tagger version), older (a lower tagger version: its own view only), duplicate, replayed (offset already in the ledger), dead (to the DLQ)."},
			[]string{"outcome"}),
		flushSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "tension", Subsystem: "sink",
			Name: "flush_seconds", Help: "Time from the start of a batch to its commit (its index publish and the wait for the batch before included).", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
		flushErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "sink",
			Name: "flush_errors_total", Help: "Failed batch writes (each is retried)."}),
		fetchErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "sink",
			Name: "fetch_errors_total", Help: "Failed reads of the enriched topic (each is retried: a broker down, the consumer group rejoining)."}),
	}
	m.indexUpdates = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "sink",
		Name: "index_updates_total", Help: "Updates published to tension.index.v1 (republished buckets included)."})
	m.conflicts = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tension", Subsystem: "sink",
		Name: "ledger_conflicts_total", Help: "Blocks found counting what another block counted (offsets: the same source offsets; articles: the same article in one view), each cancelled."},
		[]string{"kind"})
	m.compensations = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "sink",
		Name: "compensations_total", Help: "Compensating blocks this sink wrote (replicated tables keep one of identical ones)."})
	m.rewinds = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "sink",
		Name: "rewinds_total", Help: "Times the sink read its partitions again from a hole in the ledger."})
	m.lost = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "sink",
		Name: "messages_expired_uncounted_total", Help: "Messages retention removed from Kafka before the sink counted them."})
	m.logMismatch = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "tension", Subsystem: "sink",
		Name: "ledger_log_mismatch", Help: "1 while the offset ledger belongs to another log than the topic's (recreated topic, rebuilt brokers, lost messages) and the sink refuses to count."})
	m.overCompensated = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "sink",
		Name: "ledger_overcompensated_total", Help: "Times a block cancelled more than once was seen (insert deduplication window exceeded)."})
	reg.MustRegister(m.indexUpdates, m.batches, m.messages, m.flushSeconds, m.flushErrors, m.fetchErrors,
		m.conflicts, m.compensations, m.rewinds, m.lost, m.logMismatch, m.overCompensated)
	return m
}

func (m *Metrics) observeFlush(d time.Duration, counted, recounted, older, dups, replayed, dead int) {
	m.batches.Inc()
	m.flushSeconds.Observe(d.Seconds())
	m.messages.WithLabelValues("counted").Add(float64(counted))
	m.messages.WithLabelValues("recounted").Add(float64(recounted))
	m.messages.WithLabelValues("older").Add(float64(older))
	m.messages.WithLabelValues("duplicate").Add(float64(dups))
	m.messages.WithLabelValues("replayed").Add(float64(replayed))
	m.messages.WithLabelValues("dead").Add(float64(dead))
}
