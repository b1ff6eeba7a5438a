package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/synth"
)

func TestPacerSchedule(t *testing.T) {
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var slept []time.Duration
	p := newPacer(100) // 100 articles/s
	p.now = func() time.Time { return clock }
	p.sleep = func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		clock = clock.Add(d)
		return nil
	}
	ctx := context.Background()
	for range 5 {
		if err := p.Wait(ctx, 10); err != nil {
			t.Fatal(err)
		}
	}
	// Batch k of 10 is due at k*100ms; the first goes at once.
	want := []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}
	if fmt.Sprint(slept) != fmt.Sprint(want) {
		t.Fatalf("slept %v, want %v", slept, want)
	}
	// A slow sender that falls behind is not made to sleep.
	clock = clock.Add(time.Second)
	slept = nil
	p.Wait(ctx, 10)
	if len(slept) != 0 {
		t.Fatalf("slept %v while behind schedule", slept)
	}
}

func TestPacerUnlimitedAndCancel(t *testing.T) {
	p := newPacer(0)
	p.sleep = func(context.Context, time.Duration) error { t.Fatal("unlimited pacer slept"); return nil }
	for range 3 {
		if err := p.Wait(context.Background(), 1000); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	slow := newPacer(1)
	slow.Wait(ctx, 1)
	if err := slow.Wait(ctx, 1); err == nil {
		t.Fatal("Wait on a cancelled context returned nil")
	}
}

func TestPacerRealRate(t *testing.T) {
	p := newPacer(1000)
	start := time.Now()
	for range 21 {
		p.Wait(context.Background(), 10) // 200 articles due over 200 ms
	}
	if el := time.Since(start); el < 190*time.Millisecond || el > 600*time.Millisecond {
		t.Fatalf("210 articles at 1000/s took %v", el)
	}
}

func TestTrackerLatency(t *testing.T) {
	var tr tracker
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) func() time.Time {
		return func() time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	}
	tr.Accept(10, at(0))   // articles 1–10 accepted at 0 ms
	tr.Accept(10, at(100)) // 11–20 at 100 ms
	tr.Accept(5, at(200))  // 21–25 at 200 ms
	if got := tr.Observe(0, base.Add(300*time.Millisecond)); got != 25 {
		t.Fatalf("waiting %d, want 25", got)
	}
	// 15 visible at 500 ms: 10 × 500 ms, 5 × 400 ms.
	if got := tr.Observe(15, base.Add(500*time.Millisecond)); got != 10 {
		t.Fatalf("waiting %d, want 10", got)
	}
	// A count that goes back (a read from a lagging replica) changes nothing.
	tr.Observe(12, base.Add(600*time.Millisecond))
	// All visible at 1000 ms, and more than accepted (foreign traffic) is capped.
	if got := tr.Observe(40, base.Add(1000*time.Millisecond)); got != 0 {
		t.Fatalf("waiting %d, want 0", got)
	}
	s := tr.Stats()
	// Articles 1–10: 500 ms, 11–15: 400 ms, 16–20: 900 ms, 21–25: 800 ms.
	if s.Count != 25 {
		t.Fatalf("count %d", s.Count)
	}
	if s.P50 != 500 || s.P95 != 900 || s.P99 != 900 || s.Max != 900 {
		t.Fatalf("stats %+v", s)
	}
	if want := (5*400 + 10*500 + 5*800 + 5*900) / 25.0; s.Mean != want {
		t.Fatalf("mean %v, want %v", s.Mean, want)
	}
}

func TestPercentilesNearestRank(t *testing.T) {
	var lat []weighted
	for i := 1; i <= 100; i++ {
		lat = append(lat, weighted{time.Duration(i) * time.Millisecond, 1})
	}
	s := percentiles(lat)
	if s.P50 != 50 || s.P95 != 95 || s.P99 != 99 || s.Max != 100 || s.Count != 100 {
		t.Fatalf("%+v", s)
	}
	if z := percentiles(nil); z.Count != 0 || z.P99 != 0 {
		t.Fatalf("%+v", z)
	}
}

