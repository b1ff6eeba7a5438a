package enrich

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/tagger"
)

func TestLangLabelIsBounded(t *testing.T) {
	tests := []struct{ in, want string }{
		{"en", "en"},
		{"en-GB", "en"},
		{"zh-Hant", "zh"},
		{"ZH-tw", "zh"},
		{"yue", "yue"},
		{"und-Latn", "und"},
		{"", "und"},
		{"fr-CA", "fr"},
		{"tlh", "other"},
		{"xx-Yyyy-ZZ", "other"},
		{"other", "other"},
		{"Other-x", "other"},
		{"EN", "en"},
	}
	for _, tt := range tests {
		if got := langLabel(tt.in); got != tt.want {
			t.Errorf("langLabel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The real tagger reads a Chinese article, an English one without lang
// (detected) and a Swahili one (no analyser); the metric counts each under
// its language and support.
func TestArticlesAreCountedByLanguageRead(t *testing.T) {
	tg, err := tagger.New()
	if err != nil {
		t.Fatal(err)
	}
	msg := func(offset int64, id, text, lang string) kafka.Message {
		m := map[string]any{"article_id": id, "text": text,
			"received_at": "2025-04-09T12:00:00Z", "published_at": "2025-04-09T11:00:00Z"}
		if lang != "" {
			m["lang"] = lang
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return kafka.Message{Topic: "raw", Partition: 0, Offset: offset, Key: []byte(id), Value: b}
	}
	r := &fakeReader{msgs: []kafka.Message{
		msg(1, "0b9a6a4c-0000-5000-8000-000000000011", "商务部表示，中方将对美国商品加征关税。", "zh-Hans"),
		msg(2, "0b9a6a4c-0000-5000-8000-000000000012", "China said it would impose tariffs on the United States.", ""),
		msg(3, "0b9a6a4c-0000-5000-8000-000000000013", "China ilisema itaweka ushuru kwa bidhaa za Marekani.", "sw"),
		msg(4, "0b9a6a4c-0000-5000-8000-000000000014", "Beijing ilijibu kwa hatua zake.", "sw-KE"),
	}}
	out, dlq := &fakeWriter{}, &fakeWriter{}
	m := NewMetrics(prometheus.NewRegistry())
	e := New(Config{Workers: 2, TaggerVersion: "v-test", FlushInterval: 20 * time.Millisecond}, r, out, dlq, tg,
		slog.New(slog.NewTextHandler(io.Discard, nil)), m)
	runUntilIdle(t, e, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.committed) > 0 && r.committed[len(r.committed)-1].Offset == 4
	})
	if n := testutil.CollectAndCount(m.articles); n != 3 {
		t.Errorf("articles_total has %d series, want 3", n)
	}
	for _, c := range []struct {
		lang, supported string
		want            float64
	}{{"zh", "true", 1}, {"en", "true", 1}, {"other", "false", 2}} {
		if got := testutil.ToFloat64(m.articles.WithLabelValues(c.lang, c.supported)); got != c.want {
			t.Errorf("articles_total{lang=%q,supported=%q} = %v, want %v", c.lang, c.supported, got, c.want)
		}
	}
}
