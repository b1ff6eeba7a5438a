package sources

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const good = "# feeds we follow\n" +
	"url\tname\tlang\tinterval\tfull_text\n" +
	"\n" +
	"https://a.test/rss.xml\ta-world\ten\t15m\tauto\n" +
	"http://b.test/atom.xml#top\tb.zh\tzh-Hans\t-\tyes\n" +
	"https://c.test/feed\tc_wire\t-\t1h\tNO\r\n"

func TestParseGood(t *testing.T) {
	got, err := Parse(strings.NewReader(good), "sources.tsv", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Source{
		{URL: "https://a.test/rss.xml", Name: "a-world", Lang: "en", Interval: 15 * time.Minute, FullText: FullTextAuto, Line: 4},
		{URL: "http://b.test/atom.xml", Name: "b.zh", Lang: "zh-Hans", Interval: 15 * time.Minute, FullText: FullTextYes, Line: 5},
		{URL: "https://c.test/feed", Name: "c_wire", Interval: time.Hour, FullText: FullTextNo, Line: 6},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d sources, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("source %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseOptionalColumnsLeftOut(t *testing.T) {
	got, err := Parse(strings.NewReader("name\turl\nx\thttps://x.test/f\n"), "s", Limits{DefaultInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].URL != "https://x.test/f" || got[0].Interval != time.Hour || got[0].FullText != FullTextAuto || got[0].Lang != "" {
		t.Fatalf("got %+v", got[0])
	}
}

// Every problem of a file is reported with its file:line, not just the first.
func TestParseReportsEveryProblemWithItsLine(t *testing.T) {
	in := "url\tname\tlang\tinterval\tfull_text\n" +
		"ftp://a.test/x\ta\ten\t15m\tauto\n" + // 2
		"https://b.test/x\tb c\tEN\t5s\tmaybe\n" + // 3
		"https://c.test/x\tc\n" + // 4
		"https://d.test/x\td\ten\tsoon\tauto\n" + // 5
		"https://e.test/x\te\t-\t-\t-\n" + // 6 good
		"https://e.test/x\tf\t-\t-\t-\n" + // 7 duplicate url
		"https://g.test/x\te\t-\t-\t-\n" + // 8 duplicate name
		"https://user:pw@h.test/x\th\t-\t-\t-\n" // 9
	_, err := Parse(strings.NewReader(in), "feeds.tsv", Limits{})
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want *Error", err)
	}
	want := []string{
		`feeds.tsv:2: url: "ftp://a.test/x": want an absolute http or https URL`,
		`feeds.tsv:3: name: "b c": use 1 to 64 letters`,
		`feeds.tsv:3: lang: "EN" is not a language tag`,
		`feeds.tsv:3: interval: 5s is outside 1m0s to 168h0m0s`,
		`feeds.tsv:3: full_text: "maybe": want auto, yes or no`,
		`feeds.tsv:4: 2 cells, the header has 5`,
		`feeds.tsv:5: interval: "soon" is not a duration`,
		`feeds.tsv:7: url https://e.test/x is already on line 6`,
		`feeds.tsv:8: name "e" is already on line 6`,
		`feeds.tsv:9: url: "https://user:pw@h.test/x" carries credentials`,
	}
	if len(e.Problems) != len(want) {
		t.Fatalf("%d problems, want %d:\n%s", len(e.Problems), len(want), strings.Join(e.Problems, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(e.Problems[i], w) {
			t.Errorf("problem %d = %q, want prefix %q", i, e.Problems[i], w)
		}
	}
}

func TestParseFileProblems(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "s:1: no header line"},
		{"only comments", "# a\n\n# b\n", "s:3: no header line"},
		{"header only", "url\tname\n", "s:1: no sources"},
		{"unknown column", "url\tname\tauthor\n", `s:1: header: unknown column "author"`},
		{"missing name column", "url\tlang\nhttps://a.test/\ten\n", `s:1: header: column "name" is required`},
		{"column twice", "url\tname\turl\n", `s:1: header: column "url" twice`},
		{"not utf8", "url\tname\nhttps://a.test/\t\xff\n", "s:2: not UTF-8 text"},
		{"long line", "url\tname\nhttps://a.test/" + strings.Repeat("a", 9000) + "\ta\n", "s:2: line longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in), "s", Limits{})
			var e *Error
			if !errors.As(err, &e) || !strings.HasPrefix(e.Problems[0], tt.want) {
				t.Fatalf("err = %v, want first problem %q", err, tt.want)
			}
		})
	}
}

func TestParseBOMAndMinInterval(t *testing.T) {
	in := "\ufeffurl\tname\tinterval\nhttps://a.test/\ta\t2s\n"
	if _, err := Parse(strings.NewReader(in), "s", Limits{}); err == nil {
		t.Fatal("2s accepted with the default 1m minimum")
	}
	got, err := Parse(strings.NewReader(in), "s", Limits{MinInterval: time.Second})
	if err != nil || got[0].Interval != 2*time.Second {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestParseCapsProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("url\tname\n")
	for range 200 {
		b.WriteString("nope\tx\n")
	}
	_, err := Parse(strings.NewReader(b.String()), "s", Limits{})
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) != maxErrors+1 {
		t.Fatalf("got %d problems, want %d", len(e.Problems), maxErrors+1)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("url\tname\nhttps://[::1]:8080/a\tx\n"))
	f.Add([]byte("name\turl\tinterval\n-\t-\t-\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := Parse(strings.NewReader(string(in)), "f", Limits{})
		if err != nil {
			var e *Error
			if errors.As(err, &e) && len(e.Problems) == 0 {
				t.Fatal("*Error without problems")
			}
			return
		}
		if len(got) == 0 {
			t.Fatal("no sources and no error")
		}
		names, urls := map[string]bool{}, map[string]bool{}
		for _, s := range got {
			if s.URL == "" || !validName(s.Name) || names[s.Name] || urls[s.URL] || s.Interval < time.Minute || s.Line < 2 {
				t.Fatalf("accepted a bad source: %+v", s)
			}
			names[s.Name], urls[s.URL] = true, true
		}
	})
}
