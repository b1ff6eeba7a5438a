package tension

import (
	"errors"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/event"
)

func TestParseGranularity(t *testing.T) {
	tests := []struct {
		in      string
		want    Granularity
		wantErr bool
	}{
		{"minute", Minute, false},
		{"hour", Hour, false},
		{"day", Day, false},
		{"week", "", true},
		{"", "", true},
		{"Hour", "", true},
	}
	for _, tt := range tests {
		got, err := ParseGranularity(tt.in)
		if (err != nil) != tt.wantErr {
			t.Fatalf("ParseGranularity(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrGranularity) {
			t.Fatalf("error %v is not ErrGranularity", err)
		}
		if got != tt.want {
			t.Fatalf("ParseGranularity(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	ts := time.Date(2025, 4, 9, 13, 47, 31, 0, time.FixedZone("CST", 8*3600))
	tests := []struct {
		g    Granularity
		want time.Time
	}{
		{Minute, time.Date(2025, 4, 9, 5, 47, 0, 0, time.UTC)},
		{Hour, time.Date(2025, 4, 9, 5, 0, 0, 0, time.UTC)},
		{Day, time.Date(2025, 4, 9, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := tt.g.Truncate(ts); !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("%s.Truncate = %v, want %v UTC", tt.g, got, tt.want)
		}
	}
}

func TestDerived(t *testing.T) {
	d := event.Dyad{Pair: "CN-US", Tension: 0.6, Direction: event.DirectionEscalation,
		Cues: []event.Cue{{Weight: 3}, {Weight: 1.5}}}
	var p Parts
	p.Add(DyadContribution(d))
	p.Add(DyadContribution(event.Dyad{Pair: "CN-US", Tension: -0.2, Direction: event.DirectionDeescalation}))
	if p.DyadArticles != 2 || p.Escalating != 1 || p.Deescalating != 1 || p.SumWeight != 4.5 {
		t.Fatalf("parts = %+v", p)
	}
	if got := NetTension(p); got < 0.1999 || got > 0.2001 {
		t.Fatalf("NetTension = %v, want 0.2", got)
	}
	if got := TensionShare(p.Escalating, 4); got != 0.25 {
		t.Fatalf("TensionShare = %v, want 0.25", got)
	}
	if got := TensionIndex(0.25, 0.125); got != 200 {
		t.Fatalf("TensionIndex = %v, want 200", got)
	}
	if got := TensionIndex(0.25, 0); got != 0 {
		t.Fatalf("TensionIndex with empty base = %v, want 0", got)
	}
	var zero Parts
	zero.Add(p)
	zero.Add(p.Neg())
	if !zero.IsZero() {
		t.Fatalf("p + -p = %+v, want zero", zero)
	}
}

func TestSquashBounded(t *testing.T) {
	for _, x := range []float64{-1e9, -10, -1, 0, 1, 10, 1e9} {
		if s := Squash(x, 15); s < -1 || s > 1 || (x > 0) != (s > 0) {
			t.Fatalf("Squash(%v) = %v", x, s)
		}
	}
	if Pair("US", "CN") != "CN-US" || Pair("CN", "US") != "CN-US" {
		t.Fatal("Pair is not sorted")
	}
}

func TestUpdateKeyRoundTrip(t *testing.T) {
	start := time.Date(2024, 3, 5, 7, 0, 0, 0, time.UTC)
	for _, v := range []string{"", "tagger-2"} {
		k := UpdateKey("CN-US", Hour, start, v)
		pair, g, s, ver, err := ParseUpdateKey(k)
		if err != nil || pair != "CN-US" || g != Hour || !s.Equal(start) || ver != v {
			t.Errorf("ParseUpdateKey(%q) = %q %q %v %q %v", k, pair, g, s, ver, err)
		}
	}
	if _, _, _, _, err := ParseUpdateKey("CN-US|week|x"); err == nil {
		t.Error("bad key parsed")
	}
}

func TestNewUpdateDerivesRatios(t *testing.T) {
	u := NewUpdate("CN-US", Day, time.Unix(0, 0), "", 3,
		Parts{DyadArticles: 4, Escalating: 2, SumScore: 1.2}, 10, 0.1, time.Now())
	if u.Articles != 10 || u.TensionShare != 0.2 || u.NetTension != 0.3 || u.TensionIndex == nil || *u.TensionIndex != 200 {
		t.Errorf("update = %+v", u)
	}
	if u := NewUpdate("CN-US", Day, time.Unix(0, 0), "", 3, Parts{}, 0, 0, time.Now()); u.TensionIndex != nil {
		t.Error("tension_index without a base")
	}
}

func TestCellUpdateKeyRoundTrip(t *testing.T) {
	start := time.Date(2024, 3, 5, 7, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		pair    string
		cell    Cell
		version string
		key     string
	}{
		{"CN-US", Cell{Actor: "US", Source: "government", Lang: "en"}, "", "CN-US|hour|2024-03-05T07:00:00Z|US|government|en"},
		{"CN-US", Cell{Source: "press", Lang: "zh-Hant"}, "tagger-2", "CN-US|hour|2024-03-05T07:00:00Z||press|zh-Hant|tagger-2"},
		{"*", Cell{Lang: "und"}, "", "*|hour|2024-03-05T07:00:00Z|||und"},
	} {
		u := NewCellUpdate(tc.pair, tc.cell, Hour, start, tc.version, 4, Parts{DyadArticles: 1}, start)
		if k := u.Key(); k != tc.key {
			t.Errorf("key %q, want %q", k, tc.key)
		}
		pair, c, g, s, ver, err := ParseCellUpdateKey(tc.key)
		if err != nil || pair != tc.pair || c != tc.cell || g != Hour || !s.Equal(start) || ver != tc.version {
			t.Errorf("ParseCellUpdateKey(%q) = %q %+v %q %v %q %v", tc.key, pair, c, g, s, ver, err)
		}
	}
	for _, bad := range []string{"CN-US|hour|2024-03-05T07:00:00Z", "CN-US|hour|2024-03-05T07:00:00Z|US|gov", "CN-US|week|x|||en"} {
		if _, _, _, _, _, err := ParseCellUpdateKey(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// FuzzParseCellUpdateKey: no key panics, and a parsed key keyed again
// parses to the same values.
func FuzzParseCellUpdateKey(f *testing.F) {
	f.Add("CN-US|hour|2024-03-05T07:00:00Z|US|government|en")
	f.Add("*|day|2024-03-05T00:00:00Z|||und|v1")
	f.Fuzz(func(t *testing.T, key string) {
		pair, c, g, s, ver, err := ParseCellUpdateKey(key)
		if err != nil {
			return
		}
		again := CellUpdateKey(pair, c, g, s, ver)
		p2, c2, g2, s2, v2, err := ParseCellUpdateKey(again)
		if err != nil || p2 != pair || g2 != g || !s2.Equal(s) || v2 != ver || c2 != c {
			t.Fatalf("%q → %q → %q %+v %q %v %q %v", key, again, p2, c2, g2, s2, v2, err)
		}
	})
}
