package feed

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/golden"
)

var update = flag.Bool("update", false, "rewrite the .golden files")

var base, _ = url.Parse("https://feeds.test/dir/feed.xml")

// TestParseGolden parses every testdata/*.xml (project-written feeds: RSS,
// Atom, RDF, GB2312, broken XML, a page that is not a feed) and compares
// the result or the error with the .golden file beside it. Refresh with
// `go test ./internal/feed -run Golden -update`.
func TestParseGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			in, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			f, err := Parse(in, base, Options{})
			if err != nil {
				got, _ = json.MarshalIndent(map[string]string{"error": err.Error()}, "", "  ")
			} else {
				got, _ = json.MarshalIndent(f, "", "  ")
			}
			got = append(got, '\n')
			golden.Check(t, strings.TrimSuffix(path, ".xml")+".golden", got, *update)
		})
	}
}

// The cases the golden files show, asserted one by one so that a careless
// -update cannot bless a regression.
func TestParseRSS(t *testing.T) {
	f := parseFile(t, "rss.xml")
	if f.Format != "rss" || f.Lang != "en-us" || f.Title != "Harborline Times – Trade" || len(f.Items) != 4 {
		t.Fatalf("feed = %+v", f)
	}
	it := f.Items[0]
	if it.Link != "https://harborline.test/2025/04/10/port-fees?utm_source=rss&utm_medium=feed" {
		t.Errorf("link = %q: RSS <link>, not atom:link", it.Link)
	}
	if it.Title != "Ministry announces port fee review" {
		t.Errorf("title = %q: RSS <title>, not media:title", it.Title)
	}
	if !it.Published.Equal(time.Date(2025, 4, 10, 0, 30, 0, 0, time.UTC)) || it.Content != "" || it.Summary != "<p>The ministry said on Thursday it would review&nbsp;fees&hellip;</p>" {
		t.Errorf("item 0 = %+v", it)
	}
	if it.Key() != "g:harborline-2025-0410-ports" {
		t.Errorf("key = %q", it.Key())
	}
	if it := f.Items[1]; it.Link != "https://feeds.test/2025/04/09/full-text" || !strings.Contains(it.Content, "Second paragraph") ||
		!it.Published.Equal(time.Date(2025, 4, 9, 23, 5, 0, 0, time.UTC)) {
		t.Errorf("item 1 = %+v: relative link resolved against the feed URL, content:encoded, GMT", it)
	}
	if it := f.Items[2]; it.Link != "https://harborline.test/2025/04/08/guid-only" || !it.Published.Equal(time.Date(2025, 4, 8, 14, 0, 0, 0, time.UTC)) ||
		it.Summary != "Text & more é" {
		t.Errorf("item 2 = %+v: permalink guid as link, dc:date, entities", it)
	}
	if it := f.Items[3]; !it.Published.IsZero() || len(it.BadDates) != 1 {
		t.Errorf("item 3 = %+v: an unreadable date is no date, and reported", it)
	}
}

func TestParseAtom(t *testing.T) {
	f := parseFile(t, "atom.xml")
	if f.Format != "atom" || f.Lang != "zh-Hans" || f.Title != "Eastbridge &lt;Post&gt;" || len(f.Items) != 3 {
		t.Fatalf("feed = %+v", f)
	}
	it := f.Items[0]
	if it.Link != "https://eastbridge.test/news/2025/04/11/mofcom-response.html" || it.Title != "商务部回应关税措施" ||
		!it.Published.Equal(time.Date(2025, 4, 11, 1, 15, 0, 0, time.UTC)) || it.Content != "" || it.Summary == "" {
		t.Errorf("entry 0 = %+v: alternate link against xml:base, published", it)
	}
	it = f.Items[1]
	if it.Link != "https://eastbridge.test/world/talks.html" || it.ContentType != "xhtml" || !strings.Contains(it.Content, "<b>met</b>") ||
		!it.Published.IsZero() || it.Updated.IsZero() {
		t.Errorf("entry 1 = %+v: nested xml:base, xhtml content, updated only", it)
	}
	if it := f.Items[2]; it.Content != "<p>Paragraph one.</p>" || it.ContentType != "html" {
		t.Errorf("entry 2 = %+v: escaped html content", it)
	}
}

