package journal

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tagger"
)

// BenchmarkJournalRows builds one block from the project's samples (tagged
// with the current tagger) and reports the journal rows per article, with
// and without the split's cells (docs/views.md): what the split costs the
// journal. Article rows are exact per article; bucket rows depend on how
// many articles share a bucket (the samples spread over eight years share
// few), so a busy stream costs less per article; so do the ranked lists'
// rollup rows (one per day, pair, view and entity or cue).
func BenchmarkJournalRows(b *testing.B) {
	f, err := os.Open("../../../../samples/articles.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	tg, err := tagger.New()
	if err != nil {
		b.Fatal(err)
	}
	var arts []*event.Enriched
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<22)
	for sc.Scan() {
		var a struct {
			Title, Text, Lang string
			PublishedAt       time.Time `json:"published_at"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			b.Fatal(err)
		}
		e := &event.Enriched{ArticleID: a.Title + a.PublishedAt.String(), TaggerVersion: "v1", PublishedAt: a.PublishedAt,
			Tags: tg.TagLang(a.Title, a.Text, a.Lang)}
		arts = append(arts, e)
	}
	var rows []Row
	for i := 0; i < b.N; i++ {
		bl := NewBuilder()
		for _, e := range arts {
			bl.Add(e, nil)
		}
		rows = bl.Rows("x")
	}
	var buckets, cells, artRows, artCells, rollupRows, markers int
	for _, r := range rows {
		if _, ok := MarkerVersion(r.Pair); ok && r.Kind == KindArticle {
			markers++ // a row of its own for a marker (before migration 0016)
		}
		switch r.Kind {
		case KindEntity, KindCue:
			rollupRows++
		case KindBucket:
			buckets++
		case KindCell:
			cells++
		case KindArticle:
			artRows++
			if strings.Contains(r.Pair, "|") {
				artCells++ // a row of its own for a cell (before migration 0015)
			}
		}
	}
	n := float64(len(arts))
	b.ReportMetric(float64(len(rows))/n, "rows/article")
	b.ReportMetric(float64(len(rows)-cells-artCells)/n, "rows-without-cells/article")
	b.ReportMetric(float64(artRows)/n, "article-rows/article")
	b.ReportMetric(float64(artRows-artCells)/n, "article-rows-without-cells/article")
	b.ReportMetric(float64(buckets+cells)/n, "bucket+cell-rows/article")
	b.ReportMetric(float64(rollupRows)/n, "rollup-rows/article")
	b.ReportMetric(float64(markers)/n, "marker-rows/article")
}
