package enrich

import (
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of the enricher.
type Metrics struct {
	enriched      prometheus.Counter
	dead          prometheus.Counter
	publishErrors prometheus.Counter
	tagsCut       prometheus.Counter
	tagSeconds    prometheus.Histogram
	// articles counts tagged articles by the language they were read as
	// and whether the tagger has an analyser for it (issue 14): an
	// unsupported language is scored empty, and this is where an operator
	// sees how much of the input that is.
	articles *prometheus.CounterVec
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
		articles: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tension", Subsystem: "enricher",
			Name: "articles_total", Help: "Articles tagged, by the language they were read as (primary subtag; " +
				"languages outside a fixed list are \"other\") and whether the tagger supports it."},
			[]string{"lang", "supported"}),
	}
	reg.MustRegister(m.enriched, m.dead, m.publishErrors, m.tagsCut, m.tagSeconds, m.articles)
	return m
}

// countLang counts one tagged article under langLabel(lang).
func (m *Metrics) countLang(lang string, unsupported bool) {
	m.articles.WithLabelValues(langLabel(lang), strconv.FormatBool(!unsupported)).Inc()
}

// metricLangs are the primary subtags the articles_total metric names: the
// tagger's languages, what DetectLang reports besides them, and the main
// languages of international news. Any other value (an article's lang is
// any well-formed tag) is "other", so the label's cardinality stays fixed
// whatever producers send.
var metricLangs = map[string]bool{
	"en": true, "zh": true, "cmn": true, "yue": true, "ja": true, "ko": true, "und": true,
	"ar": true, "de": true, "es": true, "fr": true, "hi": true, "it": true, "pt": true, "ru": true, "vi": true,
}

// langLabel is the metric label of a language tag: its primary subtag in
// lower case when listed in metricLangs, "und" when empty, else "other".
func langLabel(lang string) string {
	if lang == "" {
		return "und"
	}
	primary, _, _ := strings.Cut(lang, "-")
	primary = strings.ToLower(primary)
	if metricLangs[primary] {
		return primary
	}
	return "other"
}