func TestParseCharsetAndErrors(t *testing.T) {
	f := parseFile(t, "gb2312.xml")
	if f.Title != "东桥邮报" || f.Items[0].Title != "贸易谈判重启" || f.Items[0].Summary != "双方同意恢复磋商。" {
		t.Fatalf("GB2312 feed = %+v", f)
	}
	in, _ := os.ReadFile(filepath.Join("testdata", "broken.xml"))
	_, err := Parse(in, base, Options{})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 8 {
		t.Fatalf("broken.xml: %v, want a *SyntaxError at line 8", err)
	}
	in, _ = os.ReadFile(filepath.Join("testdata", "html.xml"))
	if _, err := Parse(in, base, Options{}); !errors.Is(err, ErrNotFeed) {
		t.Fatalf("html.xml: %v, want ErrNotFeed", err)
	}
	for _, in := range []string{"", "   ", "not xml at all", "<rss><channel><item>", `<?xml version="1.0" encoding="klingon"?><rss/>`} {
		if _, err := Parse([]byte(in), base, Options{}); err == nil {
			t.Errorf("Parse(%q) succeeded", in)
		}
	}
}

func TestParseMaxItems(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel>`)
	for i := range 50 {
		fmt.Fprintf(&b, "<item><link>https://a.test/%d</link></item>", i)
	}
	b.WriteString(`</channel></rss>`)
	f, err := Parse([]byte(b.String()), base, Options{MaxItems: 20})
	if err != nil || len(f.Items) != 20 || f.Truncated != 30 || f.Items[19].Link != "https://a.test/19" {
		t.Fatalf("got %d items, %d truncated, %v", len(f.Items), f.Truncated, err)
	}
}

// Entities are not expanded beyond XML's and HTML's named ones: a document
// declaring its own (the billion laughs) is refused, not expanded.
func TestParseRefusesDeclaredEntities(t *testing.T) {
	in := `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>` +
		`<rss><channel><item><title>&b;</title></item></channel></rss>`
	if _, err := Parse([]byte(in), base, Options{}); err == nil {
		t.Fatal("a declared entity was expanded")
	}
}

func TestParseDate(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Thu, 10 Apr 2025 08:30:00 +0800", utc(2025, 4, 10, 0, 30, 0)},
		{"Thu, 10 Apr 2025 08:30:00 GMT", utc(2025, 4, 10, 8, 30, 0)},
		{"10 Apr 2025 08:30:00 EDT", utc(2025, 4, 10, 12, 30, 0)},
		{"Thursday, 10 April 2025 08:30:00 +0000", utc(2025, 4, 10, 8, 30, 0)},
		{"Thu, 10 Apr 25 08:30 +0100", utc(2025, 4, 10, 7, 30, 0)},
		{"Thu, 3 Apr 2025 08:30:00 -04:00", utc(2025, 4, 3, 12, 30, 0)},
		{"Thu,  3 Apr 2025 08:30:00 +0000 (UTC)", utc(2025, 4, 3, 8, 30, 0)},
		{"Thu, 03 Apr 2025 08:30:00", utc(2025, 4, 3, 8, 30, 0)},
		{"Mon, 07 Apr 2025 08:30:00 Z", utc(2025, 4, 7, 8, 30, 0)},
		{"07 Apr 2025", utc(2025, 4, 7, 0, 0, 0)},
		{"2025-04-10T08:30:00Z", utc(2025, 4, 10, 8, 30, 0)},
		{"2025-04-10T08:30:00.123+08:00", time.Date(2025, 4, 10, 0, 30, 0, 123e6, time.UTC)},
		{"2025-04-10t08:30:00z", utc(2025, 4, 10, 8, 30, 0)},
		{"2025-04-10T08:30+08:00", utc(2025, 4, 10, 0, 30, 0)},
		{"2025-04-10T08:30:00", utc(2025, 4, 10, 8, 30, 0)},
		{"2025-04-10 08:30:00 +0200", utc(2025, 4, 10, 6, 30, 0)},
		{"2025-04-10", utc(2025, 4, 10, 0, 0, 0)},
		{" Apr 10 2025 08:30:00 +0000 ", utc(2025, 4, 10, 8, 30, 0)},
	}
	for _, tt := range tests {
		got, ok := ParseDate(tt.in)
		if !ok || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseDate(%q) = %s, %v; want %s", tt.in, got, ok, tt.want)
		}
	}
	for _, in := range []string{"", "yesterday", "Thu, 10 Apr 2025 08:30:00 IST", "2025-13-01", "32 Apr 2025", "Thu, 10 Apr 2025 25:00:00 +0000", strings.Repeat("1", 100)} {
		if got, ok := ParseDate(in); ok {
			t.Errorf("ParseDate(%q) = %s, want no date", in, got)
		}
	}
}

func parseFile(t *testing.T, name string) *Feed {
	t.Helper()
	in, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(in, base, Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	for _, p := range files {
		if in, err := os.ReadFile(p); err == nil {
			f.Add(in)
		}
	}
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom" xml:base="javascript:x"><entry><link href="//h/p"/></entry></feed>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		fd, err := Parse(in, base, Options{MaxItems: 5})
		if err != nil {
			return
		}
		if len(fd.Items) > 5 {
			t.Fatalf("%d items kept, cap 5", len(fd.Items))
		}
		for _, it := range fd.Items {
			if it.Link != "" {
				u, err := url.Parse(it.Link)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					t.Fatalf("link %q is not an absolute http(s) URL", it.Link)
				}
			}
			for _, d := range []time.Time{it.Published, it.Updated} {
				if !d.IsZero() && d.Location() != time.UTC {
					t.Fatalf("date %s not in UTC", d)
				}
			}
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"Thu, 10 Apr 2025 08:30:00 +0800", "2025-04-10T08:30:00Z", "10 Apr 25 08:30 EST", "2025-04-10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseDate(s)
		if ok && got.Location() != time.UTC {
			t.Fatalf("ParseDate(%q) = %s, not UTC", s, got)
		}
		if !ok && !got.IsZero() {
			t.Fatalf("ParseDate(%q) failed but returned %s", s, got)
		}
	})
}

// BenchmarkParse parses an RSS document of 500 items with HTML summaries.
func BenchmarkParse(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Bench</title>`)
	for i := range 500 {
		fmt.Fprintf(&sb, `<item><title>Tariffs rise again, item %d</title><link>https://bench.test/%d</link><guid>%d</guid>`+
			`<pubDate>Thu, 10 Apr 2025 08:30:00 +0800</pubDate><description><![CDATA[<p>%s</p>]]></description></item>`,
			i, i, i, strings.Repeat("Officials said the talks would resume next week. ", 10))
	}
	sb.WriteString(`</channel></rss>`)
	doc := []byte(sb.String())
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := Parse(doc, base, Options{})
		if err != nil || len(f.Items) != 500 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkParseHostile parses 8 MiB documents (the default cap) built to
// cost the most: 2.8 million nested elements, 1.4 million attributes on
// one element, 280,000 tiny items. B/op (all bytes allocated) bounds the
// memory one parse holds; the follower runs at most GOMAXPROCS at once.
func BenchmarkParseHostile(b *testing.B) {
	const size = 8 << 20
	for _, c := range []struct{ name, head, unit, tail string }{
		{"nested", `<rss><channel><item><title>`, `<a>`, ``},
		{"attributes", `<rss><channel><item a0="1" `, `x=""`, `/>`},
		{"items", `<rss><channel>`, `<item><title>x</title></item>`, `</channel></rss>`},
	} {
		doc := []byte(c.head + strings.Repeat(c.unit, (size-len(c.head)-len(c.tail))/len(c.unit)) + c.tail)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Parse(doc, base, Options{})
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/doc")
		})
	}
}
