package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

var (
	t0       = time.Date(2025, 4, 9, 12, 0, 0, 0, time.UTC)
	goodID   = "0b9a6a4c-0000-5000-8000-000000000001"
	goodWhen = Article{ArticleID: goodID, PublishedAt: t0, ReceivedAt: t0.Add(time.Hour)}
)

// denseTags is what a cue- and entity-dense article yields: n entities,
// and dyads with n cues each.
func denseTags(n int, pairs ...string) Tags {
	var tags Tags
	for i := range n {
		tags.Entities = append(tags.Entities, Entity{Text: "Xinhua", Type: EntityMedia, Canonical: "Xinhua", Country: "CN", Start: i * 7, End: i*7 + 6})
	}
	for k, p := range pairs {
		d := Dyad{Pair: p, Tension: 0.9 - float64(k)*0.1, Direction: DirectionEscalation}
		for i := range n {
			d.Cues = append(d.Cues, Cue{Text: "raised tariffs", Category: "COERCE", Sentence: i % 1000, Start: i * 20, End: i*20 + 14,
				Actor: "US", Target: "CN", Polarity: 1, Weight: float64(i%10) + 0.5, SourceType: "NEWS"})
		}
		tags.Dyads = append(tags.Dyads, d)
	}
	tags.Relevant, tags.Countries = true, []string{"CN", "US"}
	return tags
}

func enriched(text string, tags Tags) *Enriched {
	return &Enriched{ArticleID: goodID, EventID: goodID, Text: text, PublishedAt: t0, ReceivedAt: t0, EnrichedAt: t0,
		TaggerVersion: "tagger-1.0.0", Tags: tags}
}

func TestFitTagsLeavesWhatFitsAlone(t *testing.T) {
	e := enriched("Washington raised tariffs.", denseTags(3, "CN-US"))
	want, _ := json.Marshal(e)
	got, err := FitTags(e, []byte(goodID), MaxRecordBytes)
	if err != nil || string(got) != string(want) || e.Cut != nil {
		t.Fatalf("FitTags changed a record that fits: err %v, cut %v", err, e.Cut)
	}
}

func TestFitTagsCutsToTheLimit(t *testing.T) {
	for _, limit := range []int{MaxRecordBytes, 200_000, 30_000} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			full := denseTags(3000, "CN-US", "EU-US", "CN-JP")
			e := enriched(strings.Repeat("Beijing retaliated. ", 100), full)
			key := []byte(goodID)
			v, err := FitTags(e, key, limit)
			if err != nil {
				t.Fatal(err)
			}
			if n := RecordSize(key, v, nil); n > limit || n < limit-2_000 {
				t.Fatalf("record is %d bytes for a limit of %d: over it, or cut far more than needed", n, limit)
			}
			back, err := DecodeEnriched(v)
			if err != nil {
				t.Fatalf("the cut record does not validate: %v", err)
			}
			if back.Cut == nil || back.Cut.Entities != len(full.Entities)-len(back.Entities) || back.Cut.Dyads != 0 {
				t.Fatalf("cut = %+v with %d of %d entities", back.Cut, len(back.Entities), len(full.Entities))
			}
			cues := 0
			for i, d := range back.Dyads {
				orig := full.Dyads[i]
				cues += len(d.Cues)
				// The index counts every cue the tagger found.
				if d.TotalCues() != len(orig.Cues) || math.Abs(d.TotalWeight()-orig.TotalWeight()) > 1e-9 {
					t.Fatalf("dyad %s: totals %d/%v, want %d/%v", d.Pair, d.TotalCues(), d.TotalWeight(), len(orig.Cues), orig.TotalWeight())
				}
				// The heaviest cues are the ones kept.
				minKept, maxCut := math.Inf(1), math.Inf(-1)
				kept := map[int]bool{}
				for _, c := range d.Cues {
					minKept = math.Min(minKept, c.Weight)
					kept[c.Start] = true
				}
				for _, c := range orig.Cues {
					if !kept[c.Start] {
						maxCut = math.Max(maxCut, c.Weight)
					}
				}
				if len(d.Cues) > 0 && maxCut > minKept {
					t.Fatalf("dyad %s kept a cue of weight %v but cut one of %v", d.Pair, minKept, maxCut)
				}
			}
			if back.Cut.Cues != 3*3000-cues {
				t.Fatalf("cut.cues = %d, want %d", back.Cut.Cues, 3*3000-cues)
			}
			// The first mentions are the ones kept.
			for i, en := range back.Entities {
				if en != full.Entities[i] {
					t.Fatalf("entity %d is not the %dth mention", i, i)
				}
			}
			// Deterministic.
			again := enriched(strings.Repeat("Beijing retaliated. ", 100), denseTags(3000, "CN-US", "EU-US", "CN-JP"))
			v2, _ := FitTags(again, key, limit)
			if string(v2) != string(v) {
				t.Fatal("the same input was cut differently")
			}
		})
	}
}

