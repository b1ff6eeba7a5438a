package follow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/services/follow/internal/fetch"
	"github.com/tension-dev/tension/services/follow/internal/sources"
	"github.com/tension-dev/tension/services/follow/internal/state"
)

// sampleDir is the project's sample site (samples/feeds): the same feeds
// and pages `make run` follows.
const sampleDir = "../../../../samples/feeds"

// site serves the sample site with ETags (conditional GET), plus handlers
// a test installs for its own paths. It records every request.
type site struct {
	*httptest.Server
	mu       sync.Mutex
	hits     map[string]int
	agents   map[string]bool
	handlers map[string]http.HandlerFunc
}

func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{hits: map[string]int{}, agents: map[string]bool{}, handlers: map[string]http.HandlerFunc{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.agents[r.Header.Get("User-Agent")] = true
	h := s.handlers[r.URL.Path]
	s.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	path := filepath.Join(sampleDir, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/")))
	b, err := os.ReadFile(path)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256(b)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	switch filepath.Ext(path) {
	case ".xml":
		w.Header().Set("Content-Type", "application/xml")
	case ".html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	http.ServeContent(w, r, path, time.Time{}, strings.NewReader(string(b)))
}

func (s *site) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[path] = h
}

func (s *site) hit(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// writer records what is published; fail makes writes fail.
type writer struct {
	mu   sync.Mutex
	msgs []kafka.Message
	fail error
}

func (w *writer) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail != nil {
		return w.fail
	}
	w.msgs = append(w.msgs, msgs...)
	return nil
}

func (w *writer) articles(t *testing.T) []event.Article {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []event.Article
	for _, m := range w.msgs {
		a, err := event.DecodeArticle(m.Value, event.DecodeOptions{FromTopic: true})
		if err != nil {
			t.Fatalf("published a record the enricher refuses: %v\n%s", err, m.Value)
		}
		if string(m.Key) != a.ArticleID {
			t.Fatalf("key %s, article_id %s", m.Key, a.ArticleID)
		}
		out = append(out, a)
	}
	return out
}

func (w *writer) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.msgs)
}

type harness struct {
	t         *testing.T
	site      *site
	statePath string
	raw, dlq  *writer
	reg       *prometheus.Registry
	now       time.Time
	srcs      []sources.Source
	mod       func(*Config)
}

func newHarness(t *testing.T, srcs ...sources.Source) *harness {
	h := &harness{t: t, site: newSite(t), statePath: filepath.Join(t.TempDir(), "state"), raw: &writer{}, dlq: &writer{},
		now: time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)}
	for _, s := range srcs {
		if s.Interval == 0 {
			s.Interval = 15 * time.Minute
		}
		if s.FullText == "" {
			s.FullText = sources.FullTextAuto
		}
		s.URL = h.site.URL + s.URL
		h.srcs = append(h.srcs, s)
	}
	return h
}

// itemsWithPages serves /feed.xml (with an ETag) listing n items whose
// pages, /p<i>.html, answer with an article unless answer(w, i) answered
// already (true).
func (h *harness) itemsWithPages(n int, answer func(w http.ResponseWriter, i int) bool) {
	var items strings.Builder
	for i := range n {
		fmt.Fprintf(&items, `<item><title>Item %d</title><link>/p%d.html</link><guid>p%d</guid><description>Summary %d.</description><pubDate>Sat, 01 Nov 2025 0%d:00:00 GMT</pubDate></item>`, i, i, i, i, i)
	}
	h.site.handle("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"same"`)
		fmt.Fprint(w, `<rss version="2.0"><channel>`+items.String()+`</channel></rss>`)
	})
	for i := range n {
		h.site.handle(fmt.Sprintf("/p%d.html", i), func(w http.ResponseWriter, r *http.Request) {
			if !answer(w, i) {
				fmt.Fprintf(w, `<html><body><article><p>The page text of item %d, long enough to be an article about tariffs, talks and the ports that handle the trade.</p></article></body></html>`, i)
			}
		})
	}
}

