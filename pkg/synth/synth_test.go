package synth

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var (
	t0 = time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

func TestDeterministic(t *testing.T) {
	a, b := New(42, t0, t1), New(42, t0, t1)
	c := New(43, t0, t1)
	differ := false
	for i := 0; i < 2000; i++ {
		x, y, z := a.Next(), b.Next(), c.Next()
		if x != y {
			t.Fatalf("article %d differs for the same seed:\n%+v\n%+v", i, x, y)
		}
		if x.Text != z.Text {
			differ = true
		}
	}
	if !differ {
		t.Fatal("seeds 42 and 43 produced identical texts")
	}
}

func TestUniqueURLsAndBounds(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	seen := make(map[string]struct{}, 2*n)
	ids := make(map[string]struct{}, 2*n)
	for _, seed := range []uint64{1, 2} {
		g := New(seed, t0, t1)
		for i := 0; i < n; i++ {
			a := g.Next()
			if _, dup := seen[a.URL]; dup {
				t.Fatalf("duplicate URL %s (seed %d, #%d)", a.URL, seed, i)
			}
			seen[a.URL] = struct{}{}
			if _, dup := ids[a.ID]; dup {
				t.Fatalf("duplicate id %s", a.ID)
			}
			ids[a.ID] = struct{}{}
			if l := len(a.Text); l < MinTextBytes || l > MaxTextBytes {
				t.Fatalf("text length %d out of [%d, %d]: %q", l, MinTextBytes, MaxTextBytes, a.Text)
			}
			if !utf8.ValidString(a.Text) || !utf8.ValidString(a.Title) {
				t.Fatal("invalid UTF-8")
			}
			if a.PublishedAt.Before(t0) || !a.PublishedAt.Before(t1) {
				t.Fatalf("published_at %v outside [%v, %v)", a.PublishedAt, t0, t1)
			}
			if a.Title == "" || a.Source == "" || !strings.HasPrefix(a.URL, "https://") {
				t.Fatalf("incomplete article %+v", a)
			}
		}
	}
}

func TestDistribution(t *testing.T) {
	g := New(7, t0, t1)
	const n = 20_000
	var counts [3]int
	var byYear = map[int]int{}
	for i := 0; i < n; i++ {
		a, k := g.NextKind()
		counts[k]++
		byYear[a.PublishedAt.Year()]++
		lower := strings.ToLower(a.Text)
		switch k {
		case KindUSCN:
			if !(strings.Contains(a.Text, "China") || strings.Contains(a.Text, "Chinese") || strings.Contains(a.Text, "Beijing") || strings.Contains(a.Text, "MOFCOM") || strings.Contains(a.Text, "Xi Jinping") || strings.Contains(a.Text, "He Lifeng") || strings.Contains(a.Text, "Wang Wentao")) {
				t.Fatalf("US–CN story without a Chinese actor: %q", a.Text)
			}
		case KindUnrelated:
			if strings.Contains(lower, "tariff") || strings.Contains(lower, "export control") {
				t.Fatalf("unrelated story mentions trade: %q", a.Text)
			}
		}
	}
	want := [3]float64{0.60, 0.15, 0.25}
	for k, c := range counts {
		got := float64(c) / n
		if got < want[k]-0.02 || got > want[k]+0.02 {
			t.Errorf("%v share %.3f, want %.2f ± 0.02", Kind(k), got, want[k])
		}
	}
	// Eight years, uniform: each year gets about 1/8.
	for y := 2018; y <= 2025; y++ {
		if got := float64(byYear[y]) / n; got < 0.11 || got > 0.14 {
			t.Errorf("year %d share %.3f, want ≈ 0.125", y, got)
		}
	}
}

func TestCuesBothWays(t *testing.T) {
	g := New(9, t0, t1)
	var esc, deesc, hedged, negated int
	for i := 0; i < 5000; i++ {
		a, k := g.NextKind()
		if k != KindUSCN {
			continue
		}
		switch {
		case strings.Contains(a.Text, "tariffs of") || strings.Contains(a.Text, "blacklist") || strings.Contains(a.Text, "export controls") || strings.Contains(a.Text, "retaliat"):
			esc++
		case strings.Contains(a.Text, "truce") || strings.Contains(a.Text, "negotiations") || strings.Contains(a.Text, "cut tariffs") || strings.Contains(a.Text, "exempt"):
			deesc++
		}
		if strings.Contains(a.Text, "may ") || strings.Contains(a.Text, "reportedly") {
			hedged++
		}
		if strings.Contains(a.Text, "would not") || strings.Contains(a.Text, "did not rule out") {
			negated++
		}
	}
	if esc < 500 || deesc < 500 || hedged < 300 || negated < 300 {
		t.Fatalf("weak cue mix: escalation %d, de-escalation %d, hedged %d, negated %d", esc, deesc, hedged, negated)
	}
}

func TestLive(t *testing.T) {
	g := NewLive(5)
	fixed := time.Date(2025, 5, 12, 8, 30, 15, 123, time.UTC)
	g.now = func() time.Time { return fixed }
	a := g.Next()
	if !a.PublishedAt.Equal(fixed.Truncate(time.Second)) {
		t.Fatalf("live published_at = %v, want %v", a.PublishedAt, fixed)
	}
	b := NewLive(5)
	b.now = g.now
	if b.Next().URL != a.URL {
		t.Fatal("live URLs not deterministic for a seed")
	}
}

func TestJSONShape(t *testing.T) {
	a := New(1, t0, t1).Next()
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "url", "source", "title", "text", "published_at"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing JSON field %q in %s", k, raw)
		}
	}
	if len(m) != 6 {
		t.Errorf("unexpected fields in %s", raw)
	}
	if _, err := time.Parse(time.RFC3339, m["published_at"].(string)); err != nil {
		t.Error(err)
	}
}

func BenchmarkNext(b *testing.B) {
	g := New(1, t0, t1)
	var bytes int64
	b.ReportAllocs()
	for b.Loop() {
		a := g.Next()
		bytes += int64(len(a.Text) + len(a.Title) + len(a.URL))
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/sec, "articles/s")
	b.ReportMetric(float64(bytes)/sec/1e6, "MB/s")
}

func BenchmarkNextJSON(b *testing.B) {
	g := New(1, t0, t1)
	var bytes int64
	for b.Loop() {
		raw, _ := json.Marshal(g.Next())
		bytes += int64(len(raw) + 1)
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/sec, "articles/s")
	b.ReportMetric(float64(bytes)/sec/1e6, "MB/s")
}
