package event

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestArticleIDStable(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"identical", "https://example.com/a", "https://example.com/a", true},
		{"host case and fragment", "HTTPS://Example.COM/a#top", "https://example.com/a", true},
		{"tracking params", "https://example.com/a?utm_source=x&id=2", "https://example.com/a?id=2", true},
		{"query order", "https://example.com/a?b=1&a=2", "https://example.com/a?a=2&b=1", true},
		{"different path", "https://example.com/a", "https://example.com/b", false},
		{"path case matters", "https://example.com/A", "https://example.com/a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ArticleID(tt.a, "x") == ArticleID(tt.b, "y")
			if got != tt.same {
				t.Fatalf("ArticleID(%q)==ArticleID(%q) = %v, want %v", tt.a, tt.b, got, tt.same)
			}
		})
	}
}

func TestArticleIDWithoutURLUsesText(t *testing.T) {
	if ArticleID("", "one") == ArticleID("", "two") {
		t.Fatal("different texts without URL got the same id")
	}
	if ArticleID("", "one") != ArticleID("", "one") {
		t.Fatal("same text without URL got different ids")
	}
	if ArticleID("not a url", "one") != ArticleID("", "one") {
		t.Fatal("an unparsable URL should fall back to the text hash")
	}
}

// TestCanonicalURLMerges: variants of one page get one id.
func TestCanonicalURLMerges(t *testing.T) {
	tests := []struct {
		name string
		urls []string
		want string
	}{
		{"scheme and host case", []string{"HTTPS://Example.COM/a", "https://EXAMPLE.com/a"}, "https://example.com/a"},
		{"http and https", []string{"http://example.com/a", "https://example.com/a"}, "https://example.com/a"},
		{"default port of the scheme", []string{"http://example.com:80/a", "https://example.com:443/a", "https://example.com/a"}, "https://example.com/a"},
		{"trailing slash", []string{"https://example.com/a/", "https://example.com/a", "https://example.com/a//"}, "https://example.com/a"},
		{"root", []string{"https://example.com", "https://example.com/", "http://example.com:80/"}, "https://example.com/"},
		{"escape case", []string{"https://example.com/%e4%b8%ad", "https://example.com/%E4%B8%AD", "https://example.com/中"}, "https://example.com/%E4%B8%AD"},
		{"escapes of unreserved characters", []string{"https://example.com/%7Euser/%61", "https://example.com/~user/a"}, "https://example.com/~user/a"},
		{"reserved escape case", []string{"https://example.com/a%2fb", "https://example.com/a%2Fb"}, "https://example.com/a%2Fb"},
		{"tracking parameters", []string{"https://example.com/a?id=2&utm_source=x&UTM_Medium=y&fbclid=1&gclid=2&msclkid=3&mc_eid=4", "https://example.com/a?id=2"}, "https://example.com/a?id=2"},
		{"only tracking parameters", []string{"https://example.com/a?utm_source=x", "https://example.com/a"}, "https://example.com/a"},
		{"query order, values of a key in order", []string{"https://example.com/a?b=1&a=2&b=0", "https://example.com/a?a=2&b=1&b=0"}, "https://example.com/a?a=2&b=1&b=0"},
		{"empty pairs", []string{"https://example.com/a?x=1&&y=2&", "https://example.com/a?x=1&y=2"}, "https://example.com/a?x=1&y=2"},
		{"space as + or %20", []string{"https://example.com/s?q=a+b", "https://example.com/s?q=a%20b"}, "https://example.com/s?q=a+b"},
		{"plain fragments", []string{"https://example.com/a#comments", "https://example.com/a#", "https://example.com/a"}, "https://example.com/a"},
		{"spaces around", []string{"  https://example.com/a \n"}, "https://example.com/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, u := range tt.urls {
				if got := CanonicalURL(u); got != tt.want {
					t.Fatalf("CanonicalURL(%q) = %q, want %q", u, got, tt.want)
				}
			}
		})
	}
}