// follower builds a Follower over the harness's state file: a new one is
// a restart.
func (h *harness) follower() *Follower {
	h.t.Helper()
	st, err := state.Open(h.statePath)
	if err != nil {
		h.t.Fatal(err)
	}
	u, _ := url.Parse(h.site.URL)
	h.reg = prometheus.NewRegistry()
	cfg := Config{
		Sources: h.srcs, Store: st, Raw: h.raw, DLQ: h.dlq,
		Fetcher: fetch.New(fetch.Config{UserAgent: "TensionFollower/1.0 (+https://ops.example/contact)", HostInterval: time.Millisecond,
			Timeout: 2 * time.Second, TrustedHosts: []string{u.Hostname()}}),
		Now:     func() time.Time { return h.now },
		Metrics: NewMetrics(h.reg),
	}
	if h.mod != nil {
		h.mod(&cfg)
	}
	return New(cfg)
}

func samples() []sources.Source {
	return []sources.Source{
		{URL: "/harborline/rss.xml", Name: "harborline", Lang: "en"},
		{URL: "/eastbridge/atom.xml", Name: "eastbridge"},
		{URL: "/capital-wire/rss.xml", Name: "capital-wire", Lang: "en", FullText: sources.FullTextNo},
	}
}

func byTitle(arts []event.Article) map[string]event.Article {
	m := map[string]event.Article{}
	for _, a := range arts {
		m[a.Title] = a
	}
	return m
}

