package page

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func extractFile(t *testing.T, name, contentType, pageURL string) (*Page, error) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(pageURL)
	return Extract(body, contentType, u)
}

func TestExtractEnglish(t *testing.T) {
	p, err := extractFile(t, "article-en.html", "text/html; charset=utf-8", "https://harborline.test/2025/04/10/port-fees?utm_source=rss")
	if err != nil {
		t.Fatal(err)
	}
	if p.Canonical != "https://harborline.test/2025/04/10/port-fees" {
		t.Errorf("canonical = %q (relative href resolved against the page)", p.Canonical)
	}
	if p.Lang != "en-GB" {
		t.Errorf("lang = %q", p.Lang)
	}
	if !p.Published.Equal(time.Date(2025, 4, 10, 0, 30, 0, 0, time.UTC)) {
		t.Errorf("published = %s (JSON-LD datePublished)", p.Published)
	}
	if p.Title != "Ministry announces port fee review" {
		t.Errorf("title = %q", p.Title)
	}
	for _, want := range []string{"review the fees charged to foreign cargo ships", "all options", "negotiation before the American fees"} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, p.Text)
		}
	}
	for _, junk := range []string{"Home", "All rights reserved", "Other story"} {
		if strings.Contains(p.Text, junk) {
			t.Errorf("text keeps page furniture %q:\n%s", junk, p.Text)
		}
	}
}

func TestExtractChinese(t *testing.T) {
	p, err := extractFile(t, "article-zh.html", "text/html", "https://eastbridge.test/news/2025/04/11/mofcom-response.html")
	if err != nil {
		t.Fatal(err)
	}
	if p.Lang != "zh-CN" || !strings.Contains(p.Text, "贸易战没有赢家") || strings.Contains(p.Text, "版权所有") {
		t.Errorf("page = %+v", p)
	}
	if !p.Published.Equal(time.Date(2025, 4, 11, 1, 15, 0, 0, time.UTC)) {
		t.Errorf("published = %s (article:published_time)", p.Published)
	}
	if p.Canonical != "https://eastbridge.test/news/2025/04/11/mofcom-response.html?utm_source=feed" {
		t.Errorf("canonical = %q", p.Canonical)
	}

	// GBK, declared in a <meta> only: decoded, language from content-language.
	p, err = extractFile(t, "article-gbk.html", "text/html", "https://eastbridge.test/gb/1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Text, "双方同意在下月恢复正式磋商") || p.Lang != "zh-CN" || p.Title != "双方同意恢复磋商" {
		t.Errorf("GBK page = %+v", p)
	}
}

func TestExtractUndatedAndLimits(t *testing.T) {
	p, err := extractFile(t, "undated.html", "text/html", "https://capital-wire.test/markets")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Published.IsZero() || p.Canonical != "" || p.Lang != "" || !strings.Contains(p.Text, "Stocks fell for a third day") {
		t.Errorf("page = %+v", p)
	}
	if _, err := extractFile(t, "deep.html", "text/html", "https://x.test/"); !errors.Is(err, ErrTooComplex) {
		t.Errorf("deep page: %v, want ErrTooComplex", err)
	}
	u, _ := url.Parse("https://x.test/")
	if _, err := Extract([]byte("<html><body><nav></nav></body></html>"), "text/html", u); !errors.Is(err, ErrNotArticle) {
		t.Errorf("empty page: %v, want ErrNotArticle", err)
	}
	if _, err := Extract([]byte(strings.Repeat("<p>x</p>", MaxElements+10)), "text/html", u); !errors.Is(err, ErrTooComplex) {
		t.Errorf("page with too many elements: %v", err)
	}
	// 4 MiB of tags the parser would multiply into a 450 MB tree (implied
	// formatting elements) are refused by counting them, before the tree.
	for name, body := range map[string]string{"tags": strings.Repeat("<p><i>", (4<<20)/6), "comments": strings.Repeat("<!---->", (4<<20)/7) + "<p>x</p>"} {
		_, err := Extract([]byte(body), "text/html", u)
		if !errors.Is(err, ErrTooComplex) || !strings.Contains(err.Error(), "tags and comments") {
			t.Errorf("4 MiB of %s: %v, want refused before parsing", name, err)
		}
	}
	// A page at the limit is still extracted (a tag is counted once).
	body := "<html><body><article>" + strings.Repeat("<p>Tariff talks resumed.</p>", MaxElements-10) + "</article></body></html>"
	if n := startTags([]byte(body)); n != MaxElements-10+3 {
		t.Errorf("startTags = %d, want %d", n, MaxElements-10+3)
	}
}

