package synth

import (
	"encoding/json"
	"math/rand/v2"
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

// TestAppendJSONIsEncoder: AppendJSON writes the bytes encoding/json's
// Encoder writes with HTML escaping off, for generated articles and for
// fields no generator makes (escapes, HTML, invalid UTF-8, U+2028, zones,
// nanoseconds), and refuses what it refuses.
func TestAppendJSONIsEncoder(t *testing.T) {
	encode := func(a *Article) (string, error) {
		var buf strings.Builder
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		err := enc.Encode(a)
		return strings.TrimSuffix(buf.String(), "\n"), err
	}
	arts := []Article{
		{},
		{ID: "a\"b\\c", URL: "https://x.test/?a=1&b=<2>", Source: "s\u2028t\u2029", Title: "tab\there\nnew\x01\x7f",
			Text: "bad \xff\xfe utf8 \xe2\x82 end", PublishedAt: time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.FixedZone("x", -5*3600-30*60))},
		{ID: "日本語", Text: "emoji 🙂 and é", PublishedAt: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, g := range []*Generator{New(5, t0, t1), NewLive(6)} {
		for range 3000 {
			arts = append(arts, g.Next())
		}
	}
	for i := range arts {
		want, err := encode(&arts[i])
		if err != nil {
			t.Fatal(err)
		}
		got, err := arts[i].AppendJSON(nil)
		if err != nil || string(got) != want {
			t.Fatalf("article %d:\n got %s (%v)\nwant %s", i, got, err, want)
		}
	}
	late := Article{PublishedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := encode(&late); err == nil {
		t.Fatal("encoding/json took a year past 9999")
	}
	if _, err := late.AppendJSON(nil); err == nil {
		t.Error("AppendJSON took a year past 9999")
	}
}

// replacerOf is the strings.Replacer the generator built for every story
// before placeholders.expand.
func replacerOf(p *placeholders) *strings.Replacer {
	return strings.NewReplacer("{T}", p.target, "{Tj}", p.targetAdj, "{S}", p.actor,
		"{G}", p.goods, "{P}", p.percent, "{N}", p.number, "{X}", p.tech)
}

var testPlaceholders = placeholders{target: "China", targetAdj: "Chinese", actor: "US",
	goods: "steel {T}", percent: "25", number: "}{", tech: "chips"}

// TestExpandIsReplacer: expand gives what the replacer gave, on strings
// made of the placeholders' pieces, braces and text.
func TestExpandIsReplacer(t *testing.T) {
	rep := replacerOf(&testPlaceholders)
	pieces := []string{"{", "}", "T", "Tj", "j", "S", "G", "P", "N", "X", "{T}", "{Tj}", "{X}", "a", " ", "é"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20_000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := testPlaceholders.expand(s), rep.Replace(s); got != want {
			t.Fatalf("expand(%q) = %q, the replacer gave %q", s, got, want)
		}
	}
}

func FuzzExpandIsReplacer(f *testing.F) {
	for _, c := range cues {
		f.Add(c.past)
		f.Add(c.title)
	}
	f.Add("{{T}}{Tj{X}")
	rep := replacerOf(&testPlaceholders)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := testPlaceholders.expand(s), rep.Replace(s); got != want {
			t.Fatalf("expand(%q) = %q, the replacer gave %q", s, got, want)
		}
	})
}

// TestSlugifyIsLowerFirst: slugify lower-cases rune by rune as
// strings.ToLower did before it (the Kelvin sign, dotted I, invalid UTF-8).
func TestSlugifyIsLowerFirst(t *testing.T) {
	old := func(s string, max int) string {
		var b strings.Builder
		dash := false
		for _, c := range strings.ToLower(s) {
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
				b.WriteRune(c)
				dash = false
			default:
				if !dash && b.Len() > 0 {
					b.WriteByte('-')
					dash = true
				}
			}
			if b.Len() >= max {
				break
			}
		}
		return strings.Trim(b.String(), "-")
	}
	for _, s := range []string{"", "US Raises Tariffs", "\u212Aelvin İstanbul", "bad \xff utf8", "--a--", "Ünïcödé 2025 ÀÉ", strings.Repeat("Word ", 40)} {
		for _, max := range []int{1, 5, 60} {
			if got, want := slugify(s, max), old(s, max); got != want {
				t.Errorf("slugify(%q, %d) = %q, want %q", s, max, got, want)
			}
		}
	}
}
