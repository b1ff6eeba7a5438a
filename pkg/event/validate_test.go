package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/tension-dev/tension/pkg/golden"
	"github.com/tension-dev/tension/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// articleSchema is schemas/article.v1.json compiled once with format
// assertions on; a compiled *jsonschema.Schema is safe for concurrent use.
var articleSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	raw, err := schemas.FS.ReadFile("article.v1.json")
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const loc = "https://tension.dev/schemas/article.v1.json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	return c.Compile(loc)
})

// schemaValid validates data against the JSON Schema, the reference the
// hand-written checks must agree with.
func schemaValid(t testing.TB, data []byte) error {
	t.Helper()
	sch, err := articleSchema()
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

const goodUUID = "6f1c2b9e-5d3a-5b7e-9a41-1c2d3e4f5a6b"

func TestDecodeArticle(t *testing.T) {
	date := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return t.UTC()
	}
	tests := []struct {
		name      string
		in        string
		topic     bool
		want      Article
		wantErr   bool
		wantField string // first problem's field
		wantIn    string // substring of the first problem's reason
	}{
		{name: "minimal", in: `{"text":"Tariffs rise."}`, want: Article{Text: "Tariffs rise."}},
		{name: "full", in: `{"id":"a1","url":"https://ex.com/a","source":"Wire","title":"T","text":"x","lang":"en","published_at":"2025-05-12T08:00:00+08:00"}`,
			want: Article{ID: "a1", URL: "https://ex.com/a", Source: "Wire", Title: "T", Text: "x", Lang: "en", PublishedAt: date("2025-05-12T00:00:00Z")}},
		{name: "date only is midnight UTC", in: `{"text":"x","published_at":"2019-05-10"}`, want: Article{Text: "x", PublishedAt: date("2019-05-10T00:00:00Z")}},
		{name: "fraction and lower-case z", in: `{"text":"x","published_at":"2019-05-10t01:02:03.123456789z"}`, want: Article{Text: "x", PublishedAt: date("2019-05-10T01:02:03.123456789Z")}},
		{name: "escapes", in: `{"text":"a\n\"b\"\u00e9\ud83d\ude00\/\\"}`, want: Article{Text: "a\n\"b\"é😀/\\"}},
		{name: "whitespace around", in: " \n{ \"text\" : \"x\" }\r\n", want: Article{Text: "x"}},
		{name: "lang subtag", in: `{"text":"x","lang":"zh-Hans"}`, want: Article{Text: "x", Lang: "zh-Hans"}},
		{name: "topic form", topic: true, in: `{"article_id":"` + goodUUID + `","text":"x","received_at":"2025-01-02T03:04:05Z","published_at":"0001-01-01T00:00:00Z"}`,
			want: Article{ArticleID: goodUUID, Text: "x", ReceivedAt: date("2025-01-02T03:04:05Z")}},

		{name: "empty body", in: ``, wantErr: true, wantIn: "empty"},
		{name: "malformed", in: `{"text":"x"`, wantErr: true, wantIn: "malformed JSON"},
		{name: "trailing comma", in: `{"text":"x",}`, wantErr: true, wantIn: "byte offset 12"},
		{name: "two objects", in: `{"text":"x"} {"text":"y"}`, wantErr: true, wantIn: "more than one JSON value"},
		{name: "array", in: `[{"text":"x"}]`, wantErr: true, wantIn: "must be a JSON object, got array"},
		{name: "invalid utf8", in: "{\"text\":\"ab\xff\"}", wantErr: true, wantIn: "invalid UTF-8 at byte offset 11"},
		{name: "missing text", in: `{"title":"x"}`, wantErr: true, wantField: "/text", wantIn: "is required"},
		{name: "blank text", in: `{"text":" \n\t"}`, wantErr: true, wantField: "/text", wantIn: "whitespace"},
		{name: "empty text", in: `{"text":""}`, wantErr: true, wantField: "/text"},
		{name: "text number", in: `{"text":42}`, wantErr: true, wantField: "/text", wantIn: "must be a string, got number"},
		{name: "title null", in: `{"text":"x","title":null}`, wantErr: true, wantField: "/title", wantIn: "got null"},
		{name: "url object", in: `{"text":"x","url":{"a":[1,"}"]}}`, wantErr: true, wantField: "/url", wantIn: "got object"},
		{name: "unknown field", in: `{"text":"x","author":"y"}`, wantErr: true, wantField: "/author", wantIn: "unknown field"},
		{name: "unknown field pointer escaped", in: `{"text":"x","a/b~c":1}`, wantErr: true, wantField: "/a~1b~0c"},
		{name: "duplicate", in: `{"text":"x","text":"y"}`, wantErr: true, wantField: "/text", wantIn: "duplicate"},
		{name: "article_id from client", in: `{"text":"x","article_id":"` + goodUUID + `"}`, wantErr: true, wantField: "/article_id", wantIn: "assigned by the server"},
		{name: "received_at from client", in: `{"text":"x","received_at":"2025-01-02T03:04:05Z"}`, wantErr: true, wantField: "/received_at", wantIn: "assigned by the server"},
		{name: "topic without article_id", topic: true, in: `{"text":"x","received_at":"2025-01-02T03:04:05Z"}`, wantErr: true, wantField: "/article_id", wantIn: "is required"},
		{name: "topic bad uuid", topic: true, in: `{"article_id":"nope","text":"x","received_at":"2025-01-02T03:04:05Z"}`, wantErr: true, wantField: "/article_id", wantIn: "UUID"},
		{name: "bad published_at", in: `{"text":"x","published_at":"yesterday"}`, wantErr: true, wantField: "/published_at", wantIn: "RFC 3339"},
		{name: "published_at no zone", in: `{"text":"x","published_at":"2025-05-12T08:00:00"}`, wantErr: true, wantField: "/published_at"},
		{name: "published_at Feb 30", in: `{"text":"x","published_at":"2025-02-30"}`, wantErr: true, wantField: "/published_at"},
		{name: "published_at comma fraction", in: `{"text":"x","published_at":"2025-05-12T08:00:00,5Z"}`, wantErr: true, wantField: "/published_at"},
		{name: "relative url", in: `{"text":"x","url":"/a/b"}`, wantErr: true, wantField: "/url", wantIn: "absolute"},
		{name: "ftp url", in: `{"text":"x","url":"ftp://ex.com/a"}`, wantErr: true, wantField: "/url", wantIn: "http"},
		{name: "url without host", in: `{"text":"x","url":"https:///a"}`, wantErr: true, wantField: "/url", wantIn: "host"},
		{name: "url with space in host", in: `{"text":"x","url":"https://ex ample.com/"}`, wantErr: true, wantField: "/url", wantIn: "valid URL"},
		{name: "bad lang", in: `{"text":"x","lang":"EN"}`, wantErr: true, wantField: "/lang"},
		{name: "id too long", in: `{"text":"x","id":"` + strings.Repeat("é", 257) + `"}`, wantErr: true, wantField: "/id", wantIn: "256"},
		{name: "published_at year 1", in: `{"text":"x","published_at":"0001-01-01"}`, wantErr: true, wantField: "/published_at", wantIn: "before 1971-01-01"},
		{name: "published_at zero date-time from a client", in: `{"text":"x","published_at":"0001-01-01T00:00:00Z"}`, wantErr: true, wantField: "/published_at", wantIn: "before 1971-01-01"},
		{name: "published_at 1970", in: `{"text":"x","published_at":"1970-12-31T23:59:59Z"}`, wantErr: true, wantField: "/published_at"},
		{name: "published_at 1971", in: `{"text":"x","published_at":"1971-01-01"}`, want: Article{Text: "x", PublishedAt: date("1971-01-01T00:00:00Z")}},
		{name: "published_at year 9999", in: `{"text":"x","published_at":"9999-12-31"}`, wantErr: true, wantField: "/published_at", wantIn: "more than one day after"},
		{name: "topic published_at after receipt + 1 day", topic: true, in: `{"article_id":"` + goodUUID + `","text":"x","received_at":"2025-01-02T03:04:05Z","published_at":"2025-01-03T03:04:06Z"}`,
			wantErr: true, wantField: "/published_at", wantIn: "2025-01-02T03:04:05Z"},
		{name: "topic published_at receipt + 1 day", topic: true, in: `{"article_id":"` + goodUUID + `","text":"x","received_at":"2025-01-02T03:04:05Z","published_at":"2025-01-03T03:04:05Z"}`,
			want: Article{ArticleID: goodUUID, Text: "x", ReceivedAt: date("2025-01-02T03:04:05Z"), PublishedAt: date("2025-01-03T03:04:05Z")}},
		{name: "topic received_at year 1", topic: true, in: `{"article_id":"` + goodUUID + `","text":"x","received_at":"0001-01-01T00:00:00Z"}`, wantErr: true, wantField: "/received_at", wantIn: "outside"},
		{name: "text only NUL", in: `{"text":"\u0000"}`, wantErr: true, wantField: "/text", wantIn: "no visible character"},
		{name: "text only a lone surrogate", in: `{"text":"\ud800"}`, wantErr: true, wantField: "/text", wantIn: "no visible character"},
		{name: "text only format and control characters", in: `{"text":"\u200b\u200e\u0007\u00a0\u2028"}`, wantErr: true, wantField: "/text", wantIn: "no visible character"},
		{name: "text U+FFFD only", in: "{\"text\":\"\uFFFD\"}", wantErr: true, wantField: "/text", wantIn: "no visible character"},
		{name: "text one combining mark is visible", in: `{"text":"\u0301"}`, want: Article{Text: "\u0301"}},
		{name: "text one CJK character", in: `{"text":"\u4e2d"}`, want: Article{Text: "中"}},
		{name: "text lone surrogate beside words", in: `{"text":"a\ud800b"}`, want: Article{Text: "a\uFFFDb"}},
		{name: "source number names the field", in: `{"text":"x","source":5}`, wantErr: true, wantField: "/source", wantIn: "must be a string, got number"},
		{name: "published_at_source feed", in: `{"text":"x","published_at":"2025-05-12","published_at_source":"feed"}`,
			want: Article{Text: "x", PublishedAt: date("2025-05-12T00:00:00Z"), PublishedAtSource: "feed"}},
		{name: "published_at_source none without a date", in: `{"text":"x","published_at_source":"none"}`, want: Article{Text: "x", PublishedAtSource: "none"}},
		{name: "topic published_at_source none with the zero date", topic: true,
			in:   `{"article_id":"` + goodUUID + `","text":"x","received_at":"2025-01-02T03:04:05Z","published_at":"0001-01-01T00:00:00Z","published_at_source":"none"}`,
			want: Article{ArticleID: goodUUID, Text: "x", ReceivedAt: date("2025-01-02T03:04:05Z"), PublishedAtSource: "none"}},
		{name: "published_at_source none with a date", in: `{"text":"x","published_at":"2025-05-12","published_at_source":"none"}`,
			wantErr: true, wantField: "/published_at_source", wantIn: "published_at is given"},
		{name: "published_at_source page without a date", in: `{"text":"x","published_at_source":"page"}`,
			wantErr: true, wantField: "/published_at_source", wantIn: "no published_at"},
		{name: "published_at_source unknown", in: `{"text":"x","published_at_source":"fetch"}`,
			wantErr: true, wantField: "/published_at_source", wantIn: `"feed", "page" or "none"`},
		{name: "published_at_source with a bad date reports the date", in: `{"text":"x","published_at":"x","published_at_source":"feed"}`,
			wantErr: true, wantField: "/published_at"},
		{name: "id 256 chars of 2 bytes", in: `{"text":"x","id":"` + strings.Repeat("é", 256) + `"}`, want: Article{Text: "x", ID: strings.Repeat("é", 256)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeArticle([]byte(tt.in), DecodeOptions{FromTopic: tt.topic})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidArticle) {
					t.Fatalf("err %T does not match *ValidationError and ErrInvalidArticle", err)
				}
				p := ve.Problems[0]
				if p.Field != tt.wantField || !strings.Contains(p.Reason, tt.wantIn) {
					t.Fatalf("first problem = %+v, want field %q reason containing %q", p, tt.wantField, tt.wantIn)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeArticleReportsAllProblems(t *testing.T) {
	_, err := DecodeArticle([]byte(`{"title":1,"lang":"x","url":"mailto:a@b","published_at":"x","extra":true}`), DecodeOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	// Document-level problems first, then the missing text; value checks
	// run only once the shape is right.
	want := []string{"/title", "/extra", "/text"}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.Field)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("fields = %v, want %v (%v)", got, want, err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "invalid article: /title: must be a string") {
		t.Fatalf("Error() = %q", msg)
	}
	_, err = DecodeArticle([]byte(`{"text":"x","url":"mailto:a@b","lang":"x","published_at":"x"}`), DecodeOptions{})
	if !errors.As(err, &ve) || len(ve.Problems) != 3 {
		t.Fatalf("want 3 value problems, got %v", err)
	}
}

func TestDecodeArticleCapsProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"text":"x"`)
	for i := range 100 {
		b.WriteString(`,"k` + strings.Repeat("x", i) + `":1`)
	}
	b.WriteString("}")
	_, err := DecodeArticle([]byte(b.String()), DecodeOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != maxProblems+1 {
		t.Fatalf("want %d problems, got %v", maxProblems+1, err)
	}
}

// TestHandChecksAgreeWithSchema is the proof that the hand-written hot path
// implements schemas/article.v1.json: on every input the two agree, except
// the listed cases where the hand checks are deliberately stricter.
func TestHandChecksAgreeWithSchema(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		stricter bool // rejected by hand, accepted by the schema
	}{
		{"minimal", `{"text":"x"}`, false},
		{"all fields", `{"id":"a","url":"http://ex.com","source":"s","title":"t","text":"x","lang":"pt-BR","published_at":"2025-01-01"}`, false},
		{"nbsp text", `{"text":"\u00a0"}`, false},
		{"vertical tab text", `{"text":"\u000b"}`, false},
		{"blank text", `{"text":"  "}`, false},
		{"empty text", `{"text":""}`, false},
		{"no text", `{}`, false},
		{"text number", `{"text":1}`, false},
		{"text null", `{"text":null}`, false},
		{"unknown", `{"text":"x","y":"z"}`, false},
		{"not object", `"x"`, false},
		{"array", `[]`, false},
		{"id 256", `{"text":"x","id":"` + strings.Repeat("界", 256) + `"}`, false},
		{"id 257", `{"text":"x","id":"` + strings.Repeat("界", 257) + `"}`, false},
		{"source 257", `{"text":"x","source":"` + strings.Repeat("a", 257) + `"}`, false},
		{"title 2000", `{"text":"x","title":"` + strings.Repeat("a", 2000) + `"}`, false},
		{"title 2001", `{"text":"x","title":"` + strings.Repeat("a", 2001) + `"}`, false},
		{"url 2049", `{"text":"x","url":"https://ex.com/` + strings.Repeat("a", 2049-15) + `"}`, false},
		{"url relative", `{"text":"x","url":"a/b"}`, false},
		{"url empty", `{"text":"x","url":""}`, false},
		{"url bad escape", `{"text":"x","url":"https://ex.com/%zz"}`, false},
		{"url ipv6", `{"text":"x","url":"https://[::1]:8080/a"}`, false},
		{"lang", `{"text":"x","lang":"en"}`, false},
		{"published_at_source", `{"text":"x","published_at":"2025-01-01","published_at_source":"page"}`, false},
		{"published_at_source none", `{"text":"x","published_at_source":"none"}`, false},
		{"published_at_source unknown", `{"text":"x","published_at_source":"x"}`, false},
		{"published_at_source number", `{"text":"x","published_at_source":1}`, false},
		{"published_at_source none with a date", `{"text":"x","published_at":"2025-01-01","published_at_source":"none"}`, true},
		{"published_at_source feed without a date", `{"text":"x","published_at_source":"feed"}`, true},
		{"lang 4 letters", `{"text":"x","lang":"engl"}`, false},
		{"lang upper", `{"text":"x","lang":"EN"}`, false},
		{"lang short subtag", `{"text":"x","lang":"en-x"}`, false},
		{"lang trailing dash", `{"text":"x","lang":"en-"}`, false},
		{"lang newline", `{"text":"x","lang":"en\n"}`, false},
		{"date", `{"text":"x","published_at":"2025-05-12"}`, false},
		{"date Feb 29 leap", `{"text":"x","published_at":"2024-02-29"}`, false},
		{"date Feb 29 non-leap", `{"text":"x","published_at":"2025-02-29"}`, false},
		{"date-time Z", `{"text":"x","published_at":"2025-05-12T01:02:03Z"}`, false},
		{"date-time offset", `{"text":"x","published_at":"2025-05-12T01:02:03-05:30"}`, false},
		{"date-time fraction", `{"text":"x","published_at":"2025-05-12T01:02:03.5Z"}`, false},
		{"date-time long fraction", `{"text":"x","published_at":"2025-05-12T01:02:03.1234567891234Z"}`, false},
		{"date-time no zone", `{"text":"x","published_at":"2025-05-12T01:02:03"}`, false},
		{"date-time space", `{"text":"x","published_at":"2025-05-12 01:02:03Z"}`, false},
		{"date-time hour 24", `{"text":"x","published_at":"2025-05-12T24:00:00Z"}`, false},
		{"date-time offset 24", `{"text":"x","published_at":"2025-05-12T01:00:00+24:00"}`, false},
		{"date-time empty fraction", `{"text":"x","published_at":"2025-05-12T01:00:00.Z"}`, false},
		{"date short year", `{"text":"x","published_at":"025-05-12"}`, false},
		{"published_at number", `{"text":"x","published_at":20250512}`, false},
		{"article_id valid uuid", `{"text":"x","article_id":"` + goodUUID + `"}`, true},
		{"received_at", `{"text":"x","received_at":"2025-05-12T01:02:03Z"}`, true},
		{"url ftp", `{"text":"x","url":"ftp://ex.com/a"}`, true},
		{"url mailto", `{"text":"x","url":"mailto:a@b.c"}`, true},
		{"url no host", `{"text":"x","url":"https:///a"}`, true},
		{"duplicate key", `{"text":"x","text":"y"}`, true},
		{"leap second", `{"text":"x","published_at":"2016-12-31T23:59:60Z"}`, true},
		{"date before 1971", `{"text":"x","published_at":"1900-01-01"}`, true},
		{"date far ahead", `{"text":"x","published_at":"9000-01-01"}`, true},
		{"NUL text", `{"text":"\u0000"}`, false},
		{"lone surrogate text", `{"text":"\udc00"}`, false},
		{"zero-width space text", `{"text":"\u200b"}`, false},
		{"unassigned code point text", `{"text":"\u0378"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, handErr := DecodeArticle([]byte(tt.in), DecodeOptions{})
			schemaErr := schemaValid(t, []byte(tt.in))
			if tt.stricter {
				if handErr == nil || schemaErr != nil {
					t.Fatalf("want hand-only rejection: hand=%v schema=%v", handErr, schemaErr)
				}
				return
			}
			if (handErr == nil) != (schemaErr == nil) {
				t.Fatalf("disagree: hand=%v schema=%v", handErr, schemaErr)
			}
		})
	}
}

// TestDecodeArticleGolden decodes every testdata/articles/*.json (client
// form) and compares the article or the error with the .golden file next to
// it. Refresh with `go test ./event -run Golden -update`.
func TestDecodeArticleGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "articles", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			in, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			a, err := DecodeArticle(in, DecodeOptions{})
			if err != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("error is not a *ValidationError: %v", err)
				}
				got, _ = json.MarshalIndent(map[string]any{"error": err.Error(), "problems": ve.Problems}, "", "  ")
			} else {
				got, _ = json.MarshalIndent(map[string]any{"article": a}, "", "  ")
			}
			got = append(got, '\n')
			golden.Check(t, strings.TrimSuffix(path, ".json")+".golden", got, *update)
		})
	}
}

