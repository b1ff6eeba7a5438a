package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/query/internal/api"
)

// TestIntegrationIndexWindow checks rolling windows over HTTP against
// ClickHouse: every windowed bucket equals the sum of the plain day buckets
// the same API returns for the days its window covers (an independent
// path: no window code runs for those), its ratios are computed from those
// sums, and days without any article in their window are gaps.
func TestIntegrationIndexWindow(t *testing.T) {
	srv := fixture(t)
	const from, to = "2025-04-01T00:00:00Z", "2025-05-20T00:00:00Z"
	for _, w := range []int{1, 3, 7, 30} {
		t.Run(fmt.Sprintf("%dd", w), func(t *testing.T) {
			var plain, win api.IndexResponse
			start := ts(t, from).AddDate(0, 0, -(w - 1))
			getJSON(t, srv, "/v1/index?pair=CN-US&interval=day&from="+start.Format(time.RFC3339)+"&to="+to, &plain)
			getJSON(t, srv, fmt.Sprintf("/v1/index?pair=CN-US&interval=day&from=%s&to=%s&window=%dd", from, to, w), &win)
			days := int(ts(t, to).Sub(ts(t, from)) / (24 * time.Hour))
			if len(win.Buckets) != days || win.Window != fmt.Sprintf("%dd", w) {
				t.Fatalf("window %q: %d buckets, want %d (one per day)", win.Window, len(win.Buckets), days)
			}
			byDay := map[time.Time]tension.Parts{}
			for _, b := range plain.Buckets {
				byDay[b.Start] = tension.Parts{Articles: b.Articles, DyadArticles: b.DyadArticles, Escalating: b.Escalating,
					Deescalating: b.Deescalating, Mixed: b.Mixed, SumScore: b.SumScore, SumWeight: b.SumWeight}
			}
			gaps := 0
			for _, b := range win.Buckets {
				var sum tension.Parts
				for d := 0; d < w; d++ {
					sum.Add(byDay[b.Start.AddDate(0, 0, -d)])
				}
				if b.Articles != sum.Articles || b.DyadArticles != sum.DyadArticles || b.Escalating != sum.Escalating ||
					b.Deescalating != sum.Deescalating || !near(b.SumScore, sum.SumScore) || !near(b.SumWeight, sum.SumWeight) {
					t.Fatalf("%s: %+v, want the sum of its window's days %+v", b.Start.Format("01-02"), b, sum)
				}
				if b.Gap != (sum.Articles == 0) {
					t.Fatalf("%s: gap=%v with %d articles in the window", b.Start.Format("01-02"), b.Gap, sum.Articles)
				}
				if b.Gap {
					gaps++
					continue
				}
				if !near(b.TensionShare, tension.TensionShare(sum.Escalating, sum.Articles)) || !near(b.NetTension, tension.NetTension(sum)) {
					t.Fatalf("%s: ratios %v %v, want those of the summed parts", b.Start.Format("01-02"), b.TensionShare, b.NetTension)
				}
			}
			if w < 30 && gaps == 0 {
				t.Fatalf("no gap in a sparse fixture with a %d-day window", w)
			}
			// With 30 days, only 04-01 has no article in its window: the
			// fixture's days (04-02, 04-03, 04-30, 05-12) are closer.
			if w == 30 && (gaps != 1 || !win.Buckets[0].Gap) {
				t.Fatalf("%d gaps with a 30-day window, want 1 (04-01)", gaps)
			}
		})
	}
}
