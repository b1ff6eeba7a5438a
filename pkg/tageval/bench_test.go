package tageval

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tension-dev/tension/pkg/tagger"
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
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	lines := bytes.Count(in, []byte("\n"))
	cpu0 := processCPU()
	for b.Loop() {
		if err := RunTag(context.Background(), tg, bytes.NewReader(in), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(len(in))*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "articles/s")
}

// BenchmarkRunTagSamples: the repository's sample articles.
func BenchmarkRunTagSamples(b *testing.B) {
	benchRunTag(b, filepath.Join("..", "..", "samples", "articles.jsonl"))
}
