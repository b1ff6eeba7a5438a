package store

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// A ranked list reads the whole days of its range from the rollups and
// only the partial days at its edges raw; with lang= (no rollup holds it)
// the whole range raw.
func TestTopQueryReadsOnlyPartialDaysRaw(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		from, to, lang string
		raw            [][2]string
		rollup         bool
	}{
		{"2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", "", nil, true},
		{"2024-01-01T13:27:05Z", "2024-12-31T13:27:05Z", "", [][2]string{
			{"2024-01-01T13:27:05Z", "2024-01-02T00:00:00Z"}, {"2024-12-31T00:00:00Z", "2024-12-31T13:27:05Z"}}, true},
		{"2024-07-04T12:00:00Z", "2024-07-04T13:00:00Z", "", [][2]string{{"2024-07-04T12:00:00Z", "2024-07-04T13:00:00Z"}}, false},
		{"2024-07-04T12:00:00Z", "2024-07-05T13:00:00Z", "", [][2]string{{"2024-07-04T12:00:00Z", "2024-07-05T13:00:00Z"}}, false},
		{"2024-07-04T00:00:00Z", "2024-07-05T13:00:00Z", "", [][2]string{{"2024-07-05T00:00:00Z", "2024-07-05T13:00:00Z"}}, true},
		{"2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", "zh", [][2]string{{"2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"}}, false},
	} {
		q := TopQuery{Pair: "CN-US", Lang: tc.lang, From: at(tc.from), To: at(tc.to)}
		var want [][2]time.Time
		for _, r := range tc.raw {
			want = append(want, [2]time.Time{at(r[0]), at(r[1])})
		}
		if got := q.Raw(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s–%s %q: raw %v, want %v", tc.from, tc.to, tc.lang, got, want)
		}
		sql, _ := q.parts("CN-US", "ROLLUP", func(from, to time.Time) (string, []any) { return "RAW", nil })
		if got := strings.Contains(sql, "ROLLUP"); got != tc.rollup {
			t.Errorf("%s–%s %q: reads the rollups %v, want %v", tc.from, tc.to, tc.lang, got, tc.rollup)
		}
		if n := strings.Count(sql, "RAW"); n != len(want) {
			t.Errorf("%s–%s %q: %d raw parts, want %d", tc.from, tc.to, tc.lang, n, len(want))
		}
	}
}
