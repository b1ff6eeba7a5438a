package annotations

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMilestonesParse(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	all := s.Between("", time.Unix(0, 0), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if len(all) < 20 {
		t.Fatalf("%d milestones, want the project's list (20+)", len(all))
	}
	kinds := map[string]int{}
	for i, e := range all {
		kinds[e.Kind]++
		if e.Origin != Project {
			t.Errorf("%v: origin %q", e, e.Origin)
		}
		if i > 0 && e.Date.Before(all[i-1].Date) {
			t.Errorf("not in date order at %d", i)
		}
	}
	if kinds[Escalation] == 0 || kinds[Deescalation] == 0 {
		t.Errorf("kinds %v: want escalations and truces", kinds)
	}
	// The sample months that docs/design.md §4 calls escalation and truce
	// months each hold a milestone of that kind.
	for _, m := range []struct {
		month, kind string
	}{{"2018-07", Escalation}, {"2019-05", Escalation}, {"2018-12", Deescalation}, {"2020-01", Deescalation}, {"2025-04", Escalation}, {"2025-05", Deescalation}} {
		from, _ := time.Parse("2006-01", m.month)
		found := false
		for _, e := range s.Between("CN-US", from, from.AddDate(0, 1, 0)) {
			found = found || e.Kind == m.kind
		}
		if !found {
			t.Errorf("no %s milestone in %s", m.kind, m.month)
		}
	}
}

func TestUserFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mine.tsv")
	if err := os.WriteFile(good, []byte("# mine\ndate\tpair\tkind\tlabel\n2025-04-10\t*\tother\tOur desk starts covering tariffs\r\n2025-04-12\tEU-US\tescalation\tEU list of counter-measures\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(good)
	if err != nil {
		t.Fatal(err)
	}
	apr := s.Between("CN-US", time.Date(2025, 4, 9, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 11, 0, 0, 0, 0, time.UTC))
	if len(apr) != 2 || apr[0].Origin != Project || apr[1].Origin != User || apr[1].Pair != AnyPair {
		t.Fatalf("CN-US 04-09..04-10: %+v; want the project's 04-09 and the user's event for every pair", apr)
	}
	if eu := s.Between("EU-US", time.Date(2025, 4, 12, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 13, 0, 0, 0, 0, time.UTC)); len(eu) != 1 || eu[0].Label != "EU list of counter-measures" {
		t.Fatalf("EU-US: %+v", eu)
	}

	for _, tc := range []struct{ line, want string }{
		{"2025-13-01\tCN-US\tother\tx", "date"},
		{"2025-01-01\tUS-CN\tother\tx", "pair"},
		{"2025-01-01\tCN-US\tbad\tx", "kind"},
		{"2025-01-01\tCN-US\tother\t ", "label"},
		{"2025-01-01\tCN-US\tother", "4 tab-separated fields"},
		{"2025-01-01\tCN-US\tother\t" + strings.Repeat("x", 301), "label"},
	} {
		bad := filepath.Join(dir, "bad.tsv")
		if err := os.WriteFile(bad, []byte("# c\n"+tc.line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(bad)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v; want ErrFormat naming line 2 and %q", tc.line, err, tc.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "absent.tsv")); err == nil {
		t.Error("a missing file should be an error")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("2025-04-09\tCN-US\tescalation\tUS raises tariffs\n")
	f.Add("# c\n\n2025-04-09\t*\tother\tx\ty\n")
	f.Fuzz(func(t *testing.T, s string) {
		evs, err := Parse(strings.NewReader(s), "fuzz", User)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !strings.Contains(err.Error(), "read fuzz") {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		for _, e := range evs {
			if e.Label == "" || e.Date.IsZero() || e.Origin != User {
				t.Fatalf("accepted a bad event %+v", e)
			}
		}
	})
}
