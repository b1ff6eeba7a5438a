package enrich

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/pkg/kafkax/kafkatest"
	"github.com/tension-dev/tension/pkg/tagger"
	"github.com/tension-dev/tension/pkg/testenv"
)

// BenchmarkIntegrationEnricher (make bench-enricher) measures the enricher's
// streaming path as `enricher serve` runs it (its reader, writers, batch
// settings and soft memory limit): N synthetic raw articles, published as
// ingest publishes them, are read from Kafka, tagged, published enriched
// and committed. It reports the CPU time of this process per article (the
// enricher: nothing else runs in it meanwhile), the wall time, the heap
// allocations and GC cycles, and the CPU time of the local Kafka broker.
// TENSION_BENCH_ENRICHER_ARTICLES sets N (default 100000);
// TENSION_BENCH_ENRICHER_COMPRESSION the output codec (enricher -compression,
// default lz4); TENSION_BENCH_ENRICHER_CPUPROFILE, when set, is where a CPU
// profile of the run goes.
func BenchmarkIntegrationEnricher(b *testing.B) {
	brokers := kafkatest.Brokers(b)
	n := testenv.Int(b, "TENSION_BENCH_ENRICHER_ARTICLES", 100_000)
	raw := kafkatest.Topic(b, brokers, "bench.enricher.raw.")
	out := kafkatest.Topic(b, brokers, "bench.enricher.enriched.")
	dlq := kafkatest.Topic(b, brokers, "bench.enricher.dlq.")
	ctx := context.Background()
	if err := kafkax.EnsureTopics(ctx, brokers, kafkax.TopicSpec{Name: raw, Partitions: 6},
		kafkax.TopicSpec{Name: out, Partitions: 6}, kafkax.TopicSpec{Name: dlq, Partitions: 6}); err != nil {
		b.Fatal(err)
	}
	size := produceRaw(b, brokers, raw, n)
	b.Logf("%d raw articles (%.0f MB) in %s", n, float64(size)/1e6, raw)

	codec, err := kafkax.ParseCompression(cmp.Or(os.Getenv("TENSION_BENCH_ENRICHER_COMPRESSION"), "lz4"))
	if err != nil {
		b.Fatal(err)
	}
	// The runtime settings of `enricher serve` (its flags' defaults).
	debug.SetMemoryLimit(int64(admin.MemoryLimit(os.Getenv, admin.DefaultMemoryLimit)))
	if p := admin.GCPercent(os.Getenv); p > 0 {
		defer debug.SetGCPercent(debug.SetGCPercent(p))
	}
	t, err := tagger.New()
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	b.ResetTimer()
	for i := range b.N {
		rc := kafkax.ReaderConfig(brokers, "bench-enricher-"+raw+"-"+strconv.Itoa(i), raw)
		reader := kafka.NewReader(rc)
		w := kafkax.NewWriter(brokers, out, 0)
		FitWriter(w, 0)
		w.Compression = codec
		d := kafkax.NewWriter(brokers, dlq, 0)
		reg := prometheus.NewRegistry()
		m := NewMetrics(reg)
		e := New(Config{TaggerVersion: tagger.Version}, reader, w, d, t, logger, m)

		kafkaPid := kafkaPID()
		kafkaBefore := processCPU(kafkaPid)
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		stop := profile(b)
		cpu0 := testenv.SelfCPU()
		start := time.Now()
		load := testenv.LoadAverage()
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- e.Run(rctx) }()
		deadline := start.Add(30 * time.Minute)
		for testutil.ToFloat64(m.enriched)+testutil.ToFloat64(m.dead) < float64(n) {
			if time.Now().After(deadline) {
				b.Fatalf("enriched %.0f of %d", testutil.ToFloat64(m.enriched), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
		wall := time.Since(start)
		cpu := testenv.SelfCPU() - cpu0
		stop()
		runtime.ReadMemStats(&ms1)
		kafkaCPU := processCPU(kafkaPid) - kafkaBefore
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		reader.Close()
		w.Close()
		d.Close()
		if dead := testutil.ToFloat64(m.dead); dead != 0 {
			b.Fatalf("%.0f dead letters", dead)
		}
		per := float64(n) / 1e5
		b.Logf("enricher: %d articles in %v wall (%.0f articles/s), %.2f CPU-s per 100k articles (%.0f articles per CPU-second); "+
			"%.0f allocs and %.0f KB allocated per article, %d GC cycles; Kafka broker %.2f CPU-s per 100k; load %s at the start, %s at the end",
			n, wall.Round(time.Millisecond), float64(n)/wall.Seconds(), cpu.Seconds()/per, float64(n)/cpu.Seconds(),
			float64(ms1.Mallocs-ms0.Mallocs)/float64(n), float64(ms1.TotalAlloc-ms0.TotalAlloc)/1e3/float64(n), ms1.NumGC-ms0.NumGC,
			kafkaCPU.Seconds()/per, load, testenv.LoadAverage())
		b.ReportMetric(float64(n)/wall.Seconds(), "articles/s")
		b.ReportMetric(cpu.Seconds()/per, "cpu-s/100k")
		b.ReportMetric(kafkaCPU.Seconds()/per, "kafka-cpu-s/100k")
		b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(n), "allocs/article")
	}
}

// produceRaw publishes n synthetic articles to topic as ingest publishes
// them and returns their bytes.
func produceRaw(b *testing.B, brokers []string, topic string, n int) int {
	w := kafkax.NewWriter(brokers, topic, 0)
	defer w.Close()
	size := 0
	for i := 0; i < n; i += 2000 {
		batch := synthRaw(b, uint64(i), min(2000, n-i))
		for _, m := range batch {
			size += len(m.Value)
		}
		if err := w.WriteMessages(context.Background(), batch...); err != nil {
			b.Fatal(err)
		}
	}
	return size
}

// profile writes a CPU profile of the enricher's run (not of making the
// articles) to $TENSION_BENCH_ENRICHER_CPUPROFILE when set; it returns
// the function that stops it.
func profile(b *testing.B) func() {
	path := os.Getenv("TENSION_BENCH_ENRICHER_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		b.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// kafkaPID is the local broker's pid from the platform's pid file
// ($TENSION_LOCAL, else the repository's .local: kafka/kafka.pid), or 0:
// a broker elsewhere counts no CPU.
func kafkaPID() int {
	dir := os.Getenv("TENSION_LOCAL")
	if dir == "" {
		dir = "../../../../.local" // from this package's directory, where go test runs
	}
	pid, _ := testenv.PidFile(filepath.Join(dir, "kafka", "kafka.pid"))
	return pid
}

// processCPU is process pid's CPU time, 0 for pid 0 or a process gone.
func processCPU(pid int) time.Duration {
	p, _ := testenv.ReadProcStat(pid)
	return p.CPU()
}
