package reprocess

import "testing"

func TestTagLangKeepsWhatWasReadAndDetectsTheUnknown(t *testing.T) {
	tests := []struct{ stored, want string }{
		{"zh", "zh"},
		{"zh-Hant", "zh-Hant"},
		{"en", "en"},
		{"fr", "fr"},
		{"", ""},
		{"und", ""},
		{"und-Latn", ""},
		{"undo", "undo"},
	}
	for _, tt := range tests {
		if got := tagLang(tt.stored); got != tt.want {
			t.Errorf("tagLang(%q) = %q, want %q", tt.stored, got, tt.want)
		}
	}
}