func TestFitTagsDropsTheWeakestDyadsLast(t *testing.T) {
	var tags Tags
	codes := []string{"AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AR", "AT", "AU", "AZ", "BA", "BB", "BD", "BE"}
	for i, a := range codes {
		for _, b := range codes[i+1:] {
			tension := float64(len(tags.Dyads)%100) / 100
			tags.Dyads = append(tags.Dyads, Dyad{Pair: a + "-" + b, Tension: tension, Direction: DirectionNeutral,
				Cues: []Cue{{Text: "warned", Weight: 1, SourceType: "NEWS"}}})
		}
	}
	e := enriched("x", tags)
	key := []byte(goodID)
	v, err := FitTags(e, key, 5_000)
	if err != nil {
		t.Fatal(err)
	}
	if RecordSize(key, v, nil) > 5_000 || e.Cut == nil || e.Cut.Dyads == 0 || e.Cut.Dyads+len(e.Dyads) != len(tags.Dyads) {
		t.Fatalf("cut = %+v, %d dyads kept of %d", e.Cut, len(e.Dyads), len(tags.Dyads))
	}
	minKept := 1.0
	for _, d := range e.Dyads {
		minKept = math.Min(minKept, math.Abs(d.Tension))
	}
	for _, d := range tags.Dyads {
		found := false
		for _, k := range e.Dyads {
			found = found || k.Pair == d.Pair
		}
		if !found && math.Abs(d.Tension) > minKept {
			t.Fatalf("dropped %s (|tension| %v) but kept one of %v", d.Pair, d.Tension, minKept)
		}
	}
}

func TestFitTagsRefusesAnArticleThatAloneIsTooLarge(t *testing.T) {
	e := enriched(strings.Repeat("<", MaxRecordBytes/6), Tags{}) // each '<' encodes to 6 bytes
	_, err := FitTags(e, []byte(goodID), MaxRecordBytes)
	var se *SizeError
	if !errors.As(err, &se) || !errors.Is(err, ErrTooLarge) || se.Size <= MaxRecordBytes {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "message limit") {
		t.Fatalf("reason %q does not say which limit", err)
	}
}

func TestEncodeArticleSizeRule(t *testing.T) {
	now := t0.Add(2 * time.Hour)
	base := Article{URL: "https://example.com/a"}
	rec, err := EncodeArticle(&base, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Grow the text so the record is exactly MaxArticleBytes, then one more.
	a := base
	a.Text = strings.Repeat("x", MaxArticleBytes-rec.Size())
	rec, err = EncodeArticle(&a, now, 0)
	if err != nil || rec.Size() != MaxArticleBytes {
		t.Fatalf("a record of exactly the limit: size %d, err %v", rec.Size(), err)
	}
	if a.ArticleID != ArticleID(a.URL, a.Text) || !a.ReceivedAt.Equal(now) || string(rec.Key) != a.ArticleID {
		t.Fatalf("not stamped: %+v", a)
	}
	a.Text += "x"
	if _, err = EncodeArticle(&a, now, 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("one byte over: err = %v", err)
	}
	// A caller's lower limit applies; a higher one is capped.
	if _, err = EncodeArticle(&Article{Text: strings.Repeat("x", 2000)}, now, 1024); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit 1024: err = %v", err)
	}
	if _, err = EncodeArticle(&Article{Text: strings.Repeat("x", MaxArticleBytes)}, now, 2*MaxRecordBytes); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a limit above MaxArticleBytes is capped: err = %v", err)
	}
}

func TestValidateEnrichedWindow(t *testing.T) {
	tests := []struct {
		name     string
		pub, rec time.Time
		wantIn   string
	}{
		{"in window", t0, t0, ""},
		{"a day ahead of receipt", t0.Add(24 * time.Hour), t0, ""},
		{"more than a day ahead", t0.Add(24*time.Hour + time.Second), t0, "more than one day after"},
		{"before 1971", time.Date(1970, 6, 1, 0, 0, 0, 0, time.UTC), t0, "before 1971-01-01"},
		{"counted at receipt", time.Time{}, t0, ""},
		{"received in 2106", time.Time{}, time.Date(2106, 1, 2, 0, 0, 0, 0, time.UTC), "received_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := enriched("x", Tags{})
			e.PublishedAt, e.ReceivedAt = tt.pub, tt.rec
			err := ValidateEnriched(e)
			if (err != nil) != (tt.wantIn != "") || (err != nil && (!strings.Contains(err.Error(), tt.wantIn) || !errors.Is(err, ErrInvalidEnriched))) {
				t.Fatalf("err = %v, want %q", err, tt.wantIn)
			}
		})
	}
}

