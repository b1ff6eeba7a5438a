package journal

import (
	"testing"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
)

// apply runs articles through builders one batch at a time, as the sink
// does, carrying the priors between batches, and returns all rows and the
// outcomes.
func apply(arts ...*event.Enriched) ([]Row, []Outcome) {
	priors := map[string]*Prior{}
	var rows []Row
	var outs []Outcome
	for _, e := range arts {
		b := NewBuilder()
		o := b.Add(e, priors[e.ArticleID])
		priors[e.ArticleID] = priors[e.ArticleID].After(e, o)
		rows = append(rows, b.Rows("blk")...)
		outs = append(outs, o)
	}
	return rows, outs
}

var deesc = event.Dyad{Pair: "CN-US", Tension: -0.4, Direction: event.DirectionDeescalation, Cues: []event.Cue{{Weight: 1}}}

// TestOlderVersionArrivingLateIsNotCurrent: the current view is the highest
// tagger version, whatever order the versions arrive in; a late lower
// version is counted in its own view only.
func TestOlderVersionArrivingLateIsNotCurrent(t *testing.T) {
	newer := article("a", "tagger-1.2.0", t0, deesc)
	older := article("a", "tagger-1.1.9", t0, esc(0.5))
	inOrder, outs1 := apply(older, newer)
	late, outs2 := apply(newer, older)
	if outs1[1] != Recounted || outs2[0] != Counted || outs2[1] != Older {
		t.Fatalf("outcomes in order %v, late %v", outs1, outs2)
	}
	for _, g := range tension.Granularities {
		for _, v := range []string{CurrentView, "tagger-1.2.0", "tagger-1.1.9"} {
			a, b := sum(inOrder, g, "CN-US", v), sum(late, g, "CN-US", v)
			if a != b {
				t.Fatalf("%s/%q: in order %+v, late %+v", g, v, a, b)
			}
		}
		cur := sum(late, g, "CN-US", CurrentView)
		if cur.Deescalating != 1 || cur.Escalating != 0 || cur.DyadArticles != 1 {
			t.Fatalf("%s current view = %+v, want the higher version's de-escalation", g, cur)
		}
		if all := sum(late, g, tension.AllPair, CurrentView); all.Articles != 1 {
			t.Fatalf("%s: %d articles in the current view", g, all.Articles)
		}
	}
	// A third, still older version after both changes nothing current.
	rows, outs := apply(newer, older, article("a", "v1", t0, esc(0.9)))
	if outs[2] != Older || sum(rows, "day", "CN-US", CurrentView).Deescalating != 1 || sum(rows, "day", "CN-US", "v1").Escalating != 1 {
		t.Fatalf("outcomes %v", outs)
	}
}

func TestTiedVersionsAreRefused(t *testing.T) {
	rows, outs := apply(article("a", "tagger-2.0.0", t0, esc(0.5)), article("a", "other-2.0.0", t0, deesc))
	if outs[1] != Tied {
		t.Fatalf("outcomes %v", outs)
	}
	if sum(rows, "day", "CN-US", "other-2.0.0") != (tension.Parts{}) || sum(rows, "day", "CN-US", CurrentView).Escalating != 1 {
		t.Fatal("a tied version changed the index")
	}
	p := (&Prior{Versions: map[string]bool{"tagger-2.0.0": true, "v1": true}})
	if got := p.TiedWith("other-2.0.0"); got != "tagger-2.0.0" {
		t.Fatalf("TiedWith = %q", got)
	}
}
