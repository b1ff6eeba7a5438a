package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/testenv"
)

// BenchmarkIntegrationMemory (make bench-memory) streams large articles
// through the whole local pipeline — ingest → Kafka → enricher → Kafka →
// sink → ClickHouse — with the services at their default batching, and
// reports the peak resident memory (VmHWM) of ingest, the enricher and the
// sink. It fails when one passes 1 GiB, when an article goes missing or is
// dead-lettered, or when the pipeline stops flowing.
//
// The articles are as large as ingest admits (a raw record of at most
// 500,000 bytes: the enriched record carries the text again plus its tags,
// within Kafka's 1,000,000) and dense with entities and cues, so their
// enriched records come near the 1 MB limit (tags cut to fit): the largest
// messages the enricher writes and the sink reads.
//
// TENSION_BENCH_ARTICLES (default 2000) and TENSION_BENCH_ARTICLE_BYTES
// (default 495000 bytes of text) size the load.
func BenchmarkIntegrationMemory(b *testing.B) {
	n := testenv.Int(b, "TENSION_BENCH_ARTICLES", 2000)
	size := testenv.Int(b, "TENSION_BENCH_ARTICLE_BYTES", 495_000)
	const limit = 1 << 30
	for range b.N {
		s := newStack(b)
		s.startAll()
		pids := map[string]int{"ingest": s.procs["ingest"].Process.Pid, "enricher": s.procs["enricher"].Process.Pid,
			"sink": s.procs["sink"].Process.Pid}
		base := map[string]int64{}
		for name, pid := range pids {
			base[name] = procStatusKiB(b, pid, "VmRSS")
		}

		start := time.Now()
		published := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		sendLarge(b, s, n, size, published)
		sent := time.Since(start)
		from, to := published.Add(-24*time.Hour), published.Add(time.Duration(n+48)*time.Hour)
		waitFlowing(b, s, from, to, int64(n))
		took := time.Since(start)

		var distinct uint64
		if err := s.ch.QueryRow(context.Background(), "SELECT uniqExact(article_id) FROM articles").Scan(&distinct); err != nil {
			b.Fatal(err)
		}
		dead := deadLetters(s)
		b.Logf("%d articles of %d bytes (%.0f MB): sent in %v, all counted after %v; %d distinct in articles, %.0f dead letters",
			n, size, float64(n)*float64(size)/1e6, sent.Round(time.Millisecond), took.Round(time.Millisecond), distinct, dead)
		if distinct != uint64(n) || dead != 0 {
			b.Fatalf("articles table holds %d of %d articles, %.0f dead letters", distinct, n, dead)
		}
		for _, name := range []string{"ingest", "enricher", "sink"} {
			hwm := procStatusKiB(b, pids[name], "VmHWM")
			b.Logf("%s: peak RSS (VmHWM) %.1f MiB, RSS before the load %.1f MiB", name, float64(hwm)/1024, float64(base[name])/1024)
			b.ReportMetric(float64(hwm)/1024, name+"_peak_rss_MiB")
			if hwm*1024 > limit {
				b.Errorf("%s peaked at %.1f MiB, over the 1 GiB target", name, float64(hwm)/1024)
			}
		}
		b.ReportMetric(float64(n)/took.Seconds(), "articles/s")
		s.stopAll()
	}
}

// waitFlowing waits until the index counts want articles, failing at once
// on a dead letter and when the count has not moved for two minutes.
func waitFlowing(b *testing.B, s *stack, from, to time.Time, want int64) {
	var last int64
	moved := time.Now()
	for {
		got := s.index("CN-US", "day", from, to).total()
		if dead := deadLetters(s); dead > 0 {
			b.Fatalf("%.0f dead letters (logs in %s)", dead, s.logs)
		}
		switch {
		case got > want:
			b.Fatalf("index counts %d articles, more than the %d sent", got, want)
		case got == want:
			return
		case got != last:
			last, moved = got, time.Now()
		case time.Since(moved) > 2*time.Minute:
			b.Fatalf("the pipeline stopped flowing: %d of %d articles counted, none for 2 minutes (logs in %s)", got, want, s.logs)
		}
		time.Sleep(time.Second)
	}
}

func deadLetters(s *stack) float64 {
	return s.metric("enricher", "tension_enricher_dead_letters_total") +
		s.metric("sink", `tension_sink_messages_total{outcome="dead"}`)
}

// sendLarge posts n articles of about size bytes of text each, a few per
// request (ingest takes bodies up to 8 MiB), from two clients at once.
func sendLarge(b *testing.B, s *stack, n, size int, published time.Time) {
	perRequest := max(1, (8<<20)/(size+1024)-1)
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failure string
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := range jobs {
				var body bytes.Buffer
				for i := first; i < min(first+perRequest, n); i++ {
					line, _ := json.Marshal(map[string]string{
						"url":          fmt.Sprintf("https://bench.example/memory/%d", i),
						"published_at": published.Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
						"title":        fmt.Sprintf("Tariff round %d", i),
						"text":         largeText(i, size),
					})
					body.Write(line)
					body.WriteByte('\n')
				}
				code, resp := s.post(body.Bytes(), "application/x-ndjson")
				if code != http.StatusAccepted {
					mu.Lock()
					failure = fmt.Sprintf("POST %d articles: %d %s", perRequest, code, tail(string(resp), 500))
					mu.Unlock()
				}
			}
		}()
	}
	for first := 0; first < n; first += perRequest {
		jobs <- first
	}
	close(jobs)
	wg.Wait()
	if failure != "" {
		b.Fatal(failure)
	}
}

// largeText is an article of exactly size bytes: every sixth sentence one
// the tagger reads as a stance between states (entities and cues), the
// rest filler prose in lower case.
func largeText(seed, size int) string {
	// Words that are neither names nor stance cues.
	words := strings.Fields("the of and a to in is was that for on with as by at from it an be this which or " +
		"weather garden river morning table window paper coffee music school house evening bread rain " +
		"cloud street train ticket chair lamp")
	tagged := []string{"Washington raised tariffs on Chinese goods to 125 percent. ",
		"Beijing vowed to retaliate against the United States. ",
		"The European Union imposed sanctions on Russian banks. ",
		"Tokyo and Seoul agreed to resume talks. "}
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	var sb strings.Builder
	sb.Grow(size + 100)
	for i := 0; sb.Len() < size; i++ {
		if i%6 == 0 {
			sb.WriteString(tagged[r.IntN(len(tagged))])
			continue
		}
		for range 12 {
			sb.WriteString(words[r.IntN(len(words))])
			sb.WriteByte(' ')
		}
		sb.WriteString("today. ")
	}
	return sb.String()[:size]
}

// procStatusKiB reads one "kB" field of /proc/<pid>/status.
func procStatusKiB(b *testing.B, pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("status of pid %d: %v", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				b.Fatalf("%s of pid %d: %v", field, pid, err)
			}
			return v
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