func TestAppendNDJSON(t *testing.T) {
	g := synth.New(1, time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC))
	arts := []synth.Article{g.Next(), g.Next(), g.Next()}
	arts[1].Text = "tariffs <&> \"quoted\"\nnew line"
	body, err := appendNDJSON(nil, arts)
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.NewBuffer(body)
	if !bytes.Contains(buf.Bytes(), []byte("<&>")) {
		t.Error("HTML characters were escaped")
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasSuffix(buf.String(), "\n") {
		t.Fatalf("%d lines: %q", len(lines), buf.String())
	}
	for i, l := range lines {
		var a synth.Article
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if a != arts[i] {
			t.Fatalf("line %d round trip: %+v != %+v", i, a, arts[i])
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":     time.Second,
		"0":    0,
		"3":    3 * time.Second,
		"junk": time.Second,
		"-4":   time.Second,
		"3600": time.Minute,
		now.Add(5 * time.Second).Format(http.TimeFormat): 5 * time.Second,
	}
	for v, want := range cases {
		if got := retryAfter(v, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

// fakeIngest accepts NDJSON like the real ingest, failing the first fail503
// requests with 503.
type fakeIngest struct {
	token    string
	fail503  atomic.Int32
	mu       sync.Mutex
	ids      map[string]bool
	accepted int
	lines    int
}

func (f *fakeIngest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/articles" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"code":"unauthorized","message":"bad token"}}`)
		return
	}
	if f.fail503.Add(-1) >= 0 {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":{"code":"unavailable","message":"kafka down"}}`)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"code":"content_type","message":%q}}`, ct)
		return
	}
	type item struct {
		ID        string `json:"id"`
		ArticleID string `json:"article_id"`
	}
	var out []item
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var a synth.Article
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil || a.Text == "" || a.PublishedAt.IsZero() {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"code":"invalid","message":"bad line"}}`)
			return
		}
		out = append(out, item{a.ID, "uuid-" + a.ID})
	}
	f.mu.Lock()
	for _, it := range out {
		if !f.ids[it.ID] {
			f.ids[it.ID] = true
			f.accepted++
		}
	}
	f.lines += len(out)
	f.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(map[string]any{"accepted": len(out), "articles": out})
}

func (f *fakeIngest) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accepted
}

// fakeQuery answers /v1/index with the ingest's count (plus a preexisting
// baseline), made visible after a delay, split over two buckets.
func fakeQuery(t *testing.T, ing *fakeIngest, baseline int, delay time.Duration) http.Handler {
	type snap struct {
		at time.Time
		n  int
	}
	var mu sync.Mutex
	var hist []snap
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/v1/index" || q.Get("pair") != "CN-US" || q.Get("interval") == "" {
			t.Errorf("unexpected query %s", r.URL)
			http.NotFound(w, r)
			return
		}
		for _, k := range []string{"from", "to"} {
			if _, err := time.Parse(time.RFC3339, q.Get(k)); err != nil {
				t.Errorf("%s: %v", k, err)
			}
		}
		now := time.Now()
		mu.Lock()
		hist = append(hist, snap{now, ing.count()})
		n := 0
		for _, s := range hist {
			if now.Sub(s.at) >= delay {
				n = s.n
			}
		}
		mu.Unlock()
		n += baseline
		json.NewEncoder(w).Encode(map[string]any{"pair": "CN-US", "interval": q.Get("interval"), "buckets": []map[string]any{
			{"start": "2025-01-01T00:00:00Z", "articles": n / 2, "dyad_articles": 0},
			{"start": "2025-01-01T00:01:00Z", "articles": n - n/2, "dyad_articles": 0},
		}})
	})
}

func TestRunEndToEnd(t *testing.T) {
	ing := &fakeIngest{token: "tok", ids: map[string]bool{}}
	ing.fail503.Store(2)
	isrv := httptest.NewServer(ing)
	defer isrv.Close()
	qsrv := httptest.NewServer(fakeQuery(t, ing, 7, 150*time.Millisecond))
	defer qsrv.Close()

	out := filepath.Join(t.TempDir(), "sum.json")
	var stdout, stderr bytes.Buffer
	t.Setenv("INGEST_URL", isrv.URL)
	t.Setenv("TENSION_TOKEN", "tok")
	err := run(context.Background(), []string{"-query-url", qsrv.URL, "-n", "2345", "-batch", "100", "-concurrency", "3",
		"-seed", "11", "-wait", "-wait-timeout", "10s", "-poll", "20ms", "-out", out}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if ing.count() != 2345 || ing.lines != 2345 {
		t.Fatalf("ingest saw %d distinct articles in %d lines", ing.count(), ing.lines)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var s summary
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.Accepted != 2345 || s.Rejected != 0 || s.Visible != 2345 || !s.Complete || s.Baseline != 7 {
		t.Fatalf("summary %+v", s)
	}
	if s.Retries503 != 2 || s.Requests != 24+2 {
		t.Fatalf("requests %d, 503 retries %d", s.Requests, s.Retries503)
	}
	// Articles turn visible 150 ms after the fake ingest accepted them;
	// loadgen stamps the accept when the answer reaches it, which on a
	// loaded machine is tens of ms later, so the median is bounded by half.
	if s.LatencyMs.Count != 2345 || s.LatencyMs.P50 < 75 || s.LatencyMs.Max > 5000 {
		t.Fatalf("latency %+v", s.LatencyMs)
	}
	if s.E2ESeconds <= 0 || s.E2ERate <= 0 || s.AcceptRate <= 0 {
		t.Fatalf("rates %+v", s)
	}
	if !strings.Contains(stdout.String(), "p95") {
		t.Fatalf("stdout lacks the latency line:\n%s", stdout.String())
	}
}

func TestRunRateLimited(t *testing.T) {
	ing := &fakeIngest{token: "tok", ids: map[string]bool{}}
	isrv := httptest.NewServer(ing)
	defer isrv.Close()
	var stdout bytes.Buffer
	start := time.Now()
	err := run(context.Background(), []string{"-ingest-url", isrv.URL, "-token", "tok", "-n", "300", "-rate", "1000",
		"-from", "2019-05-01", "-to", "2019-06-01"}, &stdout, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// 300 at 1000/s, batches of 100 ms: the last batch leaves at 200 ms.
	if el := time.Since(start); el < 190*time.Millisecond || el > 20*time.Second {
		t.Fatalf("took %v", el)
	}
	if ing.count() != 300 {
		t.Fatalf("accepted %d", ing.count())
	}
	if !strings.Contains(stdout.String(), "mode=history batch=100") {
		t.Fatalf("stdout: %s", stdout.String())
	}
}

func TestRunBadToken(t *testing.T) {
	ing := &fakeIngest{token: "tok", ids: map[string]bool{}}
	isrv := httptest.NewServer(ing)
	defer isrv.Close()
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"-ingest-url", isrv.URL, "-token", "wrong", "-n", "5000", "-batch", "10"}, &stdout, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v", err)
	}
	if ing.count() != 0 {
		t.Fatal("accepted with a bad token")
	}
}

func TestPostGivesUp(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c := &ingestClient{http: srv.Client(), url: srv.URL, retries: 3, sleep: sleepCtx}
	res, err := c.post(context.Background(), []byte("{}\n"), 1)
	if err == nil || calls.Load() != 4 || res.retries503 != 3 {
		t.Fatalf("err %v, calls %d, res %+v", err, calls.Load(), res)
	}
}

func TestPostPermanent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		io.WriteString(w, `{"error":{"code":"too_large","message":"body over 8 MiB","details":[]}}`)
	}))
	defer srv.Close()
	c := &ingestClient{http: srv.Client(), url: srv.URL, retries: 3, sleep: sleepCtx}
	_, err := c.post(context.Background(), []byte("{}\n"), 1)
	if err == nil || !strings.Contains(err.Error(), "413") || !strings.Contains(err.Error(), "body over 8 MiB") {
		t.Fatalf("err %v", err)
	}
}

func TestConfig(t *testing.T) {
	env := map[string]string{"INGEST_URL": "http://i:1/", "QUERY_URL": "http://q:2", "TENSION_TOKEN": "secret"}
	c, err := parseConfig([]string{"-rate", "200"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.ingestURL != "http://i:1" || c.queryURL != "http://q:2" || c.token != "secret" || c.batch != 20 || !c.live() {
		t.Fatalf("%+v", c)
	}
	c, err = parseConfig([]string{"-ingest-url", "http://x", "-seed", "0x10", "-from", "2018-01-01", "-to", "2018-01-01T06:00:00Z"}, func(string) string { return "" }, io.Discard)
	if err != nil || c.ingestURL != "http://x" || c.seed != 16 || c.batch != 500 || c.live() {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range [][]string{{"-n", "0"}, {"-from", "2018-01-01"}, {"-from", "2019-01-01", "-to", "2018-01-01"}, {"-seed", "x"}, {"extra"}} {
		if _, err := parseConfig(bad, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestHistoryRange(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	cases := []struct{ from, to, wantFrom, wantTo, interval string }{
		{"2025-04-02T10:30:20Z", "2025-04-02T12:00:00Z", "2025-04-02T10:30:00Z", "2025-04-02T12:00:00Z", "minute"},
		{"2025-04-02T10:30:20Z", "2025-04-09T12:00:01Z", "2025-04-02T10:00:00Z", "2025-04-09T13:00:00Z", "hour"},
		{"2018-01-01T05:00:00Z", "2026-01-01T00:00:00Z", "2018-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "day"},
	}
	for _, c := range cases {
		f, to, iv := historyRange(d(c.from), d(c.to))
		if f.Format(time.RFC3339) != c.wantFrom || to.Format(time.RFC3339) != c.wantTo || iv != c.interval {
			t.Errorf("%s..%s: got %v..%v %s", c.from, c.to, f, to, iv)
		}
	}
}