func TestEnrichBuildsWhatTheSinkAccepts(t *testing.T) {
	a := goodWhen
	a.Text, a.Title, a.URL = "Washington raised tariffs.", "T", "https://example.com/a"
	e, rec, err := Enrich(&a, denseTags(2, "CN-US"), "tagger-1.0.0", t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeEnriched(rec.Value)
	if err != nil || string(rec.Key) != goodID || back.EventID != e.EventID || len(back.Dyads[0].Cues) != 2 || back.Cut != nil {
		t.Fatalf("err %v, key %s, back %+v", err, rec.Key, back)
	}
	// An article without published_at is counted at its receipt.
	a.PublishedAt = time.Time{}
	if e, _, _ = Enrich(&a, Tags{}, "v", t0); !e.PublishedAt.Equal(a.ReceivedAt) {
		t.Fatalf("published_at = %v, want received_at %v", e.PublishedAt, a.ReceivedAt)
	}
	// Tags that break the contract are a permanent error.
	if _, _, err = Enrich(&a, Tags{Dyads: []Dyad{{Pair: "US-CN", Direction: DirectionNeutral}}}, "v", t0); !errors.Is(err, ErrInvalidEnriched) {
		t.Fatalf("unsorted pair: err = %v", err)
	}
}

func TestCheckPublishedAt(t *testing.T) {
	rcv := time.Date(2025, 5, 12, 10, 0, 0, 500, time.UTC)
	for _, tt := range []struct {
		t  time.Time
		ok bool
	}{
		{time.Date(2025, 5, 12, 9, 0, 0, 0, time.UTC), true},
		{time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(1970, 12, 31, 23, 59, 59, 0, time.UTC), false},
		{rcv.Truncate(time.Second).Add(24 * time.Hour), true},
		{rcv.Truncate(time.Second).Add(24*time.Hour + time.Second), false},
	} {
		err := CheckPublishedAt(tt.t, rcv)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalidArticle)) {
			t.Errorf("CheckPublishedAt(%s) = %v, want ok=%v", tt.t, err, tt.ok)
		}
		// The same decision as DecodeArticle's.
		_, derr := DecodeArticle([]byte(`{"text":"x","published_at":"`+tt.t.Format(time.RFC3339)+`"}`), DecodeOptions{Now: rcv})
		if (derr == nil) != (err == nil) {
			t.Errorf("%s: CheckPublishedAt %v, DecodeArticle %v", tt.t, err, derr)
		}
	}
}

func TestEnrichCarriesPublishedAtSource(t *testing.T) {
	a, err := DecodeArticle([]byte(`{"text":"Tariffs rise.","published_at_source":"none"}`), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rcv := time.Date(2025, 5, 12, 10, 0, 0, 0, time.UTC)
	rec, err := EncodeArticle(&a, rcv, 0)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeArticle(rec.Value, DecodeOptions{FromTopic: true})
	if err != nil || back.PublishedAtSource != "none" {
		t.Fatalf("topic round trip: %+v, %v", back, err)
	}
	e, _, err := Enrich(&back, Tags{}, "t1", rcv)
	if err != nil {
		t.Fatal(err)
	}
	if e.PublishedAtSource != "none" || !e.PublishedAt.Equal(rcv) {
		t.Fatalf("enriched: published_at %s source %q, want the receipt time and none", e.PublishedAt, e.PublishedAtSource)
	}
}

// isPair is PairPattern's match, and a pair listed twice is refused among
// few dyads and among many.
func TestPairChecks(t *testing.T) {
	for _, s := range []string{"CN-US", "AA-ZZ", "cn-US", "CN_US", "CN-US ", "CNUS", "C-US", "CN-U", "", "ÄB-CD", "CN-USA", "\nCN-US", "12-34", "@[-`{"} {
		if got, want := isPair(s), PairPattern.MatchString(s); got != want {
			t.Errorf("isPair(%q) = %v, PairPattern says %v", s, got, want)
		}
	}
	pairs := func(n int) []Dyad {
		var ds []Dyad
		for i := range n {
			ds = append(ds, Dyad{Pair: fmt.Sprintf("A%c-Z%c", 'A'+i/26, 'A'+i%26), Direction: DirectionNeutral})
		}
		return ds
	}
	for _, n := range []int{2, 15, 16, 17, 40} {
		for dup := 1; dup < n; dup += 7 {
			e := enriched("x", Tags{Dyads: pairs(n)})
			if err := ValidateEnriched(e); err != nil {
				t.Fatalf("%d distinct dyads: %v", n, err)
			}
			e.Dyads[dup].Pair = e.Dyads[dup-1].Pair
			if err := ValidateEnriched(e); err == nil || !strings.Contains(err.Error(), "appears twice") {
				t.Fatalf("%d dyads, #%d repeats the one before: err = %v", n, dup, err)
			}
			e = enriched("x", Tags{Dyads: pairs(n)})
			e.Dyads[n-1].Pair = e.Dyads[dup-1].Pair
			if err := ValidateEnriched(e); err == nil || !strings.Contains(err.Error(), "appears twice") {
				t.Fatalf("%d dyads, the last repeats #%d: err = %v", n, dup-1, err)
			}
		}
	}
}
