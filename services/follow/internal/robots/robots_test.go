package robots

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

const file = `# robots.txt of a news site
User-agent: *
Disallow: /private/
Disallow: /search
Allow: /private/open/
Crawl-delay: 2

User-agent: BadBot
Disallow: /

User-agent: Googlebot
User-agent: TensionFollower/1.0
Disallow: /drafts/
Allow: /drafts/*.html$
Disallow: /*.pdf$
Disallow: /新闻/内部
Crawl-delay: 0.5
`

func TestOwnGroupWins(t *testing.T) {
	r := Parse([]byte(file), "TensionFollower")
	tests := []struct {
		path string
		want bool
	}{
		{"/private/a", true}, // the * group does not apply: ours exists
		{"/drafts/x", false},
		{"/drafts/x.html", true},      // longer allow
		{"/drafts/x.html?a=1", false}, // $ anchors at the end
		{"/report.pdf", false},
		{"/report.pdf?download=1", true},
		{"/%E6%96%B0%E9%97%BB/%e5%86%85%e9%83%a8/1", false}, // UTF-8 pattern, escaped path, either hex case
		{"/robots.txt", true},
		{"/", true},
	}
	for _, tt := range tests {
		if got := r.Allowed(tt.path); got != tt.want {
			t.Errorf("Allowed(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	if r.CrawlDelay() != 500*time.Millisecond {
		t.Errorf("crawl delay = %v", r.CrawlDelay())
	}
}

func TestStarGroup(t *testing.T) {
	r := Parse([]byte(file), "OtherBot")
	tests := []struct {
		path string
		want bool
	}{
		{"/private/a", false},
		{"/private/open/a", true},
		{"/search?q=x", false},
		{"/searching", false}, // a prefix match
		{"/news/1", true},
	}
	for _, tt := range tests {
		if got := r.Allowed(tt.path); got != tt.want {
			t.Errorf("Allowed(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	if r.CrawlDelay() != 2*time.Second {
		t.Errorf("crawl delay = %v", r.CrawlDelay())
	}
}

func TestEdgeCases(t *testing.T) {
	tests := []struct {
		name, file, path string
		want             bool
	}{
		{"empty file", "", "/a", true},
		{"no group for us", "User-agent: BadBot\nDisallow: /\n", "/a", true},
		{"empty disallow allows", "User-agent: *\nDisallow:\n", "/a", true},
		{"tie: allow wins", "User-agent: *\nDisallow: /a\nAllow: /a\n", "/a", true},
		{"case-insensitive keys and agent", "USER-AGENT: tensionfollower\nDISALLOW: /x\n", "/x/1", false},
		{"rules before any agent are ignored", "Disallow: /\nUser-agent: *\nAllow: /\n", "/a", true},
		{"wildcard in the middle", "User-agent: *\nDisallow: /a*/b\n", "/a/x/y/b/c", false},
		{"wildcard no match", "User-agent: *\nDisallow: /a*/b\n", "/a/x/y/c", true},
		{"CRLF and comments", "User-agent: * # all\r\nDisallow: /p # private\r\n", "/p/1", false},
		{"disallow all", "User-agent: *\nDisallow: /\n", "/anything", false},
		{"robots.txt itself", "User-agent: *\nDisallow: /\n", "/robots.txt", true},
		{"huge crawl delay is capped", "User-agent: *\nCrawl-delay: 86400\n", "/", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Parse([]byte(tt.file), "TensionFollower")
			if got := r.Allowed(tt.path); got != tt.want {
				t.Fatalf("Allowed(%q) = %v, want %v", tt.path, got, tt.want)
			}
			if r.CrawlDelay() > MaxCrawlDelay {
				t.Fatalf("crawl delay %v over the cap", r.CrawlDelay())
			}
		})
	}
	if !AllowAll.Allowed("/x") || DisallowAll.Allowed("/x") || !DisallowAll.Allowed("/robots.txt") {
		t.Fatal("AllowAll / DisallowAll")
	}
}

// Matching stays fast on adversarial patterns (many stars against a long
// path that almost matches).
func TestMatchBounded(t *testing.T) {
	pattern := strings.Repeat("*a", 200) + "b"
	r := Parse([]byte("User-agent: *\nDisallow: /"+pattern+"\n"), "x")
	path := "/" + strings.Repeat("a", 2000)
	start := time.Now()
	if !r.Allowed(path) {
		t.Fatal("matched")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %v", d)
	}
	// A whole file of rules that almost match at every position of a
	// 2,000-byte path: a backtracking matcher took 3.4 s per URL here.
	var b strings.Builder
	b.WriteString("User-agent: *\n")
	rule := "Disallow: /*" + strings.Repeat("a", 1000) + "b\n"
	for b.Len()+len(rule) <= MaxBytes {
		b.WriteString(rule)
	}
	r = Parse([]byte(b.String()), "x")
	start = time.Now()
	if !r.Allowed(path) {
		t.Fatal("matched")
	}
	d := time.Since(start)
	if d > time.Second {
		t.Fatalf("%d rules took %v for one URL", len(r.rules), d)
	}
	t.Logf("%d rules of %d bytes: %v for one URL", len(r.rules), len(rule)-len("Disallow: \n"), d)
}

// FuzzMatch compares the matcher with a regular expression of the same
// pattern (RE2: "*" is ".*", "$" at the end anchors, otherwise a prefix).
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"/a*b$", "/axxb"}, {"/*.php$", "/x.php?y"}, {"/fish*", "/fish.html"}, {"/*a*a$", "/aaa"}, {"/$", "/"}, {"*", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		ru := newRule(false, pattern)
		path = normalize(path)
		parts := make([]string, len(ru.parts))
		for i, p := range ru.parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		expr := "^" + strings.Join(parts, ".*")
		if ru.anchor {
			expr += "$"
		}
		want := regexp.MustCompile("(?s)" + expr).MatchString(path)
		if got := ru.match(path); got != want {
			t.Fatalf("pattern %q path %q: match %v, the regular expression %q says %v", ru.pattern, path, got, expr, want)
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(file), "/drafts/x.html")
	f.Add([]byte("User-agent: *\nDisallow: /*$\nAllow: /$\n"), "/")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		r := Parse(data, "TensionFollower")
		_ = r.Allowed(path)
		if !r.Allowed("/robots.txt") {
			t.Fatal("robots.txt disallowed")
		}
		if d := r.CrawlDelay(); d < 0 || d > MaxCrawlDelay {
			t.Fatalf("crawl delay %v", d)
		}
	})
}
