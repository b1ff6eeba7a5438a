package tageval

import "testing"

// TestNormName: names are normalised as the reference scorer does
// (docs/tagger-eval.md), down to its quirks: NFKD splits accented letters
// from their accents (which become spaces), full-width letters become ASCII.
func TestNormName(t *testing.T) {
	for in, want := range map[string]string{
		"China’s Ministry of Commerce":  "china ministry commerce",
		"The U.S. Trade Representative": "u s trade representative",
		"Xi’s":                          "xi",
		"Café Nero":                     "cafe nero",
		"  Bank  of   America ":         "bank america",
		"中国商务部":                         "中国商务部",
		"Ministry of Finance (MOF)":     "ministry finance mof",
		"the":                           "",
		"Trump's 's":                    "trump",
		"Dow Jones & Co.":               "dow jones co",
		"ＡＢＣ Corp":                      "abc corp",
		"Stéphane":                      "ste phane",
		"O'Brien":                       "o brien",
		"U.S.-China":                    "u s china",
		"theater":                       "theater",
		"and/or":                        "or",
	} {
		if got := normName(in); got != want {
			t.Errorf("normName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEntMatch(t *testing.T) {
	for _, c := range []struct {
		p, pc, g string
		want     bool
	}{
		{"Donald Trump", "", "President Donald Trump", true},
		{"Trump", "", "Donald Trump", true},
		{"Xi", "", "Xi Jinping", false}, // the shorter name needs 4 characters
		{"Commerce Department", "US Department of Commerce", "Department of Commerce", true},
		{"Ministry of Commerce", "", "Commerce", true},
		{"Beijing", "Chinese government", "Chinese government", true},
		{"Research", "", "ANZ Research", true},
		{"Chen", "", "Chengdu Research", false}, // whole words only
	} {
		if got := entMatch(newScoredEntity("ORG", c.p, c.pc), newScoredEntity("ORG", c.g, "")); got != c.want {
			t.Errorf("entMatch(%q/%q, %q) = %v, want %v", c.p, c.pc, c.g, got, c.want)
		}
	}
}
