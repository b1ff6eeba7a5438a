package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// site is a project-written test site: robots.txt, a feed with an ETag,
// redirects, a slow and a huge body, and a 429.
type site struct {
	*httptest.Server
	robotsHits atomic.Int64
	robotsCode int
	robotsBody string
	agents     sync.Map // User-Agent values seen
	inflight   atomic.Int64
	maxInfl    atomic.Int64
	pageHits   atomic.Int64
}

func newSite(t *testing.T) *site {
	s := &site{robotsCode: 200, robotsBody: "User-agent: *\nDisallow: /private/\n"}
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		s.robotsHits.Add(1)
		w.WriteHeader(s.robotsCode)
		fmt.Fprint(w, s.robotsBody)
	})
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Thu, 10 Apr 2025 08:00:00 GMT")
		fmt.Fprint(w, "<rss/>")
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/feed", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/to-private", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/private/x", http.StatusFound) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/private/x", func(w http.ResponseWriter, r *http.Request) { t.Error("fetched a disallowed page") })
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		chunk := strings.Repeat("x", 64<<10)
		for range 1024 { // 64 MiB, no Content-Length
			if _, err := fmt.Fprint(w, chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/huge-declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000000")
		fmt.Fprint(w, "x")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		for range 100 {
			fmt.Fprint(w, "x")
			w.(http.Flusher).Flush()
			select {
			case <-time.After(100 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	})
	mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
	mux.HandleFunc("/unavailable", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		s.pageHits.Add(1)
		n := s.inflight.Add(1)
		defer s.inflight.Add(-1)
		for {
			m := s.maxInfl.Load()
			if n <= m || s.maxInfl.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		fmt.Fprint(w, "ok")
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.agents.Store(r.Header.Get("User-Agent"), true)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *site) fetcher(mod func(*Config)) *Fetcher {
	u, _ := url.Parse(s.URL)
	cfg := Config{UserAgent: "TensionFollower/1.0 (+https://ops.example/contact)", HostInterval: time.Millisecond,
		Timeout: 5 * time.Second, TrustedHosts: []string{u.Hostname()}}
	if mod != nil {
		mod(&cfg)
	}
	return New(cfg)
}

func kindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return ""
}

func TestConditionalGETAndUserAgent(t *testing.T) {
	s := newSite(t)
	f := s.fetcher(nil)
	ctx := context.Background()
	r, err := f.Get(ctx, Request{URL: s.URL + "/feed"})
	if err != nil || r.Status != 200 || string(r.Body) != "<rss/>" || r.ETag != `"v1"` || r.LastModified == "" {
		t.Fatalf("first fetch: %+v, %v", r, err)
	}
	r, err = f.Get(ctx, Request{URL: s.URL + "/feed", ETag: r.ETag, LastModified: r.LastModified})
	if err != nil || r.Status != http.StatusNotModified || len(r.Body) != 0 {
		t.Fatalf("conditional fetch: %+v, %v", r, err)
	}
	if _, ok := s.agents.Load("TensionFollower/1.0 (+https://ops.example/contact)"); !ok {
		t.Fatal("the User-Agent was not sent")
	}
}

func TestRobots(t *testing.T) {
	s := newSite(t)
	f := s.fetcher(nil)
	ctx := context.Background()
	if _, err := f.Get(ctx, Request{URL: s.URL + "/private/x"}); kindOf(err) != KindRobots {
		t.Fatalf("disallowed page: %v", err)
	}
	var fe *Error
	if _, err := f.Get(ctx, Request{URL: s.URL + "/to-private"}); !errors.As(err, &fe) || fe.Kind != KindRobots || fe.Transient() {
		t.Fatalf("a redirect into a disallowed path: %v", err)
	}
	for range 3 {
		if _, err := f.Get(ctx, Request{URL: s.URL + "/feed"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.robotsHits.Load(); n != 1 {
		t.Fatalf("robots.txt fetched %d times, want 1 (cached per host)", n)
	}

	// A 404 allows everything; a 5xx disallows everything (RFC 9309).
	s404 := newSite(t)
	s404.robotsCode = 404
	if _, err := s404.fetcher(nil).Get(ctx, Request{URL: s404.URL + "/feed"}); err != nil {
		t.Fatalf("robots 404: %v", err)
	}
	s500 := newSite(t)
	s500.robotsCode = 503
	if _, err := s500.fetcher(nil).Get(ctx, Request{URL: s500.URL + "/feed"}); kindOf(err) != KindRobots {
		t.Fatalf("robots 503: %v, want disallowed", err)
	}
}

func TestRedirects(t *testing.T) {
	s := newSite(t)
	f := s.fetcher(func(c *Config) { c.MaxRedirects = 3 })
	r, err := f.Get(context.Background(), Request{URL: s.URL + "/moved"})
	if err != nil || r.URL != s.URL+"/feed" || r.Redirects != 1 {
		t.Fatalf("redirect: %+v, %v", r, err)
	}
	if _, err := f.Get(context.Background(), Request{URL: s.URL + "/loop"}); kindOf(err) != KindRedirects {
		t.Fatalf("loop: %v", err)
	}
}

func TestBoundedBodies(t *testing.T) {
	s := newSite(t)
	f := s.fetcher(func(c *Config) { c.Timeout = time.Second })
	ctx := context.Background()
	for _, path := range []string{"/huge", "/huge-declared"} {
		start := time.Now()
		_, err := f.Get(ctx, Request{URL: s.URL + path, MaxBytes: 1 << 20})
		if kindOf(err) != KindTooLarge {
			t.Fatalf("%s: %v, want too_large", path, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s took %v", path, d)
		}
	}
	start := time.Now()
	_, err := f.Get(ctx, Request{URL: s.URL + "/slow"})
	var fe *Error
	if !errors.As(err, &fe) || fe.Kind != KindTimeout || !fe.Transient() {
		t.Fatalf("slow body: %v, want a transient timeout", err)
	}
	if d := time.Since(start); d < time.Second || d > 4*time.Second {
		t.Fatalf("slow body cut after %v, want about the 1 s timeout", d)
	}
}

func TestHTTPErrors(t *testing.T) {
	s := newSite(t)
	f := s.fetcher(nil)
	var fe *Error
	_, err := f.Get(context.Background(), Request{URL: s.URL + "/busy"})
	if !errors.As(err, &fe) || fe.Status != 429 || fe.RetryAfter != 2*time.Minute || !fe.Transient() {
		t.Fatalf("429: %+v", err)
	}
	f = s.fetcher(nil) // the 429 paused the host for f (TestHostPausedAfter429)
	_, err = f.Get(context.Background(), Request{URL: s.URL + "/gone"})
	if !errors.As(err, &fe) || fe.Status != 410 || fe.Transient() {
		t.Fatalf("410: %+v", err)
	}
	if _, err := f.Get(context.Background(), Request{URL: "ftp://x.test/a"}); kindOf(err) != KindURL {
		t.Fatalf("ftp: %v", err)
	}
}

func TestPrivateAddressesRefused(t *testing.T) {
	s := newSite(t)
	f := s.fetcher(func(c *Config) { c.TrustedHosts = nil })
	var fe *Error
	_, err := f.Get(context.Background(), Request{URL: s.URL + "/feed"})
	if !errors.As(err, &fe) || fe.Kind != KindAddress || fe.Transient() {
		t.Fatalf("loopback fetch without trust: %v", err)
	}
	f = s.fetcher(func(c *Config) { c.TrustedHosts, c.AllowPrivate = nil, true })
	if _, err := f.Get(context.Background(), Request{URL: s.URL + "/feed"}); err != nil {
		t.Fatalf("with AllowPrivate: %v", err)
	}
}

func TestHostGate(t *testing.T) {
	s := newSite(t)
	f := s.fetcher(func(c *Config) { c.HostInterval, c.HostConcurrency = 100*time.Millisecond, 1 })
	ctx := context.Background()
	if _, err := f.Get(ctx, Request{URL: s.URL + "/feed"}); err != nil { // robots.txt and the feed
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := f.Get(ctx, Request{URL: s.URL + "/page"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if d := time.Since(start); d < 350*time.Millisecond {
		t.Fatalf("4 requests in %v: the 100 ms host interval was not kept", d)
	}
	if m := s.maxInfl.Load(); m != 1 {
		t.Fatalf("%d requests in flight to one host, cap 1", m)
	}
	// A cancelled caller leaves the queue at once.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.Get(cctx, Request{URL: s.URL + "/page"}); err == nil {
		t.Fatal("a cancelled fetch succeeded")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 4, 10, 8, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"": 0, "30": 30 * time.Second, "-5": 0, "999999": 24 * time.Hour, "soon": 0,
		"Thu, 10 Apr 2025 08:02:00 GMT": 2 * time.Minute,
	} {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// A 429 pauses the whole host for its Retry-After (at least a minute):
// the next requests are not made at all, and robots.txt is not taken for
// a failed one. A 503 without Retry-After pauses nothing.
func TestHostPausedAfter429(t *testing.T) {
	s := newSite(t)
	now := time.Date(2025, 4, 10, 8, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	f := s.fetcher(func(c *Config) {
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	ctx := context.Background()
	if _, err := f.Get(ctx, Request{URL: s.URL + "/unavailable"}); kindOf(err) != KindHTTP {
		t.Fatalf("503: %v", err)
	}
	if _, err := f.Get(ctx, Request{URL: s.URL + "/page"}); err != nil {
		t.Fatalf("a 503 without Retry-After paused the host: %v", err)
	}
	if _, err := f.Get(ctx, Request{URL: s.URL + "/busy"}); kindOf(err) != KindHTTP { // Retry-After: 120
		t.Fatalf("429: %v", err)
	}
	var fe *Error
	_, err := f.Get(ctx, Request{URL: s.URL + "/page"})
	if !errors.As(err, &fe) || fe.Kind != KindPaused || !fe.Transient() || fe.RetryAfter != 2*time.Minute {
		t.Fatalf("right after a 429: %v", err)
	}
	if n := s.pageHits.Load(); n != 1 {
		t.Fatalf("%d requests for /page; the paused host was asked anyway", n)
	}
	advance(119 * time.Second)
	if _, err := f.Get(ctx, Request{URL: s.URL + "/feed"}); kindOf(err) != KindPaused {
		t.Fatalf("1 s before the pause ends: %v", err)
	}
	advance(2 * time.Second)
	if _, err := f.Get(ctx, Request{URL: s.URL + "/page"}); err != nil {
		t.Fatalf("after the pause: %v", err)
	}
	if _, err := f.Get(ctx, Request{URL: s.URL + "/private/x"}); kindOf(err) != KindRobots {
		t.Fatalf("robots.txt lost after the pause: %v", err)
	}
	if n := s.robotsHits.Load(); n != 1 {
		t.Fatalf("robots.txt fetched %d times", n)
	}
	if got := hostPause(429, 0); got != DefaultHostPause {
		t.Fatalf("429 without Retry-After pauses %v", got)
	}
}