func FuzzDecodeArticle(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "articles", "*.json"))
	for _, path := range files {
		if in, err := os.ReadFile(path); err == nil {
			f.Add(in, false)
		}
	}
	f.Add([]byte(`{"text":"a\ud800b\"\u0000","published_at":"2025-01-01T00:00:00+23:59"}`), false)
	f.Add([]byte(`{"article_id":"`+goodUUID+`","text":"x","received_at":"0000-01-01T00:30:00+01:00"}`), true)
	f.Add([]byte(`{"text":"x","k":[{"a":"]"},-1.5e3,true,null]}`), false)
	f.Fuzz(func(t *testing.T, in []byte, topic bool) {
		if len(in) > 64<<10 {
			t.Skip("input-size cap")
		}
		// A client article is checked against the receipt time the round
		// trip below stamps on it.
		received := time.Date(2025, 5, 12, 1, 2, 3, 4, time.UTC)
		a, err := DecodeArticle(in, DecodeOptions{FromTopic: topic, Now: received})
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 || !errors.Is(err, ErrInvalidArticle) {
				t.Fatalf("error without problems: %#v", err)
			}
			return
		}
		// Whatever the hand checks accept, the schema accepts too, and
		// encoding/json reads the same strings.
		if err := schemaValid(t, in); err != nil {
			t.Fatalf("accepted by hand, rejected by schema: %v", err)
		}
		var ref map[string]any
		if err := json.Unmarshal(in, &ref); err != nil {
			t.Fatalf("accepted, but encoding/json says %v", err)
		}
		if ref["text"] != a.Text || (ref["title"] != nil && ref["title"] != a.Title) {
			t.Fatalf("strings differ from encoding/json: %q vs %q", a.Text, ref["text"])
		}
		// Accepted input re-encodes (as ingest publishes it) and decodes to
		// the same article.
		if !topic {
			a.ArticleID = ArticleID(a.URL, a.Text)
			a.ReceivedAt = received
		}
		out, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		b, err := DecodeArticle(out, DecodeOptions{FromTopic: true})
		if err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		if b != a {
			t.Fatalf("round trip differs:\n%+v\n%+v", a, b)
		}
	})
}

