package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/kafkax"
)

// sampleSite serves samples/feeds (the project-written feeds and pages
// `make run` follows) and counts the requests per path.
type sampleSite struct {
	*httptest.Server
	mu    sync.Mutex
	hits  map[string]int
	extra string // an item added to the Harborline feed, when set
}

func newSampleSite(t *testing.T) *sampleSite {
	s := &sampleSite{hits: map[string]int{}}
	files := http.FileServer(http.Dir(filepath.Join(repoRoot(), "samples", "feeds")))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		extra := s.extra
		s.mu.Unlock()
		if extra != "" && r.URL.Path == "/harborline/rss.xml" {
			b, _ := os.ReadFile(filepath.Join(repoRoot(), "samples", "feeds", "harborline", "rss.xml"))
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, strings.Replace(string(b), "<item>", extra+"<item>", 1))
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sampleSite) hit(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// startFollow runs bin/follow on the sample sources against the stack's
// topics, with its state file in dir.
func (s *stack) startFollow(site *sampleSite, dir, adminAddr string) *exec.Cmd {
	s.t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot(), "samples", "feeds", "sources.tsv"))
	if err != nil {
		s.t.Fatal(err)
	}
	sources := filepath.Join(dir, "sources.tsv")
	// Every 2 s instead of every minute, so the test sees several polls.
	text := strings.ReplaceAll(strings.ReplaceAll(string(src), "http://127.0.0.1:8087", site.URL), "\t1m\t", "\t2s\t")
	os.WriteFile(sources, []byte(text), 0o600)
	logf, err := os.OpenFile(filepath.Join(s.logs, "follow.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(s.bin, "follow"), "-sources", sources, "-state", filepath.Join(dir, "state"),
		"-contact-url", "https://ops.example/tension", "-admin-addr", adminAddr, "-host-interval", "10ms", "-min-interval", "1s")
	cmd.Env = s.env("follow")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	go func() { cmd.Wait(); logf.Close() }()
	s.t.Cleanup(func() { cmd.Process.Kill() })
	return cmd
}

type followSource struct {
	Name        string `json:"name"`
	LastStatus  string `json:"last_status"`
	Published   int64  `json:"published"`
	NotModified int64  `json:"not_modified"`
	Errors      int64  `json:"errors"`
	ItemsSeen   int    `json:"items_seen"`
}

