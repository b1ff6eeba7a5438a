package chstore

import (
	"io"
	"testing"

	"github.com/tension-dev/tension/pkg/flagenv"
)

// The uncompressed cache is on unless a flag or its variable turns it
// off, for writers and the reader alike, and reaches the query settings.
func TestUncompressedCacheSetting(t *testing.T) {
	for _, c := range []struct {
		name string
		role Role
		args []string
		env  map[string]string
		want bool
	}{
		{"writer default", Writer, nil, nil, true},
		{"reader default", Reader, nil, nil, true},
		{"flag off", Writer, []string{"-clickhouse-uncompressed-cache=false"}, nil, false},
		{"variable off", Reader, nil, map[string]string{"CLICKHOUSE_UNCOMPRESSED_CACHE": "false"}, false},
		{"flag over variable", Writer, []string{"-clickhouse-uncompressed-cache=true"}, map[string]string{"CLICKHOUSE_UNCOMPRESSED_CACHE": "false"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := flagenv.New("test", func(k string) string { return c.env[k] }, io.Discard)
			f := DefineFlags(fs, c.role)
			if err := fs.Parse(c.args); err != nil {
				t.Fatal(err)
			}
			cfg, err := f.Config()
			if err != nil {
				t.Fatal(err)
			}
			s := settings(cfg)
			want := 0
			if c.want {
				want = 1
			}
			if got := s["use_uncompressed_cache"]; got != want {
				t.Errorf("use_uncompressed_cache = %v, want %d", got, want)
			}
			if s["max_query_size"] != 64<<20 {
				t.Errorf("max_query_size = %v, want %d", s["max_query_size"], 64<<20)
			}
		})
	}
}
