package journal

import (
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
)

func article(id, version string, ts time.Time, dyads ...event.Dyad) *event.Enriched {
	return &event.Enriched{ArticleID: id, TaggerVersion: version, PublishedAt: ts, Tags: event.Tags{Dyads: dyads}}
}

var t0 = time.Date(2025, 4, 9, 13, 47, 31, 0, time.UTC)

func esc(score float64) event.Dyad {
	return event.Dyad{Pair: "CN-US", Tension: score, Direction: event.DirectionEscalation, Cues: []event.Cue{{Weight: 2}}}
}

// sum adds up bucket rows the way the query service does.
func sum(rows []Row, g tension.Granularity, pair, version string) tension.Parts {
	var p tension.Parts
	for _, r := range rows {
		if r.Kind == KindBucket && r.Granularity == string(g) && r.Pair == pair && r.TaggerVersion == version {
			p.Add(r.Parts)
		}
	}
	return p
}

func TestNewArticlesCountOnceInEveryGranularity(t *testing.T) {
	b := NewBuilder()
	b.Add(article("a", "v1", t0, esc(0.5)), nil)
	b.Add(article("b", "v1", t0.Add(time.Hour)), nil)
	rows := b.Rows()
	for _, g := range tension.Granularities {
		for _, v := range []string{CurrentView, "v1"} {
			all := sum(rows, g, tension.AllPair, v)
			if all.Articles != 2 {
				t.Errorf("%s/%q: articles = %d, want 2", g, v, all.Articles)
			}
			cnus := sum(rows, g, "CN-US", v)
			if cnus.DyadArticles != 1 || cnus.Escalating != 1 || cnus.SumScore != 0.5 || cnus.SumWeight != 2 {
				t.Errorf("%s/%q: CN-US parts = %+v", g, v, cnus)
			}
		}
	}
	// Two hour buckets, one day bucket for "*" in the current view.
	var hours, days int
	for _, r := range rows {
		if r.Kind == KindBucket && r.Pair == "*" && r.TaggerVersion == CurrentView {
			switch r.Granularity {
			case "hour":
				hours++
			case "day":
				days++
			}
		}
	}
	if hours != 2 || days != 1 {
		t.Fatalf("hour rows %d, day rows %d; want 2 and 1", hours, days)
	}
}

func TestDuplicateUnderSameVersionAddsNothing(t *testing.T) {
	b := NewBuilder()
	got := b.Add(article("a", "v1", t0, esc(0.5)), &Prior{Versions: map[string]bool{"v1": true}})
	if got != Duplicate || !b.Empty() {
		t.Fatalf("outcome %v, empty %v; want Duplicate and empty", got, b.Empty())
	}
}

func TestRecountMovesCurrentViewAndKeepsOldVersion(t *testing.T) {
	first := NewBuilder()
	first.Add(article("a", "v1", t0, esc(0.5)), nil)
	rows := first.Rows()

	// What the journal holds for "a" in the current view.
	var prior Prior
	prior.Versions = map[string]bool{"v1": true}
	for _, r := range rows {
		if r.Kind == KindArticle && r.TaggerVersion == CurrentView {
			prior.Current = append(prior.Current, Contribution{Pair: r.Pair, Bucket: r.Bucket, Parts: r.Parts})
		}
	}
	second := NewBuilder()
	deesc := event.Dyad{Pair: "CN-US", Tension: -0.4, Direction: event.DirectionDeescalation}
	if got := second.Add(article("a", "v2", t0, deesc), &prior); got != Recounted {
		t.Fatalf("outcome %v, want Recounted", got)
	}
	rows = append(rows, second.Rows()...)
	for _, g := range tension.Granularities {
		cur := sum(rows, g, "CN-US", CurrentView)
		if cur.DyadArticles != 1 || cur.Escalating != 0 || cur.Deescalating != 1 || cur.SumScore != -0.4 {
			t.Errorf("%s current CN-US = %+v, want one de-escalating article", g, cur)
		}
		if all := sum(rows, g, "*", CurrentView); all.Articles != 1 {
			t.Errorf("%s current articles = %d, want 1", g, all.Articles)
		}
		if v1 := sum(rows, g, "CN-US", "v1"); v1.Escalating != 1 {
			t.Errorf("%s v1 view lost: %+v", g, v1)
		}
		if v2 := sum(rows, g, "CN-US", "v2"); v2.Deescalating != 1 {
			t.Errorf("%s v2 view = %+v", g, v2)
		}
	}
}

func TestAdvanceRecordsDeltas(t *testing.T) {
	b := NewBuilder()
	b.Advance("t", 2, 10, 15)
	b.Advance("t", 3, 7, 7) // nothing read: no row
	rows := b.Rows()
	if len(rows) != 1 || rows[0].Kind != KindOffset || rows[0].SrcPartition != 2 || rows[0].Position != 5 {
		t.Fatalf("rows = %+v", rows)
	}
}

func TestArticleWithoutPublishedAtUsesReceivedAt(t *testing.T) {
	e := &event.Enriched{ArticleID: "x", ReceivedAt: t0}
	c := Contributions(e)
	if len(c) != 1 || !c[0].Bucket.Equal(t0.Truncate(time.Minute)) {
		t.Fatalf("contributions = %+v", c)
	}
}
