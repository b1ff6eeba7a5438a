package tageval

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	segjson "github.com/segmentio/encoding/json"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/pkg/tagger"
	"github.com/tension-dev/tension/pkg/testenv"
)

// benchRunTag measures `enricher tag` (JSON in, tags, JSON out) on a JSONL
// file, in MB/s of input.
func benchRunTag(b *testing.B, path string) {
	in, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	tg, err := tagger.New()
	if err != nil {
		b.Fatal(err)
	}
	// at the GOGC `enricher tag` runs with (serve's memory settings,
	// services/enricher/tag.go), unless GOGC is set
	if p := admin.GCPercent(os.Getenv); p > 0 {
		defer debug.SetGCPercent(debug.SetGCPercent(p))
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	lines := bytes.Count(in, []byte("\n"))
	cpu0 := testenv.SelfCPU()
	for b.Loop() {
		if err := RunTag(context.Background(), tg, bytes.NewReader(in), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := testenv.SelfCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(len(in))*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "articles/s")
}

// BenchmarkRunTagSamples: the repository's sample articles.
func BenchmarkRunTagSamples(b *testing.B) {
	benchRunTag(b, filepath.Join("..", "..", "samples", "articles.jsonl"))
}

// BenchmarkTagLineCodec: reading the sample lines and writing their
// output lines, without the tagger: this package's codec against
// segmentio/encoding (what `enricher tag` used before) and encoding/json.
func BenchmarkTagLineCodec(b *testing.B) {
	in, err := os.ReadFile(filepath.Join("..", "..", "samples", "articles.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	tg, err := tagger.New()
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(in), []byte("\n"))
	var outs []any
	for _, l := range lines {
		res, err := tagOne(context.Background(), tg, l)
		if err != nil {
			b.Fatal(err)
		}
		if res.isErr {
			outs = append(outs, res.fail)
		} else {
			outs = append(outs, res.out)
		}
	}
	bench := func(name string, decode func([]byte) error, encode func([]byte, any) ([]byte, error)) {
		b.Run("decode/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				for _, l := range lines {
					if err := decode(l); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run("encode/"+name, func(b *testing.B) {
			var buf []byte
			n := 0
			for b.Loop() {
				for _, v := range outs {
					var err error
					if buf, err = encode(buf[:0], v); err != nil {
						b.Fatal(err)
					}
					n += len(buf)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds()/1e6, "MB_out/s")
		})
	}
	bench("jsonwire", func(l []byte) error { _, err := decodeTagIn(l); return err }, appendLine)
	bench("segmentio", func(l []byte) error { var a tagIn; return segjson.Unmarshal(l, &a) },
		func(b []byte, v any) ([]byte, error) {
			out, err := segjson.Append(b, v, segjson.EscapeHTML&0)
			return append(out, '\n'), err
		})
}
