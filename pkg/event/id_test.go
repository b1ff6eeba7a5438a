package event

import "testing"

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
	// Two separate calls: the id must not depend on anything but the text.
	first, second := ArticleID("", "one"), ArticleID("", "one")
	if first != second {
		t.Fatalf("same text without URL got different ids: %s and %s", first, second)
	}
	if ArticleID("not a url", "one") != ArticleID("", "one") {
		t.Fatal("an unparsable URL should fall back to the text hash")
	}
}