func TestPollSampleFeeds(t *testing.T) {
	h := newHarness(t, samples()...)
	f := h.follower()
	for _, r := range f.PollAll(context.Background()) {
		if r.Status != "ok" || r.Err != nil || r.Pending != 0 {
			t.Fatalf("%s: %+v", r.Source, r)
		}
	}
	arts := h.raw.articles(t)
	if len(arts) != 8 || h.dlq.count() != 0 {
		t.Fatalf("published %d articles and %d dead letters, want 8 and 0", len(arts), h.dlq.count())
	}
	ids := map[string]bool{}
	for _, a := range arts {
		ids[a.ArticleID] = true
		if a.PublishedAt.IsZero() != (a.PublishedAtSource == event.PublishedAtNone) || a.PublishedAtSource == "" {
			t.Errorf("%q: published_at %s from %q", a.Title, a.PublishedAt, a.PublishedAtSource)
		}
		if !a.ReceivedAt.Equal(h.now) {
			t.Errorf("%q: received_at %s", a.Title, a.ReceivedAt)
		}
	}
	// The port-fees page is in two feeds under two URLs; its canonical link
	// gives both one id.
	if len(ids) != 7 {
		t.Fatalf("%d distinct article ids, want 7", len(ids))
	}
	m := byTitle(arts)
	base := h.site.URL + "/pages/"

	re := m["Beijing widens export controls on rare earths"]
	if re.URL != base+"harborline/2025/10/10/rare-earth-controls.html" || re.Lang != "en" || re.Source != "harborline" ||
		!re.PublishedAt.Equal(time.Date(2025, 10, 10, 6, 40, 0, 0, time.UTC)) || re.PublishedAtSource != "feed" ||
		!strings.Contains(re.Text, "foreign-made products that contain Chinese rare earths") || strings.Contains(re.Text, "Shipping ·") {
		t.Errorf("rare earths (RSS summary, page text): %+v", re)
	}
	pf1, pf2 := m["Port fees on each other's ships take effect"], m["Port fees take effect (via Harborline)"]
	if pf1.ArticleID != pf2.ArticleID || pf2.URL != base+"harborline/2025/10/14/port-fees.html" {
		t.Errorf("shared page: %s %s / %s %s", pf1.ArticleID, pf1.URL, pf2.ArticleID, pf2.URL)
	}
	if !pf2.PublishedAt.Equal(time.Date(2025, 10, 14, 9, 15, 0, 0, time.UTC)) || pf2.PublishedAtSource != "page" {
		t.Errorf("Atom entry with only <updated>: the page's date first: %s %s", pf2.PublishedAt, pf2.PublishedAtSource)
	}
	zh := m["商务部公布稀土出口管制新措施"]
	if zh.Lang != "zh-CN" || !strings.Contains(zh.Text, "商务部9日发布公告") || strings.Contains(zh.Text, "首页") ||
		!zh.PublishedAt.Equal(time.Date(2025, 10, 10, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("Chinese page (lang from the page): %+v", zh)
	}
	members := m["Analysis: what the fee war costs shippers"]
	if !strings.HasPrefix(members.Text, "Our members-only analysis") || h.site.hit("/members/2025/10/13/fee-war-analysis.html") != 0 {
		t.Errorf("robots.txt: the page was fetched %d times; text %q", h.site.hit("/members/2025/10/13/fee-war-analysis.html"), members.Text)
	}
	dock := m["Dockworkers' union warns of delays"]
	if !dock.PublishedAt.IsZero() || dock.PublishedAtSource != "none" || !strings.Contains(dock.Text, "West Coast") {
		t.Errorf("undated: %+v", dock)
	}
	busan := m["Leaders agree to pause new trade measures after Busan meeting"]
	if !strings.Contains(busan.Text, "resume purchases of American soybeans") || h.site.hit("/pages/eastbridge/2025/10/30/busan-pause.html") != 0 || busan.Lang != "en" {
		t.Errorf("Atom full content: no page fetch, the entry's own xml:lang (not the feed's zh-Hans): %+v", busan)
	}
	if h.site.hit("/pages/capital-wire/2025/10/31/markets-rally.html") != 0 {
		t.Error("full_text no fetched the page")
	}
	if !h.site.agents["TensionFollower/1.0 (+https://ops.example/contact)"] || len(h.site.agents) != 1 {
		t.Errorf("user agents: %v", h.site.agents)
	}

	// Metrics and the status view.
	if got := testutil.ToFloat64(f.m.published.WithLabelValues("harborline")); got != 4 {
		t.Errorf("published{harborline} = %v", got)
	}
	if got := testutil.ToFloat64(f.m.undated.WithLabelValues("harborline")); got != 1 {
		t.Errorf("undated{harborline} = %v", got)
	}
	if got := testutil.ToFloat64(f.m.lastSuccess.WithLabelValues("eastbridge")); got != float64(h.now.Unix()) {
		t.Errorf("last success = %v", got)
	}
	st := f.Sources()
	if st[0].Name != "harborline" || st[0].Published != 4 || st[0].New != 4 || st[0].ItemsSeen != 4 || !st[0].Conditional || st[0].LastStatus != "ok" {
		t.Errorf("status: %+v", st[0])
	}

	// The second poll: every feed answers 304, nothing is published.
	h.now = h.now.Add(20 * time.Minute)
	for _, r := range f.PollAll(context.Background()) {
		if r.Status != "not_modified" || r.Published != 0 {
			t.Fatalf("second poll: %+v", r)
		}
	}
	// A restart: the state file remembers; the feeds change (no 304) but
	// only their new item is published.
	h.site.handle("/harborline/rss.xml", func(w http.ResponseWriter, r *http.Request) {
		b, _ := os.ReadFile(filepath.Join(sampleDir, "harborline", "rss.xml"))
		doc := strings.Replace(string(b), "<item>", `<item><title>Carriers shift ships to other routes</title><link>/pages/harborline/2025/10/20/dockworkers.html?x=new</link>
			<guid>harborline-new</guid><pubDate>Sat, 01 Nov 2025 08:00:00 GMT</pubDate><description>New item.</description></item><item>`, 1)
		fmt.Fprint(w, doc)
	})
	h.now = h.now.Add(20 * time.Minute)
	f = h.follower()
	n := h.raw.count()
	res := f.PollAll(context.Background())
	if res[0].New != 1 || res[0].Published != 1 || h.raw.count() != n+1 {
		t.Fatalf("after a restart: %+v, %d published", res[0], h.raw.count()-n)
	}
	if c := testutil.ToFloat64(f.m.fetches.WithLabelValues("eastbridge", "not_modified")); c != 1 {
		t.Errorf("304s after the restart: %v", c)
	}
}

// A feed that fails: parse errors, 429, timeouts, huge documents. Nothing
// is published, the state says why, and polls back off.
func TestPollFailuresBackOff(t *testing.T) {
	h := newHarness(t,
		sources.Source{URL: "/broken.xml", Name: "broken", Interval: 10 * time.Minute},
		sources.Source{URL: "/busy.xml", Name: "busy", Interval: 10 * time.Minute},
		sources.Source{URL: "/slow.xml", Name: "slow"},
		sources.Source{URL: "/huge.xml", Name: "huge"},
		sources.Source{URL: "/moved.xml", Name: "moved"},
		sources.Source{URL: "/page-not-feed.xml", Name: "html"},
	)
	h.site.handle("/broken.xml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><item><title>x</title><link>/a</link></channel></rss>`)
	})
	// The 429 pauses its whole host (TestHostPausedAfter429): a host of its
	// own, so the other feeds here are still asked.
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Retry-After", "7200")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(busy.Close)
	h.srcs[1].URL = busy.URL + "/busy.xml"
	h.site.handle("/slow.xml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<rss version="2.0"><channel>`)
		for range 100 {
			w.(http.Flusher).Flush()
			select {
			case <-time.After(100 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
			fmt.Fprint(w, " ")
		}
	})
	h.site.handle("/huge.xml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<rss version="2.0"><channel>`)
		item := strings.Repeat("<item><title>x</title></item>", 1000)
		for range 2000 { // ~58 MB, never read whole
			if _, err := fmt.Fprint(w, item); err != nil {
				return
			}
		}
	})
	h.site.handle("/moved.xml", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/capital-wire/rss.xml", http.StatusMovedPermanently)
	})
	h.site.handle("/page-not-feed.xml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><body><p>Not a feed</p></body></html>")
	})
	h.mod = func(c *Config) { c.MaxFeedBytes = 1 << 20 }
	f := h.follower()
	res := f.PollAll(context.Background())
	wantKind := map[string]string{"broken": "parse", "busy": "http", "slow": "timeout", "huge": "too_large", "html": "parse"}
	for _, r := range res {
		if r.Source == "moved" {
			if r.Status != "ok" || r.Published != 1 {
				t.Errorf("redirected feed: %+v", r)
			}
			continue
		}
		if r.Status != "error" || r.Published != 0 {
			t.Errorf("%s: %+v", r.Source, r)
		}
		if c := testutil.ToFloat64(f.m.errors.WithLabelValues(r.Source, wantKind[r.Source])); c != 1 {
			t.Errorf("%s: errors{kind=%s} = %v (%v)", r.Source, wantKind[r.Source], c, r.Err)
		}
	}
	var se *fetch.Error
	if !errors.As(res[1].Err, &se) || !res[1].Next.Equal(h.now.Add(2*time.Hour)) {
		t.Errorf("429 with Retry-After 7200: next poll %s (%v)", res[1].Next, res[1].Err)
	}
	if !strings.Contains(res[0].Err.Error(), "malformed XML at line 1") || !res[0].Next.Equal(h.now.Add(10*time.Minute)) {
		t.Errorf("broken: %v, next %s", res[0].Err, res[0].Next)
	}
	// The second failure in a row waits twice the interval, the third four times.
	for i, want := range []time.Duration{20 * time.Minute, 40 * time.Minute} {
		r := f.Poll(context.Background(), h.srcs[0])
		if !r.Next.Equal(h.now.Add(want)) {
			t.Errorf("failure %d: next poll in %s, want %s", i+2, r.Next.Sub(h.now), want)
		}
	}
	st := f.Sources()[0]
	if st.Failures != 3 || !strings.Contains(st.LastError, "malformed XML") || st.LastSuccess != nil || st.Errors != 3 {
		t.Errorf("status: %+v", st)
	}
	// Once it is fixed, the next poll succeeds and the count of failures
	// goes back to zero.
	h.site.handle("/broken.xml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<rss version="2.0"><channel><item><title>Fixed</title><description>Tariff talks resume.</description><pubDate>Sat, 01 Nov 2025 08:00:00 GMT</pubDate></item></channel></rss>`)
	})
	if r := f.Poll(context.Background(), h.srcs[0]); r.Status != "ok" || r.Published != 1 || f.Sources()[0].Failures != 0 {
		t.Errorf("fixed: %+v", r)
	}
}