// TestCanonicalURLNeverMerges: URLs that can name different pages get
// different ids.
func TestCanonicalURLNeverMerges(t *testing.T) {
	tests := []struct {
		name string
		urls []string
	}{
		{"query pairs with ;", []string{"https://example.com/a?id=1;x=2", "https://example.com/a?id=2;x=3", "https://example.com/a", "https://example.com/a?id=1"}},
		{"malformed escapes in the query", []string{"https://example.com/a?q=%zz", "https://example.com/a?q=%yy", "https://example.com/a?q=%2", "https://example.com/a"}},
		{"single-page routes", []string{"https://example.com/#/world/1", "https://example.com/#/world/2", "https://example.com/#!/world/1", "https://example.com/"}},
		{"https on port 80", []string{"https://example.com:80/a", "https://example.com/a"}},
		{"http on port 443", []string{"http://example.com:443/a", "https://example.com/a"}},
		{"other ports", []string{"https://example.com:8443/a", "https://example.com/a", "https://example.com:8080/a"}},
		{"path case", []string{"https://example.com/A", "https://example.com/a"}},
		{"an escaped slash is not a slash", []string{"https://example.com/a%2Fb", "https://example.com/a/b"}},
		{"query values", []string{"https://example.com/a?id=1", "https://example.com/a?id=2", "https://example.com/a?id=1&id=2", "https://example.com/a?id=2&id=1"}},
		{"an escaped & is not a separator", []string{"https://example.com/a?q=x%26y=1", "https://example.com/a?q=x&y=1"}},
		{"www is another host", []string{"https://www.example.com/a", "https://example.com/a"}},
		{"a ; pair and its decoded look-alike", []string{"https://example.com/a?k=a;b", "https://example.com/a?k=a%3Bb"}},
		{"user info", []string{"https://bob@example.com/a", "https://example.com/a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]string{}
			for _, u := range tt.urls {
				c := CanonicalURL(u)
				if c == "" {
					t.Fatalf("CanonicalURL(%q) is empty", u)
				}
				if prev, dup := seen[c]; dup {
					t.Fatalf("%q and %q merge into %q", prev, u, c)
				}
				seen[c] = u
			}
		})
	}
}

// TestCanonicalURLKeepsOrdinaryIDs is the migration check: an ordinary URL
// — https, no trailing slash, no ";" or malformed escapes, no route
// fragment — keeps the canonical form, and so the article id, it had
// before. docs/ids.md lists what changes for the others.
func TestCanonicalURLKeepsOrdinaryIDs(t *testing.T) {
	urls := []string{
		"https://example.com/a",
		"https://www.reuters.com/world/china/china-hits-back-at-us-tariffs-2025-04-04",
		"https://apnews.com/article/china-tariffs-trump-xi-8c1d2b3e4f",
		"HTTPS://News.Example.COM/2019/05/10/trade-talks?utm_source=feed&utm_medium=rss",
		"https://example.com/story?id=42&page=2",
		"https://example.com/story?page=2&id=42#comments",
		"https://example.com/search?q=trade+war&lang=en",
		"https://example.com/search?q=trade%20war",
		"https://example.com/a?fbclid=xyz&gclid=1&x=1",
		"https://example.com/%E4%B8%AD%E5%9B%BD/news",
		"https://example.com/中国/news",
		"https://example.com:8443/a",
		"https://example.com",
		"https://example.com/a.html?ref=home",
		"https://example.com/a?k",
		"https://[2001:db8::1]/a",
	}
	f, err := os.Open("../../samples/articles.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var a struct{ URL string }
		if json.Unmarshal(sc.Bytes(), &a) == nil && a.URL != "" {
			urls = append(urls, a.URL)
		}
	}
	if len(urls) < 100 {
		t.Fatalf("only %d URLs: samples/articles.jsonl missing?", len(urls))
	}
	for _, u := range urls {
		if got, old := CanonicalURL(u), legacyCanonicalURL(u); got != old {
			t.Errorf("the id of ordinary URL %q changes: canonical %q, before %q", u, got, old)
		}
	}
}

