package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/tension"

	"github.com/tension-dev/tension/services/query/internal/store"
)

// fakeStore answers from memory and records the queries it got.
type fakeStore struct {
	buckets  []store.Bucket
	base     [2]int64
	drivers  []store.Driver
	article  *store.Article
	pairs    []store.PairSummary
	entities []store.EntityCount
	cues     []store.CueCount
	err      error
	topQ     []store.TopQuery
	inRange  int64 // what ArticlesIn answers

	indexQ  []store.IndexQuery
	baseQ   []store.BaseQuery
	pings   int
	pingErr error
}

func (f *fakeStore) Index(_ context.Context, q store.IndexQuery) ([]store.Bucket, error) {
	f.indexQ = append(f.indexQ, q)
	return f.buckets, f.err
}

func (f *fakeStore) Base(_ context.Context, q store.BaseQuery) (int64, int64, error) {
	f.baseQ = append(f.baseQ, q)
	return f.base[0], f.base[1], f.err
}

func (f *fakeStore) Drivers(context.Context, store.DriversQuery) ([]store.Driver, error) {
	return f.drivers, f.err
}

func (f *fakeStore) Article(_ context.Context, id uuid.UUID) (*store.Article, error) {
	if f.err != nil {
		return nil, f.err
	}
	if f.article == nil || f.article.ArticleID != id {
		return nil, store.ErrNotFound
	}
	return f.article, nil
}

func (f *fakeStore) Pairs(context.Context, string) ([]store.PairSummary, error) {
	return f.pairs, f.err
}

func (f *fakeStore) TopEntities(_ context.Context, q store.TopQuery) ([]store.EntityCount, error) {
	f.topQ = append(f.topQ, q)
	return f.entities, f.err
}

func (f *fakeStore) TopCues(_ context.Context, q store.TopQuery) ([]store.CueCount, error) {
	f.topQ = append(f.topQ, q)
	return f.cues, f.err
}

func (f *fakeStore) ArticlesIn(context.Context, time.Time, time.Time) (int64, error) {
	return f.inRange, f.err
}

func (f *fakeStore) Ping(context.Context) error { f.pings++; return f.pingErr }

