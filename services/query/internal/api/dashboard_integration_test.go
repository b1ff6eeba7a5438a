package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/services/query/internal/api"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// story is one synthetic article of the dashboard fixture: a sentence
// holding the cue, so offsets and highlighting are real.
type story struct {
	title, text, cue, actor, target, category, dir string
	polarity                                       int8
	weight, tension                                float64
	entities                                       []string
}

var stories = []story{
	{"US raises tariffs on Chinese steel", "Trade talks stalled this week. Washington raised tariffs on Chinese steel to 25 percent, the Commerce Department said. Beijing called the move bullying.",
		"raised tariffs", "US", "CN", "tariff", "escalation", 1, 7.5, 0.82, []string{"Washington", "Commerce Department", "Beijing"}},
	{"Beijing and Washington resume talks", "After months of silence, Beijing and Washington agreed to resume talks in Geneva. Both sides called the meeting constructive.",
		"agreed to resume talks", "CN", "US", "talks", "de-escalation", -1, 7, -0.74, []string{"Beijing", "Washington"}},
	{"China adds US firms to entity list", "China's commerce ministry said it would add six US defense firms to its unreliable entity list. Analysts expect more measures.",
		"add six US defense firms to its unreliable entity list", "CN", "US", "entity_list", "escalation", 1, 6.2, 0.61, []string{"Ministry of Commerce", "Beijing"}},
	{"Officials hint at tariff truce", "Officials reportedly hinted that a tariff truce may be extended. Markets rallied on the news.",
		"tariff truce", "US", "CN", "truce", "de-escalation", -1, 3.1, -0.33, []string{"Washington"}},
}

// dashboardFixture loads 30 days of CN-US data consistent with what the sink
// writes: raw articles, dyads, cues and entities, and the journal's day
// rows ("*" counts every article, CN-US the dyad articles).
func dashboardFixture(tb testing.TB) *httptest.Server {
	tb.Helper()
	conn, _ := chtest.Open(tb, "tension_test_query")
	start := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	var journal []journalRow
	var arts, dyads, cues, ents [][]any
	for d := 0; d < 30; d++ {
		day := start.AddDate(0, 0, d)
		n := 1 + (d*7)%4 // 1..4 stories a day
		var esc, deesc int64
		var score, weight float64
		cells := map[string]*journalRow{} // the split by acting side, as the sink writes it
		for k := 0; k < n; k++ {
			s := stories[(d+k)%len(stories)]
			c := cells[s.actor]
			if c == nil {
				c = &journalRow{kind: "cell", key: s.actor + "|government|en", granularity: "day", pair: "CN-US", bucket: day.Format(time.RFC3339)}
				cells[s.actor] = c
			}
			c.dyad++
			if s.dir == "escalation" {
				c.esc++
			} else {
				c.deesc++
			}
			c.score += s.tension
			c.weight += s.weight
			pub := day.Add(time.Duration(8+k*3) * time.Hour)
			id := uuid.NewSHA1(uuid.NameSpaceURL, []byte(fmt.Sprintf("dash-%d-%d", d, k))).String()
			arts = append(arts, []any{id, "v1", pub, pub, pub, "https://news.example/" + id[:8], "Example Wire",
				s.title, s.text, uint8(1), []string{"CN", "US"}, []string{s.category}, []string{"CN-US"}, int32(0), int64(d*10 + k), uint64(1)})
			dyads = append(dyads, []any{"CN-US", pub, id, "v1", s.tension, s.dir, s.weight, uint16(1), uint64(1)})
			at := strings.Index(s.text, s.cue)
			cues = append(cues, []any{"CN-US", pub, id, "v1", uint16(0), s.cue, s.category, uint16(0), uint32(at), uint32(at + len(s.cue)),
				s.actor, s.target, s.polarity, s.weight, uint8(0), uint8(0), uint8(0), uint8(0), "officials", "GOV", uint64(1)})
			for i, e := range s.entities {
				ents = append(ents, []any{pub, id, "v1", uint16(i), e, "GOV", e, "", uint32(0), uint32(len(e)), uint64(1)})
			}
			if s.dir == "escalation" {
				esc++
			} else {
				deesc++
			}
			score += s.tension
			weight += s.weight
		}
		b := day.Format(time.RFC3339)
		journal = append(journal,
			journalRow{granularity: "day", pair: "*", bucket: b, articles: int64(n + 3)},
			journalRow{granularity: "day", pair: "CN-US", bucket: b, dyad: int64(n), esc: esc, deesc: deesc, score: score, weight: weight})
		for _, c := range cells {
			journal = append(journal, *c)
		}
	}
	insertJournal(tb, conn, journal)
	exec(tb, conn, insArticle, arts...)
	exec(tb, conn, insDyad, dyads...)
	exec(tb, conn, insCue, cues...)
	exec(tb, conn, insEntity, ents...)
	srv := httptest.NewServer(api.New(store.New(conn, 10*time.Second), api.Config{}))
	tb.Cleanup(srv.Close)
	return srv
}