func TestBackoff(t *testing.T) {
	for _, tt := range []struct {
		interval time.Duration
		n        int
		want     time.Duration
	}{
		{15 * time.Minute, 1, 15 * time.Minute},
		{15 * time.Minute, 2, 30 * time.Minute},
		{15 * time.Minute, 5, 4 * time.Hour},
		{15 * time.Minute, 50, 6 * time.Hour},
		{12 * time.Hour, 3, 12 * time.Hour}, // never below the interval
	} {
		if got := backoff(tt.interval, tt.n, 6*time.Hour); got != tt.want {
			t.Errorf("backoff(%s, %d) = %s, want %s", tt.interval, tt.n, got, tt.want)
		}
	}
}

// A page that fails transiently keeps its item for the next poll (the feed
// is fetched whole again, not 304); after PageAttempts polls the feed's
// summary is used. A page that is gone and an item without text go to the
// dead-letter topic with the reason, once.
func TestPageFailures(t *testing.T) {
	h := newHarness(t, sources.Source{URL: "/feed.xml", Name: "f"})
	feedDoc := `<rss version="2.0"><channel>
		<item><title>Flaky page</title><link>/flaky.html</link><guid>flaky</guid><description>Summary of the flaky page.</description><pubDate>Sat, 01 Nov 2025 08:00:00 GMT</pubDate></item>
		<item><title>Gone page, no summary</title><link>/gone.html</link><guid>gone</guid><pubDate>Sat, 01 Nov 2025 09:00:00 GMT</pubDate></item>
		<item><title>Far future date</title><guid>future</guid><description>Dated 2099 by mistake.</description><pubDate>Thu, 01 Jan 2099 00:00:00 GMT</pubDate></item>
	</channel></rss>`
	h.site.handle("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"same"`)
		if r.Header.Get("If-None-Match") == `"same"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, feedDoc)
	})
	flaky := 503
	h.site.handle("/flaky.html", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(flaky)
		fmt.Fprint(w, `<html><body><article><p>The flaky page's own text, long enough to be an article about tariffs and talks.</p></article></body></html>`)
	})
	h.site.handle("/gone.html", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
	f := h.follower()

	r := f.Poll(context.Background(), h.srcs[0])
	if r.Status != "ok" || r.Pending != 1 || r.Published != 1 || r.DeadLetters != 1 {
		t.Fatalf("first poll: %+v", r)
	}
	if st := h.follower().cfg.Store.Feed(h.srcs[0].URL); st.ETag != "" {
		t.Fatal("validators kept while an item waits: the next poll would get a 304 and never retry it")
	}
	dl := h.dlq.msgs[0]
	if reason := kafkax.Header(dl, kafkax.HeaderError); !strings.Contains(reason, "no text") || !strings.Contains(reason, "HTTP 410") ||
		kafkax.Header(dl, kafkax.HeaderStage) != "follow" || kafkax.Header(dl, "source_feed") != h.srcs[0].URL || kafkax.Header(dl, "source_item") != "g:gone" {
		t.Errorf("dead letter headers: %v", dl.Headers)
	}
	future := h.raw.articles(t)[0]
	if future.Title != "Far future date" || future.PublishedAtSource != "none" {
		t.Errorf("a date outside the window is no date: %+v", future)
	}

	h.now = h.now.Add(time.Hour)
	r = f.Poll(context.Background(), h.srcs[0])
	if r.Pending != 1 || r.Published != 0 || r.DeadLetters != 0 || h.site.hit("/gone.html") != 1 {
		t.Fatalf("second poll: %+v (the dead-lettered item is not retried)", r)
	}
	h.now = h.now.Add(time.Hour)
	r = f.Poll(context.Background(), h.srcs[0]) // the third attempt: the summary is used
	arts := h.raw.articles(t)
	if r.Pending != 0 || r.Published != 1 || arts[1].Text != "Summary of the flaky page." || h.site.hit("/flaky.html") != 3 {
		t.Fatalf("third poll: %+v, text %q", r, arts[1].Text)
	}
	if c := testutil.ToFloat64(f.m.pages.WithLabelValues("f", "retry")); c != 2 {
		t.Errorf("pages{retry} = %v", c)
	}
	h.now = h.now.Add(time.Hour)
	if r := f.Poll(context.Background(), h.srcs[0]); r.Status != "not_modified" {
		t.Fatalf("fourth poll: %+v, want 304 once nothing waits", r)
	}
}

