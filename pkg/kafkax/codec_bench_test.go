package kafkax

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/segmentio/kafka-go/compress"
	"github.com/segmentio/kafka-go/compress/snappy"
)

// BenchmarkCodecs compresses and decompresses the sample articles in runs of
// 20 (kafka-go compresses each partition's batch as one run) with the codecs
// the topics could use: lz4 (the pipeline's), kafka-go's snappy (s2's
// "better" encoder), snappy with s2's faster encoder, and zstd. It reports
// MB/s of input and the compression ratio: LZ4 takes about a fifth of
// ingest's and the enricher's CPU (docs/performance.md, round 24).
func BenchmarkCodecs(b *testing.B) {
	runs := sampleRuns(b, "../../samples/articles.jsonl", 20)
	total := 0
	for _, r := range runs {
		total += len(r)
	}
	for _, c := range []struct {
		name  string
		codec compress.Codec
	}{
		{"lz4", compress.Lz4.Codec()},
		{"snappy", compress.Snappy.Codec()},
		{"snappy-faster", &snappy.Codec{Compression: snappy.FasterCompression}},
		{"zstd", compress.Zstd.Codec()},
	} {
		packed := make([][]byte, len(runs))
		b.Run(c.name+"/compress", func(b *testing.B) {
			b.SetBytes(int64(total))
			for b.Loop() {
				for i, r := range runs {
					packed[i] = compressRun(b, c.codec, r)
				}
			}
			n := 0
			for _, p := range packed {
				n += len(p)
			}
			b.ReportMetric(float64(total)/float64(n), "ratio")
		})
		for i, r := range runs { // when the compress benchmark was left out (-bench …/decompress)
			if packed[i] == nil {
				packed[i] = compressRun(b, c.codec, r)
			}
		}
		b.Run(c.name+"/decompress", func(b *testing.B) {
			b.SetBytes(int64(total))
			for b.Loop() {
				for i, p := range packed {
					if got := decompressRun(b, c.codec, p); !bytes.Equal(got, runs[i]) {
						b.Fatalf("run %d does not round-trip", i)
					}
				}
			}
		})
	}
}

// sampleRuns reads a JSONL file as runs of per lines each.
func sampleRuns(b *testing.B, path string, per int) [][]byte {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var runs [][]byte
	var run []byte
	for n := 1; sc.Scan(); n++ {
		run = append(append(run, sc.Bytes()...), '\n')
		if n%per == 0 {
			runs, run = append(runs, run), nil
		}
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	if len(run) > 0 {
		runs = append(runs, run)
	}
	return runs
}

func compressRun(b *testing.B, c compress.Codec, src []byte) []byte {
	var buf bytes.Buffer
	w := c.NewWriter(&buf)
	if _, err := w.Write(src); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func decompressRun(b *testing.B, c compress.Codec, src []byte) []byte {
	r := c.NewReader(bytes.NewReader(src))
	defer r.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		b.Fatal(err)
	}
	return out
}