// benchArticle is a typical wire article: ~4 KB of text with paragraphs and
// quotes (so escapes), a URL and a date-time.
func benchArticle() []byte {
	para := `Officials in Beijing said on Tuesday that the \"door remains open\" to talks, a day after Washington raised tariffs on $200 billion of goods. Analysts at a Singapore bank said the move may hint at a thaw, citing unnamed sources.\n\n`
	return []byte(`{"id":"wire-123456","url":"https://news.example.com/2019/05/10/trade-talks?utm_source=x","source":"Example Wire","title":"China says door open to talks after tariff hike","lang":"en","published_at":"2019-05-10T08:30:00+08:00","text":"` + strings.Repeat(para, 16) + `"}`)
}

func BenchmarkDecodeArticle(b *testing.B) {
	in := benchArticle()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := DecodeArticle(in, DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(n*len(in))/s/1e6, "MB/s")
	b.ReportMetric(float64(n)/s, "articles/s")
}

// BenchmarkSchemaValidate is the cost the hand checks avoid: decoding to
// generic values and running the compiled JSON Schema.
func BenchmarkSchemaValidate(b *testing.B) {
	in := benchArticle()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := schemaValid(b, in); err != nil {
			b.Fatal(err)
		}
		n++
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(n*len(in))/s/1e6, "MB/s")
	b.ReportMetric(float64(n)/s, "articles/s")
}