// followSources polls GET /v1/sources until done says the sources are
// where the test wants them, and returns them.
func followSources(t *testing.T, adminAddr string, timeout time.Duration, done func([]followSource) bool) []followSource {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var body struct {
			Sources []followSource `json:"sources"`
		}
		resp, err := http.Get("http://" + adminAddr + "/v1/sources")
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if len(body.Sources) > 0 && done(body.Sources) {
				return body.Sources
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("sources not as expected after %v: %+v (%v)", timeout, body.Sources, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func allStatus(want string) func([]followSource) bool {
	return func(srcs []followSource) bool {
		for _, s := range srcs {
			if s.LastStatus != want {
				return false
			}
		}
		return true
	}
}

// rawCount is the number of messages on the stack's raw topic.
func (s *stack) rawCount(ctx context.Context) int64 {
	s.t.Helper()
	n, err := kafkax.MessageCount(ctx, strings.Split(s.brokers, ","), s.topics.raw)
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

// TestIntegrationFollowIntoIndex follows the sample feeds through the whole
// pipeline: the follower publishes 8 items (one page in two feeds), the
// index counts 7 articles at their publication dates (the undated one at
// its receipt), the drivers link to the original pages, and a follower
// killed and restarted publishes nothing again.
func TestIntegrationFollowIntoIndex(t *testing.T) {
	s := newStack(t)
	for _, name := range []string{"sink", "enricher", "query"} {
		s.start(name)
	}
	site := newSampleSite(t)
	dir := t.TempDir()
	adminAddr := freeAddr(t)
	follow := s.startFollow(site, dir, adminAddr)

	// Eight items in the three feeds (the port-fees page in two of them).
	published := func(srcs []followSource) (n int64) {
		for _, src := range srcs {
			n += src.Published
		}
		return n
	}
	followSources(t, adminAddr, 2*time.Minute, func(srcs []followSource) bool { return published(srcs) >= 8 })
	time.Sleep(5 * time.Second) // two more polls of every feed
	if srcs := followSources(t, adminAddr, time.Minute, allStatus("not_modified")); published(srcs) != 8 {
		t.Fatalf("published %d, want 8: %+v", published(srcs), srcs)
	}
	from := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
	to := time.Now().UTC().Add(48 * time.Hour).Truncate(24 * time.Hour)
	s.waitVisible("CN-US", "day", from, to, 7, 2*time.Minute)
	if n := s.index("CN-US", "month", from, time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)).total(); n != 6 {
		t.Errorf("October 2025 counts %d articles, want the 6 dated ones", n)
	}

	// The stored articles: canonical URLs, the page's Chinese text, the
	// summary behind robots.txt, published_at from feed or page.
	ctx := context.Background()
	rows, err := s.ch.Query(ctx, "SELECT url, title, text, published_at, received_at, published_at_source FROM articles FINAL")
	if err != nil {
		t.Fatal(err)
	}
	type stored struct {
		url, title, text, dateSource string
		pub, rcv                     time.Time
	}
	byTitle := map[string]stored{}
	for rows.Next() {
		var r stored
		if err := rows.Scan(&r.url, &r.title, &r.text, &r.pub, &r.rcv, &r.dateSource); err != nil {
			t.Fatal(err)
		}
		byTitle[r.title] = r
	}
	rows.Close()
	if len(byTitle) != 7 {
		t.Fatalf("%d articles stored, want 7", len(byTitle))
	}
	pages := site.URL + "/pages/"
	if r := byTitle["商务部公布稀土出口管制新措施"]; !strings.Contains(r.text, "商务部9日发布公告") || r.url != pages+"eastbridge/2025/10/10/mofcom-rare-earths.html" ||
		!r.pub.Equal(time.Date(2025, 10, 10, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("Chinese article: %+v", r)
	}
	// The port-fees page, reached through both feeds, is one article; its
	// title is the one of whichever feed's record was stored last.
	pf, ok := byTitle["Port fees on each other's ships take effect"]
	if other, ok2 := byTitle["Port fees take effect (via Harborline)"]; ok2 {
		if ok {
			t.Errorf("the shared page is stored twice: %+v and %+v", pf, other)
		}
		pf = other
	}
	if pf.url != pages+"harborline/2025/10/14/port-fees.html" || !strings.Contains(pf.text, "matching special port fees") {
		t.Errorf("shared page: %+v", pf)
	}
	if r := byTitle["Analysis: what the fee war costs shippers"]; !strings.HasPrefix(r.text, "Our members-only analysis") {
		t.Errorf("robots.txt: %+v", r)
	}
	if site.hit("/members/2025/10/13/fee-war-analysis.html") != 0 {
		t.Error("the follower fetched a page robots.txt disallows")
	}
	if r := byTitle["Dockworkers' union warns of delays"]; !r.pub.Equal(r.rcv) || r.dateSource != "none" {
		t.Errorf("undated: published_at %s, received_at %s, published_at_source %q (the receipt time counts, and says so)", r.pub, r.rcv, r.dateSource)
	}
	for title, r := range byTitle {
		if r.dateSource != "feed" && r.dateSource != "page" && title != "Dockworkers' union warns of delays" {
			t.Errorf("%q: published_at_source %q, want feed or page", title, r.dateSource)
		}
	}

	// The drivers of October link back to the original pages.
	var drivers struct {
		Drivers []struct {
			URL   string `json:"url"`
			Title string `json:"title"`
		} `json:"drivers"`
	}
	q := url.Values{"pair": {"CN-US"}, "from": {from.Format(time.RFC3339)}, "to": {"2025-11-01T00:00:00Z"}, "limit": {"20"}}
	if code := s.getJSON("/v1/drivers?"+q.Encode(), &drivers); code != 200 || len(drivers.Drivers) == 0 {
		t.Fatalf("drivers: %d %+v", code, drivers)
	}
	for _, d := range drivers.Drivers {
		resp, err := http.Get(d.URL)
		if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(d.URL, site.URL+"/") {
			t.Errorf("driver %q links to %s: %v", d.Title, d.URL, err)
		} else {
			resp.Body.Close()
		}
	}

	// Killed and restarted: the state file remembers. The feeds answer 304,
	// and when one changes, only its new item is published.
	before := s.rawCount(ctx)
	follow.Process.Signal(syscall.SIGKILL)
	follow.Wait()
	s.startFollow(site, dir, adminAddr)
	followSources(t, adminAddr, time.Minute, allStatus("not_modified"))
	if after := s.rawCount(ctx); after != before {
		t.Fatalf("the restarted follower published %d messages again", after-before)
	}
	site.mu.Lock()
	site.extra = `<item><title>Carriers shift ships to other routes</title><link>/pages/harborline/2025/10/20/dockworkers.html?route=new</link>
		<guid>harborline-new-item</guid><pubDate>Sat, 01 Nov 2025 08:00:00 GMT</pubDate><description>Carriers moved ships to other routes to avoid the fees.</description></item>`
	site.mu.Unlock()
	deadline := time.Now().Add(time.Minute)
	for s.rawCount(ctx) != before+1 {
		if time.Now().After(deadline) {
			t.Fatalf("after the feed changed: %d new messages, want 1", s.rawCount(ctx)-before)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(5 * time.Second) // two more polls: still one
	if n := s.rawCount(ctx) - before; n != 1 {
		t.Fatalf("after the feed changed: %d new messages, want 1", n)
	}
	s.waitVisible("CN-US", "day", from, to, 8, time.Minute)

	if resp, err := http.Get("http://" + adminAddr + "/metrics"); err != nil {
		t.Fatal(err)
	} else {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		for _, name := range []string{"harborline-trade", "eastbridge", "capital-wire-markets"} {
			if !strings.Contains(b.String(), fmt.Sprintf(`tension_follow_fetches_total{result="ok",source=%q}`, name)) {
				t.Errorf("metrics lack the fetches of %s", name)
			}
		}
	}
}
