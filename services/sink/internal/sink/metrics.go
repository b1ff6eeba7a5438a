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
	indexUpdates prometheus.Counter
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
			Name: "flush_seconds", Help: "Time to write one batch.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
		flushErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "sink",
			Name: "flush_errors_total", Help: "Failed batch writes (each is retried)."}),
	}
	m.indexUpdates = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "sink",
		Name: "index_updates_total", Help: "Updates published to tension.index.v1 (republished buckets included)."})
	reg.MustRegister(m.indexUpdates, m.batches, m.messages, m.flushSeconds, m.flushErrors)
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
