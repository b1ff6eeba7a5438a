package watch

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/tension"
)

func message(t *testing.T, pair string, g tension.Granularity, start time.Time, rev int64, articles int64) ([]byte, []byte) {
	t.Helper()
	u := tension.NewUpdate(pair, g, start, "", rev, tension.Parts{DyadArticles: articles, Escalating: articles}, articles, 0, time.Time{})
	v, err := json.Marshal(&u)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(u.Key()), v
}

func TestStateKeepsNewestRevisionPerKey(t *testing.T) {
	h := time.Date(2025, 4, 9, 13, 0, 0, 0, time.UTC)
	s := NewState(Filter{Pair: "CN-US", Interval: "hour"})
	steps := []struct {
		name      string
		pair      string
		g         tension.Granularity
		start     time.Time
		rev       int64
		articles  int64
		wantFresh bool
	}{
		{"first", "CN-US", tension.Hour, h, 2, 2, true},
		{"newer", "CN-US", tension.Hour, h, 3, 3, true},
		{"repeat", "CN-US", tension.Hour, h, 3, 3, false},
		{"older arrives late", "CN-US", tension.Hour, h, 1, 1, false},
		{"other bucket", "CN-US", tension.Hour, h.Add(time.Hour), 1, 1, true},
		{"other pair is filtered", "EU-US", tension.Hour, h, 9, 9, false},
		{"other granularity is filtered", "CN-US", tension.Day, h, 9, 9, false},
	}
	for _, st := range steps {
		k, v := message(t, st.pair, st.g, st.start, st.rev, st.articles)
		_, fresh, err := s.Apply(k, v)
		if err != nil || fresh != st.wantFresh {
			t.Fatalf("%s: fresh %v err %v, want fresh %v", st.name, fresh, err, st.wantFresh)
		}
	}
	got := s.Sorted()
	if len(got) != 2 || got[0].Revision != 3 || got[0].DyadArticles != 3 || !got[1].BucketStart.Equal(h.Add(time.Hour)) {
		t.Fatalf("state = %+v", got)
	}
	if _, _, err := s.Apply([]byte("k"), []byte("{not json")); err == nil {
		t.Fatal("want an error for an undecodable message")
	}
}

func TestPrint(t *testing.T) {
	_, v := message(t, "CN-US", tension.Hour, time.Date(2025, 4, 9, 13, 0, 0, 0, time.UTC), 3, 2)
	var u tension.Update
	json.Unmarshal(v, &u)
	var text, js bytes.Buffer
	if err := Print(&text, &u, false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text.String(), "2025-04-09T13:00Z hour   CN-US rev    3") || !strings.Contains(text.String(), "index     -") {
		t.Fatalf("text line %q", text.String())
	}
	if err := Print(&js, &u, true); err != nil {
		t.Fatal(err)
	}
	var back tension.Update
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Revision != 3 || back.Key() != u.Key() {
		t.Fatalf("JSON line %q: %v", js.String(), err)
	}
}
