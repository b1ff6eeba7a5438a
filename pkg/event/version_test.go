package event

import (
	"sort"
	"strings"
	"testing"
)

func TestTaggerVersionPrecedence(t *testing.T) {
	// In increasing precedence; each line is equal to its neighbours in
	// the same group.
	ordered := [][]string{
		{"v", "v-test", "tagger"},
		{"tagger-0.9.12"},
		{"v1", "tagger-1.0.0", "1.0", "v1.0.0"},
		{"v1.0.1"},
		{"v1.2.0", "tagger-1.2"},
		{"v1.10.0"},
		{"tagger-test-2", "v2"},
		{"v10"},
		{"tagger-2025.06.01"},
		{"tagger-20250601"},
	}
	for i, group := range ordered {
		for _, a := range group {
			for j, other := range ordered {
				for _, b := range other {
					want := 0
					if i < j {
						want = -1
					} else if i > j {
						want = 1
					}
					if got := CompareTaggerVersions(a, b); got != want {
						t.Fatalf("CompareTaggerVersions(%q, %q) = %d, want %d", a, b, got, want)
					}
				}
			}
		}
	}
	// The raw tables' version column sorts the same way.
	var all []string
	for _, g := range ordered {
		all = append(all, g[0])
	}
	sorted := append([]string(nil), all...)
	sort.Slice(sorted, func(i, j int) bool {
		pi, _ := TaggerPrecedence(sorted[i])
		pj, _ := TaggerPrecedence(sorted[j])
		return pi < pj
	})
	if strings.Join(sorted, " ") != strings.Join(all, " ") {
		t.Fatalf("precedences sort as %v", sorted)
	}
	// Every ranked row outranks a row written before ranks, whose version
	// is its enrichment time in milliseconds.
	lowest, _ := TaggerPrecedence("v")
	if lowest <= uint64(EndOfTime.UnixMilli()) {
		t.Fatalf("precedence of %q is %d, not above legacy versions", "v", lowest)
	}
}

func TestTaggerVersionInvalid(t *testing.T) {
	for _, v := range []string{"", strings.Repeat("v", 65), "tagger-1.0.0-rc1", "v1.2.3.4", "v33554432", "v1.524288", "v1.2.524288"} {
		if _, err := TaggerPrecedence(v); err == nil {
			t.Errorf("TaggerPrecedence(%q) accepted", v)
		}
		e := enriched("x", Tags{})
		e.TaggerVersion = v
		if err := ValidateEnriched(e); err == nil {
			t.Errorf("ValidateEnriched accepted tagger_version %q", v)
		}
	}
	for _, v := range []string{"v33554431", "v1.524287.524287", "tagger-1.0.0", "tagger-20250601"} {
		if _, err := TaggerPrecedence(v); err != nil {
			t.Errorf("TaggerPrecedence(%q): %v", v, err)
		}
	}
}
