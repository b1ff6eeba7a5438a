package store

import "testing"

func TestCueContext(t *testing.T) {
	text := "Talks stalled. Washington raised tariffs on Chinese steel, officials said! Beijing vowed to respond."
	tests := []struct {
		name               string
		cue                string
		start, end         int
		before, match, aft string
		wantNil            bool
	}{
		{"middle sentence", "raised tariffs", 26, 40, "Washington ", "raised tariffs", " on Chinese steel, officials said!", false},
		{"first sentence", "Talks", 0, 5, "", "Talks", " stalled.", false},
		{"last sentence", "respond", 92, 99, "Beijing vowed to ", "respond", ".", false},
		{"offsets past the end", "x", 95, 200, "", "", "", true},
		{"text differs", "imposed sanctions", 26, 40, "", "", "", true},
		{"empty span", "", 10, 10, "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cueContext(text, tt.cue, tt.start, tt.end)
			if tt.wantNil {
				if c != nil {
					t.Fatalf("want nil, got %+v", c)
				}
				return
			}
			if c == nil || c.Before != tt.before || c.Match != tt.match || c.After != tt.aft {
				t.Fatalf("got %+v", c)
			}
		})
	}
	// Multi-byte text: cuts stay on rune boundaries.
	if c := cueContext("日本と中国。関税を引き上げた。", "関税", 18, 24); c == nil || c.Match != "関税" {
		t.Fatalf("utf-8: %+v", c)
	}
}
