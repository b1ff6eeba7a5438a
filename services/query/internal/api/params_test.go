package api

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tension-dev/tension/pkg/tension"
)

var testNow = time.Date(2025, 5, 12, 13, 47, 5, 0, time.UTC)

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseIndex(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		want    IndexRequest
		wantErr string // substring of the 400 message
	}{
		{name: "defaults", query: "pair=CN-US", want: IndexRequest{Pair: "CN-US", Interval: Day,
			From: mustTime("2025-04-12T00:00:00Z"), To: mustTime("2025-05-13T00:00:00Z"),
			BaseFrom: mustTime("2025-04-12T00:00:00Z"), BaseTo: mustTime("2025-05-13T00:00:00Z"), BaseRows: tension.Day, Format: JSON}},
		{name: "hour aligned out", query: "pair=CN-US&interval=hour&from=2025-04-02T10:30:00Z&to=2025-04-02T11:00:01Z&format=csv",
			want: IndexRequest{Pair: "CN-US", Interval: Hour, From: mustTime("2025-04-02T10:00:00Z"), To: mustTime("2025-04-02T12:00:00Z"),
				BaseFrom: mustTime("2025-04-02T10:00:00Z"), BaseTo: mustTime("2025-04-02T12:00:00Z"), BaseRows: tension.Hour, Format: CSV}},
		{name: "offset time is UTC", query: "pair=CN-US&interval=hour&from=2025-04-02T10:00:00%2B08:00&to=2025-04-02T12:00:00%2B08:00",
			want: IndexRequest{Pair: "CN-US", Interval: Hour, From: mustTime("2025-04-02T02:00:00Z"), To: mustTime("2025-04-02T04:00:00Z"),
				BaseFrom: mustTime("2025-04-02T02:00:00Z"), BaseTo: mustTime("2025-04-02T04:00:00Z"), BaseRows: tension.Hour, Format: JSON}},
		{name: "month with base", query: "pair=CN-US&interval=month&from=2018-07-06T00:00:00Z&to=2020-01-15T00:00:00Z&base_from=2018-01-01T00:00:00Z&base_to=2019-01-01T00:00:00Z&tagger_version=v1.2.0",
			want: IndexRequest{Pair: "CN-US", Interval: Month, From: mustTime("2018-07-01T00:00:00Z"), To: mustTime("2020-02-01T00:00:00Z"),
				TaggerVersion: "v1.2.0", BaseFrom: mustTime("2018-01-01T00:00:00Z"), BaseTo: mustTime("2019-01-01T00:00:00Z"), BaseRows: tension.Day, Format: JSON}},
		{name: "minute base", query: "pair=CN-US&interval=minute&from=2025-04-02T10:00:00Z&to=2025-04-02T11:00:00Z&base_from=2025-04-02T10:00:00Z&base_to=2025-04-02T10:30:00Z",
			want: IndexRequest{Pair: "CN-US", Interval: Minute, From: mustTime("2025-04-02T10:00:00Z"), To: mustTime("2025-04-02T11:00:00Z"),
				BaseFrom: mustTime("2025-04-02T10:00:00Z"), BaseTo: mustTime("2025-04-02T10:30:00Z"), BaseRows: tension.Minute, Format: JSON}},
		{name: "fifty years of days", query: "pair=CN-US&from=1976-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
			want: IndexRequest{Pair: "CN-US", Interval: Day, From: mustTime("1976-01-01T00:00:00Z"), To: mustTime("2026-01-01T00:00:00Z"),
				BaseFrom: mustTime("1976-01-01T00:00:00Z"), BaseTo: mustTime("2026-01-01T00:00:00Z"), BaseRows: tension.Day, Format: JSON}},
		{name: "five calendar years of hours", query: "pair=CN-US&interval=hour&from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z",
			want: IndexRequest{Pair: "CN-US", Interval: Hour, From: mustTime("2020-01-01T00:00:00Z"), To: mustTime("2025-01-01T00:00:00Z"),
				BaseFrom: mustTime("2020-01-01T00:00:00Z"), BaseTo: mustTime("2025-01-01T00:00:00Z"), BaseRows: tension.Day, Format: JSON}},

		{name: "missing pair", query: "interval=day", wantErr: "pair: required"},
		{name: "sql in pair", query: "pair=" + url.QueryEscape("CN-US' OR 1=1 --"), wantErr: `pair: must be two country codes`},
		{name: "union in pair", query: "pair=" + url.QueryEscape("CN-US') UNION SELECT * FROM system.users --"), wantErr: "pair: must be two country codes"},
		{name: "unsorted pair", query: "pair=US-CN", wantErr: `pair: codes must be sorted: use "CN-US" (got "US-CN")`},
		{name: "lower case pair", query: "pair=us-cn", wantErr: `use "CN-US" (got "us-cn")`},
		{name: "same codes", query: "pair=US-US", wantErr: "the two codes must differ"},
		{name: "unknown code", query: "pair=XX-YY", wantErr: `unknown country code "XX"`},
		{name: "star pair", query: "pair=*", wantErr: "pair: must be two country codes"},
		{name: "pair given twice", query: "pair=CN-US&pair=EU-US", wantErr: "pair: given 2 times"},
		{name: "bad interval", query: "pair=CN-US&interval=week", wantErr: `interval: must be one of minute, hour, day, month (got "week")`},
		{name: "empty interval", query: "pair=CN-US&interval=", wantErr: `interval: must be one of`},
		{name: "sql in interval", query: "pair=CN-US&interval=" + url.QueryEscape("day; DROP TABLE articles"), wantErr: "interval: must be one of"},
		{name: "date only", query: "pair=CN-US&from=2025-04-02", wantErr: `from: must be an RFC 3339 time`},
		{name: "no zone", query: "pair=CN-US&from=2025-04-02T00:00:00", wantErr: `from: must be an RFC 3339 time`},
		{name: "unix seconds", query: "pair=CN-US&to=1743552000", wantErr: `to: must be an RFC 3339 time`},
		{name: "sql in time", query: "pair=CN-US&from=" + url.QueryEscape("2025-04-02T00:00:00Z' OR '1'='1"), wantErr: `from: must be an RFC 3339 time`},
		{name: "before 1970", query: "pair=CN-US&from=1969-12-31T23:59:59Z&to=1970-01-02T00:00:00Z", wantErr: "from: must be from 1970-01-01T00:00:00Z"},
		{name: "far future", query: "pair=CN-US&to=9999-12-31T23:59:59Z", wantErr: "to: must be from 1970"},
		{name: "from after to", query: "pair=CN-US&from=2025-05-01T00:00:00Z&to=2025-04-01T00:00:00Z", wantErr: "from: must be before to"},
		{name: "from equals to", query: "pair=CN-US&from=2025-05-01T00:00:00Z&to=2025-05-01T00:00:00Z", wantErr: "from: must be before to"},
		{name: "huge minute range", query: "pair=CN-US&interval=minute&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z",
			wantErr: "range: 366 days is more than the 31 days allowed for interval=minute"},
		{name: "huge hour range", query: "pair=CN-US&interval=hour&from=2000-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", wantErr: "allowed for interval=hour"},
		{name: "huge day range", query: "pair=CN-US&interval=day&from=1970-01-01T00:00:00Z&to=2099-01-01T00:00:00Z", wantErr: "allowed for interval=day"},
		{name: "huge month range", query: "pair=CN-US&interval=month&from=1970-01-01T00:00:00Z&to=2099-01-01T00:00:00Z", wantErr: "allowed for interval=month"},
		{name: "base half given", query: "pair=CN-US&base_from=2025-01-01T00:00:00Z", wantErr: "base_from and base_to go together"},
		{name: "base reversed", query: "pair=CN-US&base_from=2025-02-01T00:00:00Z&base_to=2025-01-01T00:00:00Z", wantErr: "base_from: must be before base_to"},
		{name: "base too long at minutes", query: "pair=CN-US&interval=minute&from=2025-04-02T10:00:00Z&to=2025-04-02T11:00:00Z&base_from=2024-01-01T00:01:00Z&base_to=2025-01-01T00:00:00Z",
			wantErr: "align base_from/base_to to days"},
		{name: "unknown parameter", query: "pair=CN-US&intervall=day", wantErr: `unknown parameter "intervall"`},
		{name: "limit not taken by index", query: "pair=CN-US&limit=5", wantErr: `unknown parameter "limit"`},
		{name: "bad format", query: "pair=CN-US&format=xml", wantErr: `format: must be json or csv (got "xml")`},
		{name: "bad tagger version", query: "pair=CN-US&tagger_version=" + url.QueryEscape("v1' --"), wantErr: "tagger_version: printable ASCII without spaces"},
		{name: "long value", query: "pair=CN-US&tagger_version=" + strings.Repeat("a", 200), wantErr: "tagger_version: longer than 128 bytes"},
		{name: "bad escape", query: "pair=CN-US&from=%zz", wantErr: "query string:"},
		{name: "invalid utf-8", query: "pair=%ff%fe", wantErr: "pair: not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIndex(tt.query, testNow, DefaultRanges)
			if tt.wantErr != "" {
				assertBadRequest(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tt.want {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func assertBadRequest(t *testing.T, err error, want string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != CodeBadRequest {
		t.Fatalf("got %v, want a 400 bad_request containing %q", err, want)
	}
	if !strings.Contains(e.Message, want) {
		t.Fatalf("message %q does not contain %q", e.Message, want)
	}
}

func TestParseDrivers(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		want    DriversRequest
		wantErr string
	}{
		{name: "defaults", query: "pair=CN-US", want: DriversRequest{Pair: "CN-US", From: testNow.AddDate(0, 0, -30), To: testNow, Limit: 20, Format: JSON}},
		{name: "exact range not aligned", query: "pair=CN-US&from=2025-04-02T10:30:00Z&to=2025-04-02T10:31:00Z&limit=1000&format=csv",
			want: DriversRequest{Pair: "CN-US", From: mustTime("2025-04-02T10:30:00Z"), To: mustTime("2025-04-02T10:31:00Z"), Limit: 1000, Format: CSV}},
		{name: "limit zero", query: "pair=CN-US&limit=0", wantErr: "limit: must be an integer from 1 to 1000 (got \"0\")"},
		{name: "limit too big", query: "pair=CN-US&limit=1001", wantErr: "limit: must be an integer from 1 to 1000"},
		{name: "limit negative", query: "pair=CN-US&limit=-5", wantErr: "limit: must be an integer"},
		{name: "limit plus", query: "pair=CN-US&limit=%2B5", wantErr: "limit: must be an integer"},
		{name: "limit sql", query: "pair=CN-US&limit=" + url.QueryEscape("5; DROP TABLE dyads"), wantErr: "limit: must be an integer"},
		{name: "limit overflow", query: "pair=CN-US&limit=99999999999999999999999", wantErr: "limit: must be an integer"},
		{name: "interval not taken", query: "pair=CN-US&interval=day", wantErr: `unknown parameter "interval"`},
		{name: "lang lower-cased", query: "pair=CN-US&lang=zh-Hant", want: DriversRequest{Pair: "CN-US", From: testNow.AddDate(0, 0, -30), To: testNow, Lang: "zh-hant", Limit: 20, Format: JSON}},
		{name: "lang three letters", query: "pair=CN-US&lang=YUE", want: DriversRequest{Pair: "CN-US", From: testNow.AddDate(0, 0, -30), To: testNow, Lang: "yue", Limit: 20, Format: JSON}},
		{name: "lang empty", query: "pair=CN-US&lang=", wantErr: "lang: empty"},
		{name: "lang wildcard", query: "pair=CN-US&lang=z%25", wantErr: "lang: \"z%\" is not a language tag"},
		{name: "lang underscore", query: "pair=CN-US&lang=zh_CN", wantErr: "lang: \"zh_CN\" is not a language tag"},
		{name: "lang digit primary", query: "pair=CN-US&lang=z1", wantErr: "is not a language tag"},
		{name: "lang one letter", query: "pair=CN-US&lang=z", wantErr: "is not a language tag"},
		{name: "lang long subtag", query: "pair=CN-US&lang=zh-abcdefghi", wantErr: "is not a language tag"},
		{name: "lang empty subtag", query: "pair=CN-US&lang=zh--Hant", wantErr: "is not a language tag"},
		{name: "lang too long", query: "pair=CN-US&lang=zh-aaaaaaaa-bbbbbbbb-cccccccc-dddddddd", wantErr: "is not a language tag"},
		{name: "huge range", query: "pair=CN-US&from=1970-01-01T00:00:00Z&to=2090-01-01T00:00:00Z", wantErr: "range:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDrivers(tt.query, testNow, DefaultRanges)
			if tt.wantErr != "" {
				assertBadRequest(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tt.want {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseArticleAndPairs(t *testing.T) {
	if _, err := ParseArticle("5f0c3a4e-8c1d-5b2a-9e7f-0a1b2c3d4e5f", ""); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", "42", "5f0c3a4e8c1d5b2a9e7f0a1b2c3d4e5f", "{5f0c3a4e-8c1d-5b2a-9e7f-0a1b2c3d4e5f}",
		"5f0c3a4e-8c1d-5b2a-9e7f-0a1b2c3d4e5g", "1' OR '1'='1"} {
		_, err := ParseArticle(id, "")
		assertBadRequest(t, err, "id: must be a UUID")
	}
	_, err := ParseArticle("5f0c3a4e-8c1d-5b2a-9e7f-0a1b2c3d4e5f", "format=csv")
	assertBadRequest(t, err, "format: this endpoint answers json only")
	_, err = ParseArticle("5f0c3a4e-8c1d-5b2a-9e7f-0a1b2c3d4e5f", "x=1")
	assertBadRequest(t, err, `unknown parameter "x"`)

	if r, err := ParsePairs("format=csv&tagger_version=v2"); err != nil || r.Format != CSV || r.TaggerVersion != "v2" {
		t.Fatalf("pairs: %+v %v", r, err)
	}
	_, err = ParsePairs("pair=CN-US")
	assertBadRequest(t, err, `unknown parameter "pair"`)
}

func TestRanges(t *testing.T) {
	r, err := ParseRanges("minute=2d,hour=744h")
	if err != nil || r.Minute != 48*time.Hour || r.Hour != 744*time.Hour || r.Day != DefaultRanges.Day {
		t.Fatalf("got %+v %v", r, err)
	}
	if got, err := ParseRanges(DefaultRanges.String()); err != nil || got != DefaultRanges {
		t.Fatalf("round trip %q: %+v %v", DefaultRanges.String(), got, err)
	}
	for _, bad := range []string{"minute", "week=1d", "minute=0d", "minute=-1h", "minute=xd", "hour=forever"} {
		if _, err := ParseRanges(bad); err == nil {
			t.Errorf("ParseRanges(%q): want an error", bad)
		}
	}
	// A tighter cap applies.
	_, err = ParseIndex("pair=CN-US&interval=minute&from=2025-04-01T00:00:00Z&to=2025-04-04T00:00:00Z", testNow, r)
	assertBadRequest(t, err, "range: 3 days is more than the 2 days allowed for interval=minute")
}

func TestIntervalAlignment(t *testing.T) {
	tests := []struct {
		iv              Interval
		in, floor, ceil string
	}{
		{Minute, "2025-04-02T10:05:30Z", "2025-04-02T10:05:00Z", "2025-04-02T10:06:00Z"},
		{Hour, "2025-04-02T10:00:00Z", "2025-04-02T10:00:00Z", "2025-04-02T10:00:00Z"},
		{Day, "2025-04-02T23:59:59Z", "2025-04-02T00:00:00Z", "2025-04-03T00:00:00Z"},
		{Month, "2025-12-15T00:00:00Z", "2025-12-01T00:00:00Z", "2026-01-01T00:00:00Z"},
		{Month, "2024-02-29T12:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"},
	}
	for _, tt := range tests {
		in := mustTime(tt.in)
		if got := tt.iv.floor(in); !got.Equal(mustTime(tt.floor)) {
			t.Errorf("%s floor(%s) = %s", tt.iv, tt.in, got)
		}
		if got := tt.iv.ceil(in); !got.Equal(mustTime(tt.ceil)) {
			t.Errorf("%s ceil(%s) = %s", tt.iv, tt.in, got)
		}
	}
}

// FuzzParseIndex: whatever the query string, the parser either answers a
// 400 with a short, valid UTF-8 message, or a request whose values are
// safe to bind: a well-formed sorted pair, an aligned range within the caps.
func FuzzParseIndex(f *testing.F) {
	for _, s := range []string{
		"pair=CN-US", "pair=CN-US&interval=minute&from=2025-04-02T10:00:00Z&to=2025-04-02T11:00:00Z",
		"pair=CN-US' OR 1=1 --", "pair=US-CN&interval=week", "pair=CN-US&from=2025-04-02&base_from=x",
		"pair=CN-US&interval=month&base_from=2018-01-01T00:00:00Z&base_to=2019-01-01T00:00:00Z",
		"pair=%ff&&&=&format=csv", "pair=CN-US&to=2099-12-31T23:59:59.999999999-23:59",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if len(q) > 4096 {
			t.Skip()
		}
		r, err := ParseIndex(q, testNow, DefaultRanges)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
				t.Fatalf("non-400 error: %v", err)
			}
			if !utf8.ValidString(e.Message) || len(e.Message) > 600 {
				t.Fatalf("bad message (%d bytes): %q", len(e.Message), e.Message)
			}
			return
		}
		if !pairRE.MatchString(r.Pair) || r.Pair[:2] >= r.Pair[3:] {
			t.Fatalf("pair %q", r.Pair)
		}
		if !r.From.Before(r.To) || !r.From.Equal(r.Interval.floor(r.From)) || !r.To.Equal(r.Interval.floor(r.To)) {
			t.Fatalf("range %v..%v not aligned to %s", r.From, r.To, r.Interval)
		}
		if r.To.Sub(r.From) > DefaultRanges.cap(r.Interval.rows()) || r.From.Before(minTime) || r.To.After(maxTime.AddDate(0, 1, 0)) {
			t.Fatalf("range %v..%v beyond caps", r.From, r.To)
		}
		if !r.BaseFrom.Before(r.BaseTo) || r.BaseTo.Sub(r.BaseFrom) > DefaultRanges.cap(r.BaseRows) {
			t.Fatalf("base %v..%v at %s", r.BaseFrom, r.BaseTo, r.BaseRows)
		}
		if coarsest(r.BaseFrom, r.BaseTo) != r.BaseRows {
			t.Fatalf("base rows %s", r.BaseRows)
		}
	})
}

// FuzzParseDrivers: same contract for /v1/drivers.
func FuzzParseDrivers(f *testing.F) {
	for _, s := range []string{"pair=CN-US&limit=5", "pair=CN-US&limit=1e3", "limit=-1&pair=EU-US&from=2025-01-01T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if len(q) > 4096 {
			t.Skip()
		}
		r, err := ParseDrivers(q, testNow, DefaultRanges)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
				t.Fatalf("non-400 error: %v", err)
			}
			return
		}
		if !pairRE.MatchString(r.Pair) || r.Limit < 1 || r.Limit > MaxLimit || !r.From.Before(r.To) {
			t.Fatalf("invalid request accepted: %+v", r)
		}
	})
}

var langTagRE = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// isLangTag is the pattern the OpenAPI document gives, bounded to 35 bytes.
func FuzzIsLangTag(f *testing.F) {
	for _, s := range []string{"zh", "zh-Hant", "und-Latn", "z", "zh_CN", "zh--x", "en-GB-oxendict", "1a", "zh-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isLangTag(s), len(s) <= 35 && langTagRE.MatchString(s); got != want {
			t.Fatalf("isLangTag(%q) = %v, want %v", s, got, want)
		}
	})
}