// FuzzDecodeArticleFastPath: DecodeArticle (its one-pass fast path, and
// the checking decoder when that gives up) returns what the checking
// decoder alone returns, article or problems, on any input.
func FuzzDecodeArticleFastPath(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "articles", "*.json"))
	for _, path := range files {
		if in, err := os.ReadFile(path); err == nil {
			f.Add(in, false)
			f.Add(in, true)
		}
	}
	topic := `{"article_id":"` + goodUUID + `","received_at":"2025-05-12T01:02:03Z",`
	for _, s := range []string{
		topic + `"text":"a\ud800b\"\u0000","published_at":"2025-01-01T00:00:00+23:59"}`,
		topic + `"t\u0065xt":"escaped key"}`,
		topic + `"text":"x","text":"duplicate"}`,
		topic + `"text":"x","title":null}`,
		topic + `"text":"x","k":[{"a":"]"},-1.5e3,true,null]}`,
		topic + `"text":"caf\xe9"}`,
		topic + ` "text" : "spaces" , "url":"https://example.com/a?b=c" } `,
		topic + `"text":"x"}{}`,
		`{}`, `[]`, `"text"`, ` `, `{"text":"x",}`,
		`{"text":"\u00e9\ud83d\ude00 quoted \"x\" \\ \/","lang":"en","source":"S"}`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, in []byte, topic bool) {
		opts := DecodeOptions{FromTopic: topic, Now: time.Date(2025, 5, 12, 1, 2, 3, 4, time.UTC)}
		a, err := DecodeArticle(in, opts)
		b, errSlow := decodeChecked(in, opts)
		if a != b {
			t.Fatalf("articles differ:\nfast %+v\nslow %+v", a, b)
		}
		if (err == nil) != (errSlow == nil) || (err != nil && !reflect.DeepEqual(err, errSlow)) {
			t.Fatalf("errors differ:\nfast %v\nslow %v", err, errSlow)
		}
	})
}

