package enrich

import (
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of the enricher.
type Metrics struct {
	enriched      prometheus.Counter
	dead          prometheus.Counter
	publishErrors prometheus.Counter
	fetchErrors   prometheus.Counter
	tagsCut       prometheus.Counter
	tagSeconds    prometheus.Histogram
	// articles counts tagged articles by the language they were read as
	// and whether the tagger has an analyser for it (issue 14): an
	// unsupported language is scored empty, and this is where an operator
	// sees how much of the input that is.
	articles *prometheus.CounterVec
	// langCounts caches articles' counters by label (langLabels' index)
	// and support, made on first use so only languages seen are exported:
	// WithLabelValues hashes its labels on every call, once per article.
	langCounts [][2]atomic.Pointer[prometheus.Counter]
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
		fetchErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "enricher",
			Name: "fetch_errors_total", Help: "Failed reads of the raw topic (each is retried: a broker down, the consumer group rejoining)."}),
		tagsCut: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tension", Subsystem: "enricher",
			Name: "tags_cut_total", Help: "Articles whose entity or cue lists were cut to fit the record limit (Tags.Cut)."}),
		tagSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "tension", Subsystem: "enricher",
			Name: "tag_seconds", Help: "Time to tag one article.", Buckets: prometheus.ExponentialBuckets(1e-5, 3, 10)}),
		articles: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tension", Subsystem: "enricher",
			Name: "articles_total", Help: "Articles tagged, by the language they were read as (primary subtag; " +
				"languages outside a fixed list are \"other\") and whether the tagger supports it."},
			[]string{"lang", "supported"}),
	}
	m.langCounts = make([][2]atomic.Pointer[prometheus.Counter], len(langLabels))
	reg.MustRegister(m.enriched, m.dead, m.publishErrors, m.fetchErrors, m.tagsCut, m.tagSeconds, m.articles)
	return m
}

// countLang counts one tagged article under langLabel(lang).
func (m *Metrics) countLang(lang string, unsupported bool) {
	i, s := langIndex(lang), 0
	if unsupported {
		s = 1
	}
	p := &m.langCounts[i][s]
	c := p.Load()
	if c == nil {
		ctr := m.articles.WithLabelValues(langLabels[i], strconv.FormatBool(!unsupported))
		c = &ctr
		p.Store(c) // a racing worker stores the same series
	}
	(*c).Inc()
}

// langLabels are the values of the articles_total lang label: the primary
// subtags of the tagger's languages, what DetectLang reports besides them,
// and the main languages of international news; any other value (an
// article's lang is any well-formed tag) is "other", so the label's
// cardinality stays fixed whatever producers send.
var langLabels = []string{"en", "zh", "cmn", "yue", "ja", "ko", "und",
	"ar", "de", "es", "fr", "hi", "it", "pt", "ru", "vi", "other"}

// metricLangs indexes langLabels.
var metricLangs = func() map[string]int {
	m := make(map[string]int, len(langLabels))
	for i, l := range langLabels {
		m[l] = i
	}
	return m
}()

// langLabel is the metric label of a language tag: its primary subtag in
// lower case when listed in langLabels, "und" when empty, else "other".
func langLabel(lang string) string { return langLabels[langIndex(lang)] }

// langIndex is langLabel's index in langLabels.
func langIndex(lang string) int {
	if lang == "" {
		return metricLangs["und"]
	}
	primary, _, _ := strings.Cut(lang, "-")
	if i, ok := metricLangs[strings.ToLower(primary)]; ok {
		return i
	}
	return metricLangs["other"]
}