// A host that answers a page with 429 is left alone for its Retry-After:
// the poll's other pages on that host are not requested (no attempt spent,
// the items wait), and the next poll after the pause fetches them all.
func TestPagesWaitWhileTheHostIsPaused(t *testing.T) {
	h := newHarness(t, sources.Source{URL: "/feed.xml", Name: "f"})
	var limited atomic.Bool
	limited.Store(true)
	h.itemsWithPages(3, func(w http.ResponseWriter, _ int) bool {
		l := limited.Load()
		if l {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		}
		return l
	})
	u, _ := url.Parse(h.site.URL)
	h.mod = func(c *Config) {
		c.Fetcher = fetch.New(fetch.Config{HostInterval: time.Millisecond, Timeout: 2 * time.Second, TrustedHosts: []string{u.Hostname()},
			Now: func() time.Time { return h.now }})
	}
	f := h.follower()
	r := f.Poll(context.Background(), h.srcs[0])
	pageHits := func() int { return h.site.hit("/p0.html") + h.site.hit("/p1.html") + h.site.hit("/p2.html") }
	if r.Status != "ok" || r.Pending != 3 || r.Published != 0 || pageHits() != 1 {
		t.Fatalf("poll under a 429: %+v, %d page requests (want 1: the host is paused after it)", r, pageHits())
	}
	if c := testutil.ToFloat64(f.m.pages.WithLabelValues("f", "paused")); c != 2 {
		t.Errorf("pages{paused} = %v", c)
	}
	if st := h.follower().cfg.Store.Feed(h.srcs[0].URL); len(st.Attempts) != 1 {
		t.Errorf("attempts %v: only the page asked counts one", st.Attempts)
	}
	limited.Store(false)
	h.now = h.now.Add(121 * time.Second)
	r = f.Poll(context.Background(), h.srcs[0])
	arts := h.raw.articles(t)
	if r.Pending != 0 || r.Published != 3 || pageHits() != 4 || !strings.HasPrefix(arts[0].Text, "The page text of item") {
		t.Fatalf("poll after the pause: %+v, %d page requests", r, pageHits())
	}
}

