package api

import "github.com/prometheus/client_golang/prometheus"

// Metrics of the HTTP API (namespace tension, subsystem ingest).
type Metrics struct {
	requests       *prometheus.CounterVec
	accepted       prometheus.Counter
	rejected       *prometheus.CounterVec
	publishSeconds prometheus.Histogram
	bodyBytes      prometheus.Histogram
}

// NewMetrics registers the metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tension", Subsystem: "ingest", Name: "requests_total",
			Help: "HTTP requests to /v1/articles by status code.",
		}, []string{"code"}),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "tension", Subsystem: "ingest", Name: "articles_accepted_total",
			Help: "Articles published to Kafka and acknowledged.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tension", Subsystem: "ingest", Name: "articles_rejected_total",
			Help: "Articles not accepted, by reason: invalid (the article), batch (another article of the request was invalid), unavailable (Kafka), too_large.",
		}, []string{"reason"}),
		publishSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "tension", Subsystem: "ingest", Name: "publish_duration_seconds",
			Help:    "Time from handing a request's articles to Kafka until acknowledged (or failed).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14), // 1 ms .. 8 s
		}),
		bodyBytes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "tension", Subsystem: "ingest", Name: "request_body_bytes",
			Help:    "Size of request bodies read.",
			Buckets: prometheus.ExponentialBuckets(256, 4, 10), // 256 B .. 64 MiB
		}),
	}
	reg.MustRegister(m.requests, m.accepted, m.rejected, m.publishSeconds, m.bodyBytes)
	return m
}