func TestNormalizeLang(t *testing.T) {
	for in, want := range map[string]string{
		"en": "en", "EN-us": "en-us", "zh_CN": "zh-CN", " zh-Hans ": "zh-Hans", "x-default": "", "english": "", "": "", "en-": "en",
	} {
		if got := NormalizeLang(in); got != want {
			t.Errorf("NormalizeLang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"Plain  text\n\n\n\nsecond":                             "Plain text\n\nsecond",
		"<p>The ministry said&nbsp;it would review&hellip;</p>": "The ministry said it would review…",
		"A &amp; B &lt;C&gt;":                                   "A & B <C>",
		"<p>One</p><p>Two<br>Three</p>":                         "One\n\nTwo\nThree",
		"<script>alert(1)</script><style>p{}</style>Text":       "Text",
		"a < b and c > d":                                       "a < b and c > d",
		"<b>unclosed <i>tags":                                   "unclosed tags",
		"":                                                      "",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
	deep := strings.Repeat("<div>", 100000) + "x" + strings.Repeat("</div>", 100000)
	if got := Text(deep); got != "x" {
		t.Errorf("deep: %q", got)
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"<p>a</p>", "&amp;&#x4e2d;", "<script>x", "a<b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Text(s)
		if strings.Contains(got, "\n\n\n") || strings.HasPrefix(got, " ") || len(got) > 4*len(s)+16 {
			t.Fatalf("Text(%q) = %q", s, got)
		}
	})
}

func FuzzExtract(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.html"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 8<<10 {
			f.Add(b)
		}
	}
	u, _ := url.Parse("https://x.test/a/b")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Extract(b, "text/html", u)
		if err != nil && !errors.Is(err, ErrNotArticle) && !errors.Is(err, ErrTooComplex) {
			return
		}
		if p == nil {
			return
		}
		if p.Canonical != "" {
			cu, err := url.Parse(p.Canonical)
			if err != nil || (cu.Scheme != "http" && cu.Scheme != "https") || cu.Host == "" {
				t.Fatalf("canonical %q", p.Canonical)
			}
		}
		if p.Lang != "" && NormalizeLang(p.Lang) != p.Lang {
			t.Fatalf("lang %q", p.Lang)
		}
	})
}

// BenchmarkExtract extracts the sample English article page.
func BenchmarkExtract(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "article-en.html"))
	if err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse("https://harborline.test/2025/04/10/port-fees")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Extract(body, "text/html; charset=utf-8", u); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkExtractAtTheLimits is the worst page Extract accepts: 50,000
// elements, about 3 s; what bounds the time one page can take.
func BenchmarkExtractAtTheLimits(b *testing.B) {
	body := []byte("<html><body>" + strings.Repeat("<div>", 120) + strings.Repeat("<p>text, text.</p>", MaxElements-130) + "</body></html>")
	u, _ := url.Parse("https://x.test/")
	for b.Loop() {
		if _, err := Extract(body, "text/html", u); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/page")
}

// BenchmarkExtractHostile extracts 4 MiB pages (the default cap) the tag
// count lets through: one text node, and 50,000 comments around a
// paragraph. B/op bounds the memory one extraction holds.
func BenchmarkExtractHostile(b *testing.B) {
	u, _ := url.Parse("https://x.test/")
	for name, body := range map[string][]byte{
		"text":     []byte("<html><body><p>" + strings.Repeat("tariff talks ", (4<<20)/13)),
		"comments": []byte("<html><body>" + strings.Repeat("<!--"+strings.Repeat("x", 76)+"-->", MaxElements-10) + "<p>Tariff talks resumed.</p>"),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Extract(body, "text/html", u)
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/page")
		})
	}
}