// chromium finds Debian's chromium (or CHROMIUM_BIN) and fails loudly,
// saying how to install it, when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM_BIN"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := osexec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("integration: no chromium on PATH for the dashboard's browser test; install it with `bash scripts/install-browser.sh` " +
		"(apt-get install chromium) or point CHROMIUM_BIN at a Chrome/Chromium binary")
	return ""
}

// TestIntegrationDashboard drives the dashboard in headless chromium: the
// page loads, the chart holds exactly the buckets /v1/index returns, and
// clicking a bucket's point lists that bucket's drivers with the cue
// highlighted in its sentence. A screenshot is saved in the test's
// artifact folder (go test -artifacts -outputdir DIR keeps it).
func TestIntegrationDashboard(t *testing.T) {
	chtest.Integration(t)
	bin := chromium(t)
	srv := dashboardFixture(t)

	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	opts = append(opts,
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancelB := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelB()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	const params = "pair=CN-US&interval=day&from=2025-04-01T00:00:00Z&to=2025-05-01T00:00:00Z"
	var want api.IndexResponse
	getJSON(t, srv, "/v1/index?"+params, &want)
	if len(want.Buckets) != 30 {
		t.Fatalf("fixture: %d buckets, want 30", len(want.Buckets))
	}
	var wantStarts []string
	for _, b := range want.Buckets {
		wantStarts = append(wantStarts, b.Start.Format(time.RFC3339))
	}

	// run runs one action and fails the test with what was being done.
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("load the dashboard", chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/?"+params+"&live=0"),
		chromedp.WaitVisible(`body[data-loaded]`),
		chromedp.WaitVisible(`#entities td`),
	))
	count, err := chromedp.Run(ctx, chromedp.AttributeValue(`#chart`, "data-buckets"))
	must("chart buckets", err)
	starts, err := chromedp.Run(ctx, chromedp.AttributeValue(`#chart`, "data-starts"))
	must("chart starts", err)
	if count.Value != "30" || starts.Value != strings.Join(wantStarts, ",") {
		t.Fatalf("chart holds %s buckets %q, want the API's %d: %q", count.Value, starts.Value, len(wantStarts), wantStarts)
	}
	title, err := chromedp.Run(ctx, chromedp.Text(`#chart-title`))
	must("chart title", err)
	if !strings.Contains(title, "CN-US by day") {
		t.Errorf("chart title %q", title)
	}
	// The range's dated events are listed and marked on the chart; a 30-day
	// range of days is not smoothed by default and has no gap here.
	var events api.AnnotationsResponse
	getJSON(t, srv, "/v1/annotations?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-05-01T00:00:00Z", &events)
	shown, err := chromedp.Run(ctx, chromedp.AttributeValue(`#chart`, "data-events"))
	must("chart events", err)
	items, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#annotations li.event').length`))
	must("event list", err)
	if len(events.Annotations) == 0 || shown.Value != fmt.Sprint(len(events.Annotations)) || items != len(events.Annotations) {
		t.Fatalf("events: chart %s, list %d, want the API's %d", shown.Value, items, len(events.Annotations))
	}
	win, err := chromedp.Run(ctx, chromedp.AttributeValue(`#chart`, "data-window"))
	must("chart window", err)
	gaps, err := chromedp.Run(ctx, chromedp.AttributeValue(`#chart`, "data-gaps"))
	must("chart gaps", err)
	if win.Value != "" || gaps.Value != "0" {
		t.Errorf("window %q, gaps %s; want none and 0 for 30 full days", win.Value, gaps.Value)
	}
	canvases, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#chart canvas').length`))
	must("chart canvas", err)
	if canvases == 0 {
		t.Fatal("no chart canvas")
	}

	// Click the point of the bucket with the most drivers, like a user.
	pick := 0
	for i, b := range want.Buckets {
		if b.DyadArticles > want.Buckets[pick].DyadArticles {
			pick = i
		}
	}
	pt, err := chromedp.Run(ctx, chromedp.Evaluate[struct{ X, Y float64 }](fmt.Sprintf(`window.__tension.bucketPoint(%d)`, pick)))
	must("bucket point", err)
	must("click the bucket", chromedp.Do(ctx,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, pt.X, pt.Y),
		chromedp.Sleep(100*time.Millisecond),
		chromedp.MouseClickXY(pt.X, pt.Y),
		chromedp.WaitVisible(`#drivers li.driver`),
	))
	bucket, err := chromedp.Run(ctx, chromedp.AttributeValue(`#drivers`, "data-bucket"))
	must("drivers bucket", err)
	drivers, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#drivers li.driver .title')].map(e => e.textContent)`))
	must("driver titles", err)
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#drivers li.driver a.title')].map(e => e.href + ' ' + e.target)`))
	must("driver links", err)
	marks, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#drivers mark')].map(e => e.textContent).join('|')`))
	must("highlighted cues", err)
	ctxText, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#drivers li.driver q').textContent`))
	must("cue sentence", err)

	if bucket.Value != wantStarts[pick] {
		t.Fatalf("drivers of bucket %s, want the clicked %s", bucket.Value, wantStarts[pick])
	}
	b := want.Buckets[pick]
	var wantDrivers api.DriversResponse
	getJSON(t, srv, fmt.Sprintf("/v1/drivers?pair=CN-US&from=%s&to=%s&limit=10", b.Start.Format(time.RFC3339),
		b.Start.AddDate(0, 0, 1).Format(time.RFC3339)), &wantDrivers)
	var wantTitles []string
	for _, d := range wantDrivers.Drivers {
		wantTitles = append(wantTitles, d.Title)
	}
	if strings.Join(drivers, "|") != strings.Join(wantTitles, "|") || len(drivers) != int(b.DyadArticles) {
		t.Fatalf("drivers shown %q, want %q", drivers, wantTitles)
	}
	// Each driver links back to the original page, in a new tab.
	var wantLinks []string
	for _, d := range wantDrivers.Drivers {
		wantLinks = append(wantLinks, d.URL+" _blank")
	}
	if strings.Join(links, "|") != strings.Join(wantLinks, "|") {
		t.Errorf("driver links %q, want %q", links, wantLinks)
	}
	if marks == "" || !strings.Contains(marks, wantDrivers.Drivers[0].Cues[0].Text) {
		t.Errorf("highlighted cues %q, want %q among them", marks, wantDrivers.Drivers[0].Cues[0].Text)
	}
	if c := wantDrivers.Drivers[0].Cues[0].Context; c == nil || ctxText != c.Before+c.Match+c.After {
		t.Errorf("cue sentence %q, want the API's context %+v", ctxText, c)
	}

	// A chosen window reaches the API and the title; days outside the
	// fixture's data are drawn as gaps (the API's gap buckets), not zeros.
	must("load with a window", chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/?pair=CN-US&interval=day&from=2025-03-20T00:00:00Z&to=2025-05-01T00:00:00Z&live=0&window=7d"),
		chromedp.WaitVisible(`body[data-loaded]`),
	))
	var smoothed api.IndexResponse
	getJSON(t, srv, "/v1/index?pair=CN-US&interval=day&from=2025-03-20T00:00:00Z&to=2025-05-01T00:00:00Z&window=7d", &smoothed)
	wantGaps := 0
	for _, b := range smoothed.Buckets {
		if b.Gap {
			wantGaps++
		}
	}
	win, err = chromedp.Run(ctx, chromedp.AttributeValue(`#chart`, "data-window"))
	must("chart window", err)
	gaps, err = chromedp.Run(ctx, chromedp.AttributeValue(`#chart`, "data-gaps"))
	must("chart gaps", err)
	title, err = chromedp.Run(ctx, chromedp.Text(`#chart-title`))
	must("chart title", err)
	if win.Value != "7d" || wantGaps == 0 || gaps.Value != fmt.Sprint(wantGaps) || !strings.Contains(title, "7d rolling window") {
		t.Errorf("window %q, gaps %s (API: %d), title %q", win.Value, gaps.Value, wantGaps, title)
	}

	// The direction split overlays US → CN, CN → US and "no side" as the
	// parts of the pair's index: at every bucket they add up to it.
	must("load with a split", chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/?"+params+"&live=0&window=none&split=direction"),
		chromedp.WaitVisible(`body[data-loaded]`),
	))
	split, err := chromedp.Run(ctx, chromedp.AttributeValue(`#chart`, "data-split"))
	must("chart split", err)
	sums, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const d = window.__tension.data()
		return d[0].map((_, i) => Math.abs((d[3][i] ?? 0) + (d[4][i] ?? 0) + (d[5][i] ?? 0) - d[1][i]))
	})()`))
	must("split lines", err)
	if split.Value != "direction:3" || len(sums) != 30 {
		t.Fatalf("split %q over %d buckets; want direction:3 over 30", split.Value, len(sums))
	}
	for i, s := range sums {
		if s > 1e-6 {
			t.Errorf("bucket %d: the directions' indexes differ from the pair's by %v", i, s)
		}
	}

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must("screenshot", err)
	dir := t.ArtifactDir()
	path := filepath.Join(dir, "dashboard.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
	if dst := os.Getenv("TENSION_SCREENSHOT"); dst != "" {
		_ = os.WriteFile(dst, png, 0o644)
	}
}