// A poll past its budget starts no further item: the rest wait for the
// next poll, which follows at once (slow pages cannot hold a poll slot for
// hours); every poll handles at least one item, so each makes progress.
func TestPollBudget(t *testing.T) {
	h := newHarness(t, sources.Source{URL: "/feed.xml", Name: "f"})
	var clock atomic.Int64 // the follower's clock, in seconds after h.now; every page takes a minute of it
	h.itemsWithPages(3, func(http.ResponseWriter, int) bool {
		clock.Add(60)
		return false
	})
	start := h.now
	h.mod = func(c *Config) {
		c.PollBudget = 90 * time.Second
		c.Now = func() time.Time { return start.Add(time.Duration(clock.Load()) * time.Second) }
	}
	f := h.follower()
	for i, want := range []struct{ published, pending int }{{2, 1}, {1, 0}} {
		before := f.cfg.Now()
		r := f.Poll(context.Background(), h.srcs[0])
		if r.Status != "ok" || r.Published != want.published || r.Pending != want.pending {
			t.Fatalf("poll %d: %+v, want %d published and %d pending", i+1, r, want.published, want.pending)
		}
		if next := r.Next.Sub(before); (want.pending > 0) != (next == 0) {
			t.Errorf("poll %d: next poll in %v", i+1, next)
		}
	}
	if st := h.follower().cfg.Store.Feed(h.srcs[0].URL); st.ETag != `"same"` {
		t.Errorf("validators %q after the last item: want them kept", st.ETag)
	}
}

