package follow

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the follower's Prometheus metrics, per source (the name in
// the sources file).
type Metrics struct {
	fetches     *prometheus.CounterVec
	newItems    *prometheus.CounterVec
	published   *prometheus.CounterVec
	deadLetters *prometheus.CounterVec
	errors      *prometheus.CounterVec
	pages       *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	undated     *prometheus.CounterVec
	cut         *prometheus.CounterVec
	pollSeconds prometheus.Histogram
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	ns, sub := "tension", "follow"
	m := &Metrics{
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "fetches_total",
			Help: "Feed fetches by source and result: ok (200, parsed), not_modified (304) or error."}, []string{"source", "result"}),
		newItems: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "items_new_total",
			Help: "Feed items not seen before, by source."}, []string{"source"}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "articles_published_total",
			Help: "Articles published to the raw topic and acknowledged, by source."}, []string{"source"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "dead_letters_total",
			Help: "Items sent to the dead-letter topic with the reason (no text, refused by the admission rule), by source."}, []string{"source"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "errors_total",
			Help: "Failed polls by source and kind: the fetch's (robots, too_large, timeout, network, http, redirects, address, url), parse, publish or state."}, []string{"source", "kind"}),
		pages: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "pages_total",
			Help: "Article pages by source and result: ok (text extracted), fallback (the feed's text was used: page refused, failed or empty), retry (a transient failure; the item waits for the next poll) or paused (not asked: the host answered 429 or 503 with Retry-After; the item waits, no attempt spent)."}, []string{"source", "result"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "last_success_timestamp_seconds",
			Help: "Unix time of the source's last successful poll (200 or 304)."}, []string{"source"}),
		undated: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "undated_total",
			Help: "Articles published without a date from the feed or the page (published_at_source none: the receipt time counts), by source."}, []string{"source"}),
		cut: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "texts_cut_total",
			Help: "Articles whose text was cut to fit the 500,000-byte article record, by source."}, []string{"source"}),
		pollSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "poll_seconds",
			Help: "Time of one poll: the feed, its new items' pages, publishing.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 9)}),
	}
	reg.MustRegister(m.fetches, m.newItems, m.published, m.deadLetters, m.errors, m.pages, m.lastSuccess, m.undated, m.cut, m.pollSeconds)
	return m
}

// init creates every source's series at zero, so dashboards and alerts see
// a source before its first event.
func (m *Metrics) init(name string) {
	for _, r := range []string{"ok", "not_modified", "error"} {
		m.fetches.WithLabelValues(name, r)
	}
	m.newItems.WithLabelValues(name)
	m.published.WithLabelValues(name)
	m.deadLetters.WithLabelValues(name)
	m.undated.WithLabelValues(name)
	m.cut.WithLabelValues(name)
}