// FuzzPlainHTTPURL: what checkURL accepts without parsing, url.Parse
// accepts too (parseURL).
func FuzzPlainHTTPURL(f *testing.F) {
	for _, s := range []string{
		"https://morning-tribune.test/2026/12/05/china-resumes-trade-talks-0000000000000007-1",
		"http://a", "https://a.b/?x=1&y=2;z", "http://-/", "https://a/b:c@d!$'()*+,", "https://a?", "http://a//b",
		"https://a:80/", "https://[::1]/", "https://a/%zz", "https://a/b#c", "HTTPS://a/", "https://a b/", "https://a/b c",
		"https://ä/", "https://a/\x7f", "https:///path", "http:/a", "https://a.b.c.-/x~y_z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if plainHTTPURL(s) {
			if reason := parseURL(s); reason != "" {
				t.Fatalf("plainHTTPURL(%q) but url.Parse: %s", s, reason)
			}
		}
	})
}

// BenchmarkEncodeArticle: a decoded ~4 KB article stamped and encoded as
// ingest publishes it (EncodeArticle), against json.Marshal of the same.
func BenchmarkEncodeArticle(b *testing.B) {
	a, err := DecodeArticle(benchArticle(), DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2025, 5, 12, 1, 2, 3, 0, time.UTC)
	rec, err := EncodeArticle(&a, now, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("jsonwire", func(b *testing.B) {
		b.SetBytes(int64(len(rec.Value)))
		b.ReportAllocs()
		for range b.N {
			if _, err := EncodeArticle(&a, now, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(rec.Value)))
		b.ReportAllocs()
		for range b.N {
			a.ArticleID = ArticleID(a.URL, a.Text)
			if _, err := json.Marshal(&a); err != nil {
				b.Fatal(err)
			}
		}
	})
}
