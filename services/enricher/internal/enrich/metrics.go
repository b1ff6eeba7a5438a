package enrich

import "github.com/prometheus/client_golang/prometheus"

// Metrics of the enricher.
type Metrics struct {
	enriched      prometheus.Counter
	dead          prometheus.Counter
	publishErrors prometheus.Counter
	tagsCut       prometheus.Counter
	tagSeconds    prometheus.Histogram
}

// NewMetrics registers the enricher's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		enriched: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "enricher",
			Name: "articles_enriched_total", Help: "Articles tagged and published (acknowledged)."}),
		dead: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "enricher",
			Name: "dead_letters_total", Help: "Messages sent to the DLQ."}),
		publishErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "enricher",
			Name: "publish_errors_total", Help: "Failed produce or commit rounds (each is retried)."}),
		tagsCut: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "enricher",
			Name: "tags_cut_total", Help: "Articles whose entity or cue lists were cut to fit the record limit (Tags.Cut)."}),
		tagSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "tension", Subsystem: "enricher",
			Name: "tag_seconds", Help: "Time to tag one article.", Buckets: prometheus.ExponentialBuckets(1e-5, 3, 10)}),
	}
	reg.MustRegister(m.enriched, m.dead, m.publishErrors, m.tagsCut, m.tagSeconds)
	return m
}