// TestCanonicalURLChanges pins down what does change against the old rules
// (the list in docs/ids.md), so a new rule cannot move ids unnoticed.
func TestCanonicalURLChanges(t *testing.T) {
	tests := []struct{ url, now, before string }{
		{"http://example.com/a", "https://example.com/a", "http://example.com/a"},
		{"https://example.com/a/", "https://example.com/a", "https://example.com/a/"},
		{"https://example.com/a%2fb", "https://example.com/a%2Fb", "https://example.com/a%2fb"},
		{"https://example.com/%7Euser", "https://example.com/~user", "https://example.com/%7Euser"},
		{"https://example.com/a?id=1;x=2", "https://example.com/a?id=1;x=2", "https://example.com/a"},
		{"https://example.com/a?q=%zz&x=1", "https://example.com/a?q=%zz&x=1", "https://example.com/a?x=1"},
		{"https://example.com/#/world/1", "https://example.com/#/world/1", "https://example.com/"},
		{"https://example.com:80/a", "https://example.com:80/a", "https://example.com/a"},
		{"https://example.com/a?msclkid=1", "https://example.com/a", "https://example.com/a?msclkid=1"},
		{"https://example.com/a?", "https://example.com/a", "https://example.com/a?"},
	}
	for _, tt := range tests {
		if got, old := CanonicalURL(tt.url), legacyCanonicalURL(tt.url); got != tt.now || old != tt.before {
			t.Errorf("%q: canonical %q (want %q), before %q (want %q)", tt.url, got, tt.now, old, tt.before)
		}
	}
}

func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{"https://example.com/a?id=1;x=2#/r", "HTTP://Ex.com:80/%7e/a/?q=%zz&&utm_x=1", "https://[::1]:443/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c := CanonicalURL(raw)
		if c == "" {
			return
		}
		// Canonical is a fixed point: canonicalising again changes nothing.
		if again := CanonicalURL(c); again != c {
			t.Fatalf("CanonicalURL(%q) = %q, but CanonicalURL(%q) = %q", raw, c, c, again)
		}
		if l := strings.ToLower(strings.TrimSpace(raw)); (strings.HasPrefix(l, "http:") || strings.HasPrefix(l, "https:")) && !strings.HasPrefix(c, "https://") {
			t.Fatalf("CanonicalURL(%q) = %q", raw, c)
		}
	})
}

func TestLegacyArticleID(t *testing.T) {
	tests := []struct {
		url       string
		wantAlias bool
	}{
		{"https://example.com/a", false},          // the id did not change
		{"http://example.com/a", true},            // now the https form
		{"https://example.com/a/", true},          // trailing slash
		{"https://example.com/a?msclkid=1", true}, // a tracking parameter added since
		{"https://example.com/a%2fb", true},       // escape case
		{"https://example.com/a?id=1;x=2", false}, // the old rules merged it with /a
		{"https://example.com/a?q=%zz", false},    // same
		{"https://example.com/#/world/1", false},  // same
		{"https://example.com:80/a", false},       // the old rules merged it with :443
		{"http://example.com/a/?id=1;x=2", false}, // merged before: no alias even with other changes
	}
	for _, tt := range tests {
		alias := LegacyArticleID(tt.url)
		if (alias != "") != tt.wantAlias {
			t.Errorf("LegacyArticleID(%q) = %q, want an alias: %v", tt.url, alias, tt.wantAlias)
		}
		if alias != "" && alias == ArticleID(tt.url, "") {
			t.Errorf("LegacyArticleID(%q) is the new id", tt.url)
		}
	}
	// The alias of an http URL is the id it was given before.
	if got, want := LegacyArticleID("http://example.com/a"), "0b1bdb7c-175b-500f-9de8-79a1c86ba9b6"; got != want {
		t.Errorf("alias = %s, want %s (the id before the change)", got, want)
	}
}