// Parsing waits for one of MaxParsing slots: with the only slot taken, a
// poll fetches its feed but parses nothing until the slot is free (or
// shutdown, which records no failure).
func TestParsingSlots(t *testing.T) {
	h := newHarness(t, samples()[0])
	h.mod = func(c *Config) { c.MaxParsing = 1 }
	f := h.follower()
	f.parse <- struct{}{} // another parse in progress
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	r := f.Poll(ctx, h.srcs[0])
	if r.Status != "error" || !errors.Is(r.Err, context.DeadlineExceeded) || h.raw.count() != 0 || h.site.hit("/harborline/rss.xml") != 1 {
		t.Fatalf("poll while the slot is taken: %+v, %d published", r, h.raw.count())
	}
	if st := f.Sources()[0]; st.Failures != 0 {
		t.Errorf("a shutdown while waiting counted as a failure: %+v", st)
	}
	<-f.parse
	if r := f.Poll(context.Background(), h.srcs[0]); r.Status != "ok" || r.Published != 4 {
		t.Fatalf("poll with the slot free: %+v", r)
	}
	if len(f.parse) != 0 {
		t.Fatalf("%d parsing slots still taken after the poll", len(f.parse))
	}
}

// Publishing fails: nothing is recorded as seen, so the next poll publishes
// the same articles (same ids) again: at least once.
func TestPublishFailureRepublishes(t *testing.T) {
	h := newHarness(t, sources.Source{URL: "/capital-wire/rss.xml", Name: "cw", FullText: sources.FullTextNo})
	h.raw.fail = errors.New("kafka: broker unavailable")
	f := h.follower()
	r := f.Poll(context.Background(), h.srcs[0])
	if r.Status != "error" || !strings.Contains(r.Err.Error(), "broker unavailable") {
		t.Fatalf("poll: %+v", r)
	}
	if c := testutil.ToFloat64(f.m.errors.WithLabelValues("cw", "publish")); c != 1 {
		t.Errorf("errors{publish} = %v", c)
	}
	h.raw.fail = nil
	h.now = h.now.Add(time.Hour)
	r = f.Poll(context.Background(), h.srcs[0])
	if r.Status != "ok" || r.Published != 1 {
		t.Fatalf("after Kafka is back: %+v", r)
	}
}

