package tagger

import "testing"

func TestIsStateMedia(t *testing.T) {
	for _, tc := range []struct {
		source string
		want   bool
	}{
		{"Xinhua", true}, {"Global Times", true}, {"Yuyuan Tantian", true}, {"state media", true},
		{"Reuters", false}, {"Ministry of Commerce", false}, {"", false}, {"xinhua", false},
	} {
		if got := IsStateMedia(tc.source); got != tc.want {
			t.Errorf("IsStateMedia(%q) = %v, want %v", tc.source, got, tc.want)
		}
	}
}

// TestStateMediaCuesAreRecognised: a cue the tagger attributes to a state
// outlet has a Source IsStateMedia knows, in English and in Chinese.
func TestStateMediaCuesAreRecognised(t *testing.T) {
	tg, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ lang, text string }{
		{"en", "The Global Times said Beijing would impose retaliatory tariffs on US farm goods."},
		{"zh", "环球时报称，中方将对美国农产品加征关税。"},
	} {
		tags := tg.TagLang("", tc.text, tc.lang)
		found := false
		for _, d := range tags.Dyads {
			for _, c := range d.Cues {
				if c.SourceType == "MEDIA" {
					found = true
					if !IsStateMedia(c.Source) {
						t.Errorf("%s: cue %q spoken by %q (MEDIA) is not recognised as state media", tc.lang, c.Text, c.Source)
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: no MEDIA cue in %q: %+v", tc.lang, tc.text, tags.Dyads)
		}
	}
}