// plainURLCases are URLs on both sides of plainCanonicalURL's limits.
var plainURLCases = []string{
	"https://example.com/a", "https://example.com", "https://example.com/", "https://example.com//",
	"http://example.com", "http://example.com/a/b/", "https://example.com/a//", "https://a/b",
	"https://example-news.test/2018/03/22/us-section-301-memo-china", "https://x.y/a~b_c.d-e",
	"https://Example.com/a", "HTTPS://example.com/a", "https://example.com:443/a", "https://example.com:8080/a",
	"https://user@example.com/a", "https://example.com/a?x=1", "https://example.com/a#top", "https://example.com/a#/r",
	"https://example.com/%7Ea", "https://example.com/a b", " https://example.com/a", "https://example.com/a\n",
	"https:///a", "https://", "http://", "https://-/", "https://../", "https://1.2.3.4/a", "https://.", "https://a..b/",
	"https://example.com/a;b", "https://example.com/a*", "https://example.com/A/", "ftp://example.com/a",
	"https://xn--bcher-kva.example/a", "https://example.com/" + strings.Repeat("a", 300),
}

// TestPlainCanonicalURLSame: the fast path gives what url.Parse's path
// gives, whenever it takes the URL.
func TestPlainCanonicalURLSame(t *testing.T) {
	taken := 0
	for _, raw := range plainURLCases {
		if c, ok := plainCanonicalURL(raw); ok {
			taken++
			if want := parsedCanonicalURL(raw); c != want {
				t.Errorf("plainCanonicalURL(%q) = %q, parsed %q", raw, c, want)
			}
		}
	}
	if taken < 15 {
		t.Errorf("the fast path took %d of the cases, want at least 15", taken)
	}
}

func FuzzPlainCanonicalURLSame(f *testing.F) {
	for _, s := range plainURLCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if c, ok := plainCanonicalURL(raw); ok {
			if want := parsedCanonicalURL(raw); c != want {
				t.Fatalf("plainCanonicalURL(%q) = %q, parsed %q", raw, c, want)
			}
		}
	})
}

// TestNameIDSame: nameID is uuid.NewSHA1's id, on the stack buffer and past it.
func TestNameIDSame(t *testing.T) {
	for _, n := range []int{0, 1, 55, 56, 64, 200, 239, 240, 241, 256, 1000} {
		name := strings.Repeat("x", n)
		if got, want := nameID(name), uuid.NewSHA1(articleNamespace, []byte(name)).String(); got != want {
			t.Errorf("nameID of %d bytes = %s, want %s", n, got, want)
		}
	}
	if got := ArticleID("https://example.com/a", ""); got != uuid.NewSHA1(articleNamespace, []byte("https://example.com/a")).String() {
		t.Errorf("ArticleID = %s", got)
	}
}

// TestArticleIDAllocs: an ordinary article's id costs one allocation (its
// string).
func TestArticleIDAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { ArticleID("https://example.com/2018/03/22/a-b", "text") }); n > 1 {
		t.Errorf("%v allocations per id, want 1", n)
	}
}

// TestLegacyArticleIDFastPathSame: the shortcut for plain URLs already in
// canonical form answers as both rules' forms do, on the plain cases (and
// the same URLs made plain-canonical) and on ones that must alias.
func TestLegacyArticleIDFastPathSame(t *testing.T) {
	cases := append([]string{"https://example.com/a/", "http://example.com/a", "https://Example.com/a",
		"https://example.com", "https://example.com/", "https://example.com/a~b_c.d-e"}, plainURLCases...)
	for _, raw := range cases {
		for _, u := range []string{raw, CanonicalURL(raw)} {
			if got, want := LegacyArticleID(u), parsedLegacyArticleID(u); got != want {
				t.Errorf("LegacyArticleID(%q) = %q, by both rules %q", u, got, want)
			}
		}
	}
	if LegacyArticleID("https://example.com/a/") == "" {
		t.Error("a trailing slash's old id is lost: the case tests nothing")
	}
}

// FuzzLegacyArticleIDFastPathSame compares LegacyArticleID with the rules'
// forms on any string.
func FuzzLegacyArticleIDFastPathSame(f *testing.F) {
	for _, s := range plainURLCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, u := range []string{raw, CanonicalURL(raw)} {
			if got, want := LegacyArticleID(u), parsedLegacyArticleID(u); got != want {
				t.Fatalf("LegacyArticleID(%q) = %q, by both rules %q", u, got, want)
			}
		}
	})
}