// A page larger than the record allows: its text is cut to fit, at a
// character boundary, and the article is published.
func TestTextCutToFit(t *testing.T) {
	h := newHarness(t, sources.Source{URL: "/feed.xml", Name: "big", FullText: sources.FullTextYes})
	h.site.handle("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<rss version="2.0"><channel><item><title>Big</title><link>/big.html</link><pubDate>Sat, 01 Nov 2025 08:00:00 GMT</pubDate></item></channel></rss>`)
	})
	h.site.handle("/big.html", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html lang="zh"><body><article>`)
		for range 6000 {
			fmt.Fprint(w, `<p>"关税"和"出口管制"——双方的贸易争端继续升级，官员表示谈判仍在进行。</p>`) // quotes escape to more bytes
		}
		fmt.Fprint(w, `</article></body></html>`)
	})
	f := h.follower()
	if r := f.Poll(context.Background(), h.srcs[0]); r.Published != 1 {
		t.Fatalf("poll: %+v", r)
	}
	m := h.raw.msgs[0]
	a := h.raw.articles(t)[0]
	if n := event.RecordSize(m.Key, m.Value, nil); n > event.MaxArticleBytes || n < event.MaxArticleBytes*95/100 {
		t.Fatalf("record of %d bytes, want at most %d and within 5 %% of it", n, event.MaxArticleBytes)
	}
	if !strings.HasPrefix(a.Text, `"关税"`) || a.Lang != "zh" {
		t.Fatalf("text starts %q, lang %q", a.Text[:20], a.Lang)
	}
	if c := testutil.ToFloat64(f.m.cut.WithLabelValues("big")); c != 1 {
		t.Errorf("texts_cut = %v", c)
	}
}

func TestSourcesHandler(t *testing.T) {
	h := newHarness(t, samples()[2])
	f := h.follower()
	f.PollAll(context.Background())
	rec := httptest.NewRecorder()
	f.SourcesHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/sources", nil))
	var body struct {
		Sources []map[string]any `json:"sources"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	s := body.Sources[0]
	if s["name"] != "capital-wire" || s["published"] != 1.0 || s["last_status"] != "ok" || s["last_success"] != h.now.Format(time.RFC3339) ||
		s["interval"] != "15m0s" || s["full_text"] != "no" {
		t.Fatalf("status: %v", s)
	}
}

// Run follows the schedule: every source is polled at once, then again
// after its interval, until the context ends.
func TestRunPollsOnTheInterval(t *testing.T) {
	h := newHarness(t, sources.Source{URL: "/capital-wire/rss.xml", Name: "cw", Interval: 200 * time.Millisecond})
	h.mod = func(c *Config) { c.Now = time.Now }
	f := h.follower()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if err := f.Run(ctx); err != nil {
		t.Fatal(err)
	}
	n := h.site.hit("/capital-wire/rss.xml")
	if n < 3 || n > 9 {
		t.Fatalf("%d polls in 1.5 s at a 200 ms interval", n)
	}
	if h.raw.count() != 1 {
		t.Fatalf("published %d, want 1 (then 304s)", h.raw.count())
	}
}

// A shutdown in the middle of a poll is not the feed's failure: nothing is
// counted against the source, and an item whose page was cut short waits
// (it is not published with its summary instead).
func TestShutdownMidPoll(t *testing.T) {
	h := newHarness(t, sources.Source{URL: "/feed.xml", Name: "f"})
	h.site.handle("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<rss version="2.0"><channel><item><title>Slow page</title><link>/slow.html</link><description>Summary.</description></item></channel></rss>`)
	})
	h.site.handle("/slow.html", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	f := h.follower()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for h.site.hit("/slow.html") == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	r := f.Poll(ctx, h.srcs[0])
	if r.Published != 0 || r.Pending != 1 || h.raw.count() != 0 {
		t.Fatalf("poll cut by shutdown: %+v", r)
	}
	st := h.follower().cfg.Store.Feed(h.srcs[0].URL)
	if st.Failures != 0 || len(st.Attempts) != 0 || st.ETag != "" {
		t.Fatalf("state after the shutdown: %+v", st)
	}
	// Cut while fetching the feed itself: no failure either.
	h.site.handle("/feed.xml", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if r := f.Poll(ctx, h.srcs[0]); h.follower().cfg.Store.Feed(h.srcs[0].URL).Failures != 0 || testutil.ToFloat64(f.m.fetches.WithLabelValues("f", "error")) != 0 {
		t.Fatalf("a cut feed fetch counted as a failure: %+v", r)
	}
}