func serve(t *testing.T, s Store, cfg Config, method, target string) (*http.Response, string) {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	h := New(s, cfg)
	req := httptest.NewRequest(method, target, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestIndexJSON(t *testing.T) {
	fs := &fakeStore{buckets: []store.Bucket{
		{Start: mustTime("2025-04-02T00:00:00Z"), Parts: tension.Parts{Articles: 10, DyadArticles: 4, Escalating: 3, Deescalating: 1, SumScore: 1.2, SumWeight: 12}},
		{Start: mustTime("2025-04-03T00:00:00Z"), Parts: tension.Parts{Articles: 10}},
	}}
	resp, body := serve(t, fs, Config{}, "GET", "/v1/index?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-04-05T00:00:00Z")
	want := `{"pair":"CN-US","interval":"day","from":"2025-04-01T00:00:00Z","to":"2025-04-05T00:00:00Z","tagger_version":"",` +
		`"base":{"from":"2025-04-01T00:00:00Z","to":"2025-04-05T00:00:00Z","share":0.15},"buckets":[` +
		`{"start":"2025-04-02T00:00:00Z","articles":10,"dyad_articles":4,"escalating":3,"deescalating":1,"mixed":0,"sum_score":1.2,"sum_weight":12,"net_tension":0.3,"tension_share":0.3,"tension_index":200},` +
		`{"start":"2025-04-03T00:00:00Z","articles":10,"dyad_articles":0,"escalating":0,"deescalating":0,"mixed":0,"sum_score":0,"sum_weight":0,"net_tension":0,"tension_share":0,"tension_index":0}]}` + "\n"
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" || body != want {
		t.Fatalf("got %d %s\n%s\nwant\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body, want)
	}
	if len(fs.baseQ) != 0 {
		t.Errorf("the default base should be summed from the buckets, not queried: %+v", fs.baseQ)
	}
	q := fs.indexQ[0]
	if q.Pair != "CN-US" || q.Granularity != tension.Day || q.ByMonth || !q.From.Equal(mustTime("2025-04-01T00:00:00Z")) {
		t.Errorf("store query %+v", q)
	}
}

func TestIndexMonthAndBase(t *testing.T) {
	fs := &fakeStore{base: [2]int64{1, 4}, buckets: []store.Bucket{
		{Start: mustTime("2025-04-01T00:00:00Z"), Parts: tension.Parts{Articles: 2, DyadArticles: 1, Escalating: 1, SumScore: 0.5}},
	}}
	_, body := serve(t, fs, Config{}, "GET", "/v1/index?pair=CN-US&interval=month&from=2025-04-01T00:00:00Z&to=2025-05-01T00:00:00Z&base_from=2024-01-01T00:00:00Z&base_to=2025-01-01T00:00:00Z&format=csv")
	want := "start,articles,dyad_articles,escalating,deescalating,mixed,sum_score,sum_weight,net_tension,tension_share,tension_index\n" +
		"2025-04-01T00:00:00Z,2,1,1,0,0,0.5,0,0.5,0.5,200\n"
	if body != want {
		t.Fatalf("got\n%s\nwant\n%s", body, want)
	}
	if q := fs.indexQ[0]; !q.ByMonth || q.Granularity != tension.Day {
		t.Errorf("month must read day rows grouped by month: %+v", q)
	}
	if len(fs.baseQ) != 1 || fs.baseQ[0].Granularity != tension.Day || !fs.baseQ[0].From.Equal(mustTime("2024-01-01T00:00:00Z")) {
		t.Errorf("base query %+v", fs.baseQ)
	}
}

func TestErrorsEnvelope(t *testing.T) {
	tests := []struct {
		name       string
		store      *fakeStore
		method     string
		target     string
		wantStatus int
		wantBody   string
	}{
		{"bad interval", &fakeStore{}, "GET", "/v1/index?pair=CN-US&interval=week", 400,
			`{"error":{"code":"bad_request","message":"interval: must be one of minute, hour, day, month (got \"week\")"}}`},
		{"unknown endpoint", &fakeStore{}, "GET", "/v1/nope", 404,
			`{"error":{"code":"not_found","message":"no such endpoint; see / (dashboard), /v1/index, /v1/drivers, /v1/entities/top, /v1/cues/top, /v1/articles/{id}, /v1/pairs, /v1/annotations, /v1/leadlag"}}`},
		{"post", &fakeStore{}, "POST", "/v1/index?pair=CN-US", 405,
			`{"error":{"code":"method_not_allowed","message":"POST is not allowed; use GET"}}`},
		{"article not found", &fakeStore{}, "GET", "/v1/articles/5f0c3a4e-8c1d-5b2a-9e7f-0a1b2c3d4e5f", 404,
			`{"error":{"code":"not_found","message":"not found"}}`},
		{"article bad id", &fakeStore{}, "GET", "/v1/articles/nope", 400,
			`{"error":{"code":"bad_request","message":"id: must be a UUID such as 5f0c3a4e-8c1d-5b2a-9e7f-0a1b2c3d4e5f (got \"nope\")"}}`},
		{"unavailable", &fakeStore{err: fmt.Errorf("store: index: %w: dial tcp: refused", chstore.ErrUnavailable)}, "GET", "/v1/index?pair=CN-US", 503,
			`{"error":{"code":"unavailable","message":"ClickHouse is unavailable; retry later"}}`},
		{"timeout", &fakeStore{err: fmt.Errorf("store: index: %w", context.DeadlineExceeded)}, "GET", "/v1/pairs", 503,
			`{"error":{"code":"unavailable","message":"the query took too long; narrow the range or retry later"}}`},
		{"internal", &fakeStore{err: errors.New("store: pairs: scan: boom")}, "GET", "/v1/pairs", 500,
			`{"error":{"code":"internal","message":"internal error"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := serve(t, tt.store, Config{}, tt.method, tt.target)
			if resp.StatusCode != tt.wantStatus || body != tt.wantBody+"\n" {
				t.Fatalf("got %d %s\nwant %d %s", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("content type %q", resp.Header.Get("Content-Type"))
			}
			if tt.wantStatus == 503 && resp.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		})
	}
}

// TestUnreachableClickHouse runs the real store against a port where
// nothing listens: the answer is 503, not 500.
func TestUnreachableClickHouse(t *testing.T) {
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{"127.0.0.1:1"}, DialTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s := store.New(conn, time.Second)
	for _, target := range []string{"/v1/index?pair=CN-US", "/v1/drivers?pair=CN-US", "/v1/pairs",
		"/v1/articles/5f0c3a4e-8c1d-5b2a-9e7f-0a1b2c3d4e5f", "/readyz"} {
		resp, body := serve(t, s, Config{}, "GET", target)
		if resp.StatusCode != 503 || !strings.Contains(body, `"code":"unavailable"`) {
			t.Errorf("%s: got %d %s, want 503", target, resp.StatusCode, body)
		}
	}
}

func TestReadyzCachesAndDrains(t *testing.T) {
	fs := &fakeStore{}
	now := testNow
	a := New(fs, Config{Now: func() time.Time { return now }, ReadyTTL: 2 * time.Second})
	get := func() int {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		return rec.Code
	}
	// Two probes within the TTL: both answer 200 from one ping.
	first, second := get(), get()
	if first != 200 || second != 200 || fs.pings != 1 {
		t.Fatalf("probes %d %d, pings %d, want 200 200 and 1 ping within the TTL", first, second, fs.pings)
	}
	now = now.Add(3 * time.Second)
	fs.pingErr = fmt.Errorf("%w: down", chstore.ErrUnavailable)
	if code := get(); code != 503 || fs.pings != 2 {
		t.Fatalf("after TTL: %d, pings %d", code, fs.pings)
	}
	fs.pingErr = nil
	now = now.Add(3 * time.Second)
	a.Drain()
	if code := get(); code != 503 {
		t.Fatalf("draining: %d", code)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := New(&fakeStore{}, Config{Registry: reg, Now: func() time.Time { return testNow }})
	for _, target := range []string{"/v1/pairs", "/v1/index?pair=bad", "/healthz"} {
		a.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	}
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`tension_query_requests_total{code="200",route="/v1/pairs"} 1`,
		`tension_query_requests_total{code="400",route="/v1/index"} 1`,
		`tension_query_request_duration_seconds_count{route="/healthz"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestDriversAndArticleEncoding(t *testing.T) {
	id := uuid.MustParse("5f0c3a4e-8c1d-5b2a-9e7f-0a1b2c3d4e5f")
	fs := &fakeStore{
		drivers: []store.Driver{{ArticleID: id, TaggerVersion: "v1", PublishedAt: mustTime("2025-04-02T10:00:00Z"),
			Title: "@home, \"quoted\"", URL: "https://x.example/a", Source: "-wire", Tension: -0.5, Direction: "de-escalation",
			Weight: 7, NCues: 1, Cues: []store.Cue{{Text: "=cmd|' /C calc'!A0", Category: "talks", Actor: "CN", Target: "US",
				Polarity: -1, Weight: 7, Hedged: true, Source: "ministry", SourceType: "GOV", Sentence: 2, StartOffset: 10, EndOffset: 20}},
			Lang: "zh-Hant", PublishedAtSource: "page"},
			{ArticleID: uuid.Nil, TaggerVersion: "v1", PublishedAt: mustTime("2025-04-02T09:00:00Z"), Direction: "neutral",
				Lang: "fr", Unsupported: true}},
		article: &store.Article{ArticleID: id, TaggerVersion: "v1", Title: "t"},
	}
	_, body := serve(t, fs, Config{}, "GET", "/v1/drivers?pair=CN-US&format=csv")
	want := "rank,article_id,tagger_version,published_at,title,url,source,tension,direction,weight,n_cues,cue_text,cue_category,cue_actor,cue_target,cue_polarity,cue_weight,cue_hedged,cue_negated,cue_future,cue_background,cue_source,cue_source_type,cue_sentence,cue_start_offset,cue_end_offset,lang,unsupported,published_at_source\n" +
		"1,5f0c3a4e-8c1d-5b2a-9e7f-0a1b2c3d4e5f,v1,2025-04-02T10:00:00Z,\"'@home, \"\"quoted\"\"\",https://x.example/a,'-wire,-0.5,de-escalation,7,1,'=cmd|' /C calc'!A0,talks,CN,US,-1,7,true,false,false,false,ministry,GOV,2,10,20,zh-Hant,false,page\n" +
		"2,00000000-0000-0000-0000-000000000000,v1,2025-04-02T09:00:00Z,,,,0,neutral,0,0,,,,,,,,,,,,,,,,fr,true,\n"
	if body != want {
		t.Fatalf("drivers csv:\n%s\nwant\n%s", body, want)
	}
	_, body = serve(t, fs, Config{}, "GET", "/v1/drivers?pair=CN-US")
	if !strings.Contains(body, `"cues":[]`) || !strings.Contains(body, `"title":"@home, \"quoted\""`) ||
		strings.Count(body, `"published_at_source":"page"`) != 1 || strings.Count(body, `"published_at_source"`) != 1 {
		t.Errorf("drivers json: %s", body)
	}
	_, body = serve(t, fs, Config{}, "GET", "/v1/articles/"+id.String())
	for _, want := range []string{`"article_id":"5f0c3a4e-8c1d-5b2a-9e7f-0a1b2c3d4e5f"`, `"countries":[]`, `"entities":[]`, `"dyads":[]`} {
		if !strings.Contains(body, want) {
			t.Errorf("article json lacks %s: %s", want, body)
		}
	}
}

func TestEmptyListsAreArrays(t *testing.T) {
	for _, target := range []string{"/v1/index?pair=CN-US", "/v1/drivers?pair=CN-US", "/v1/pairs", "/v1/entities/top", "/v1/cues/top?pair=CN-US"} {
		_, body := serve(t, &fakeStore{}, Config{}, "GET", target)
		// next_offset is null on the last page by contract; lists never are.
		if strings.Contains(strings.ReplaceAll(body, `"next_offset":null`, ""), "null") {
			t.Errorf("%s: null in %s", target, body)
		}
	}
	_, body := serve(t, &fakeStore{}, Config{}, "GET", "/v1/pairs?format=csv")
	if body != "pair,dyad_articles,first,last\n" {
		t.Errorf("empty csv: %q", body)
	}
}

// A ranked list that would read more articles than MaxTopArticles from the
// raw tables (a lang= filter reads the whole range raw) is refused before
// the store runs it (18.16 cannot stop such a query), saying how many; at
// the limit it runs. Whole days come from the rollups and count nothing.
func TestTopListsRefuseRangesOverTheArticleLimit(t *testing.T) {
	const q = "pair=CN-US&lang=en&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z"
	const days = "pair=CN-US&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z"
	for _, tc := range []struct {
		path    string
		inRange int64
		max     int64
		status  int
	}{
		{"/v1/entities/top?" + days, DefaultMaxTopArticles + 1, 0, 200},
		{"/v1/cues/top?" + days, 11, 10, 200},
		{"/v1/entities/top?" + q, DefaultMaxTopArticles + 1, 0, 400},
		{"/v1/cues/top?" + q, DefaultMaxTopArticles + 1, 0, 400},
		{"/v1/entities/top?" + q, DefaultMaxTopArticles, 0, 200},
		{"/v1/cues/top?" + q, 11, 10, 400},
		{"/v1/cues/top?" + q, 10, 10, 200},
	} {
		fs := &fakeStore{inRange: tc.inRange}
		resp, body := serve(t, fs, Config{MaxTopArticles: tc.max}, "GET", tc.path)
		if resp.StatusCode != tc.status {
			t.Errorf("%s with %d articles (limit %d): %d %s", tc.path, tc.inRange, tc.max, resp.StatusCode, body)
			continue
		}
		if tc.status == 400 {
			if !strings.Contains(body, fmt.Sprintf(`range: %d articles from 2024-01-01T00:00:00Z to 2025-01-01T00:00:00Z`, tc.inRange)) {
				t.Errorf("%s: the refusal says %s", tc.path, body)
			}
			if len(fs.topQ) != 0 {
				t.Errorf("%s: the store ran the list although the range was refused", tc.path)
			}
		}
	}
}

func TestTopListsAndPaging(t *testing.T) {
	fs := &fakeStore{entities: []store.EntityCount{
		{Canonical: "Washington", Type: "GOV", Country: "US", Articles: 5, Mentions: 9},
		{Canonical: "=Reuters", Type: "MEDIA", Articles: 3, Mentions: 3},
		{Canonical: "Beijing", Type: "GOV", Country: "CN", Articles: 1, Mentions: 1},
	}}
	resp, body := serve(t, fs, Config{}, "GET", "/v1/entities/top?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-04-02T00:00:00Z&limit=2&offset=4")
	if resp.StatusCode != 200 || !strings.Contains(body, `"offset":4,"next_offset":6,"entities":[{"canonical":"Washington","type":"GOV","country":"US","articles":5,"mentions":9},{"canonical":"=Reuters"`) {
		t.Fatalf("entities: %d %s", resp.StatusCode, body)
	}
	if q := fs.topQ[0]; q.Limit != 3 || q.Offset != 4 || q.Pair != "CN-US" {
		t.Errorf("store asked %+v, want limit+1 rows from the offset", q)
	}
	_, body = serve(t, fs, Config{}, "GET", "/v1/entities/top?from=2025-04-01T00:00:00Z&to=2025-04-02T00:00:00Z&limit=5&format=csv")
	if body != "rank,canonical,type,country,articles,mentions\n1,Washington,GOV,US,5,9\n2,'=Reuters,MEDIA,,3,3\n3,Beijing,GOV,CN,1,1\n" {
		t.Errorf("entities csv: %q", body)
	}
	if q := fs.topQ[1]; q.Pair != "" {
		t.Errorf("entities without a pair count every article: %+v", q)
	}

	fs = &fakeStore{cues: []store.CueCount{{Text: "raises tariffs", Category: "tariff", Polarity: 1, Actor: "US", Target: "CN", Count: 2, Articles: 2, TotalWeight: 14, MaxWeight: 7}}}
	_, body = serve(t, fs, Config{}, "GET", "/v1/cues/top?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-04-02T00:00:00Z")
	if !strings.Contains(body, `"next_offset":null,"cues":[{"text":"raises tariffs","category":"tariff","polarity":1,"actor":"US","target":"CN","count":2,"articles":2,"total_weight":14,"max_weight":7}]`) {
		t.Errorf("cues: %s", body)
	}
	resp, body = serve(t, fs, Config{}, "GET", "/v1/cues/top")
	if resp.StatusCode != 400 || !strings.Contains(body, "pair: required") {
		t.Errorf("cues without pair: %d %s", resp.StatusCode, body)
	}
}

func TestHostileInputs(t *testing.T) {
	for _, target := range []string{
		"/v1/entities/top?pair=CN-US%27%20OR%201=1%20--",
		"/v1/entities/top?from=2025-04-01%27;DROP%20TABLE%20articles",
		"/v1/entities/top?from=1970-01-01T00:00:00Z&to=2099-01-01T00:00:00Z",
		"/v1/entities/top?limit=1e9",
		"/v1/entities/top?offset=-1",
		"/v1/entities/top?offset=99999999",
		"/v1/entities/top?sort=1;SELECT",
		"/v1/cues/top?pair=XX-ZZ",
		"/v1/cues/top?pair=CN-US&tagger_version=a%27b%20c",
		"/v1/cues/top?pair=CN-US&from=yesterday",
		"/v1/drivers?pair=CN-US&offset=1%20OR%201",
		"/v1/drivers?pair=CN-US&from=2025-13-01T00:00:00Z",
		"/v1/index?pair=CN-US&interval=fortnight",
		"/v1/index?pair=CN-US&interval=minute&from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z",
		"/v1/index?pair=cn-us",
		"/v1/index?pair=CN-US&pair=EU-US",
	} {
		fs := &fakeStore{}
		resp, body := serve(t, fs, Config{}, "GET", target)
		if resp.StatusCode != 400 || !strings.HasPrefix(body, `{"error":{"code":"bad_request","message":"`) {
			t.Errorf("%s: %d %s", target, resp.StatusCode, body)
		}
		if len(fs.topQ)+len(fs.indexQ) != 0 {
			t.Errorf("%s reached the store", target)
		}
	}
}

func TestReadTokens(t *testing.T) {
	cfg := Config{Tokens: []string{"s3cret", "other"}}
	check := func(target, auth string, want int) {
		t.Helper()
		h := New(&fakeStore{}, cfg)
		req := httptest.NewRequest("GET", target, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("%s with %q: %d %s, want %d", target, auth, rec.Code, rec.Body, want)
		}
		if want == 401 && rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", target)
		}
	}
	check("/v1/pairs", "", 401)
	check("/v1/pairs", "Basic czNjcmV0", 401)
	check("/v1/pairs", "Bearer nope", 403)
	check("/v1/pairs", "Bearer s3cre", 403)
	check("/v1/pairs", "Bearer s3cret", 200)
	check("/v1/pairs", "bearer other", 200)
	check("/metrics", "", 401)
	check("/healthz", "", 200)
	check("/", "", 200)
	cfg.Tokens = nil
	check("/v1/pairs", "", 200)
}
