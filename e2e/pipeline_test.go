package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// repoRoot is where samples/ lives.
func repoRoot() string {
	if r := os.Getenv("TENSION_REPO"); r != "" {
		return r
	}
	r, _ := filepath.Abs("..")
	return r
}

// extraArticle turns an article written for the tagger's tests (title on the
// first line) into an ingest line: a hedged state-media story whose
// entities the test looks for in ClickHouse.
func extraArticle(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(), "pkg", "tagger", "testdata", "articles", "state-media-outreach.txt"))
	if err != nil {
		t.Fatal(err)
	}
	title, text, _ := strings.Cut(string(raw), "\n")
	line, _ := json.Marshal(map[string]string{"id": "extra-article", "title": strings.TrimSpace(title),
		"text": strings.TrimSpace(text), "published_at": "2025-05-01T06:00:00Z", "source": "extra"})
	return line
}

func sampleLines(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(), "samples", "articles.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 {
			out = append(out, append([]byte(nil), l...))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// metric reads one sample of a counter from a service's /metrics.
func (s *stack) metric(service, name string) float64 {
	s.t.Helper()
	resp, err := http.Get("http://" + s.addrs[service] + "/metrics")
	if err != nil {
		s.t.Fatalf("metrics of %s: %v", service, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` ([0-9.e+-]+)$`)
	m := re.FindSubmatch(b)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

func TestIntegrationEndToEnd(t *testing.T) {
	s := newStack(t)
	s.startAll()

	lines := append(sampleLines(t), extraArticle(t))
	body := append(bytes.Join(lines, []byte("\n")), '\n')
	code, resp := s.post(body, "application/x-ndjson")
	if code != http.StatusAccepted {
		t.Fatalf("POST samples: %d %s", code, resp)
	}
	var accepted struct {
		Accepted int `json:"accepted"`
	}
	json.Unmarshal(resp, &accepted)
	if accepted.Accepted != len(lines) {
		t.Fatalf("accepted %d of %d", accepted.Accepted, len(lines))
	}

	from := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Now().UTC().Add(48 * time.Hour).Truncate(24 * time.Hour)
	want := int64(len(lines))
	day := s.waitVisible("CN-US", "day", from, to, want, 2*time.Minute)
	if month := s.index("CN-US", "month", from, to); month.total() != want {
		t.Fatalf("month buckets count %d articles, want %d", month.total(), want)
	}
	var dyadArticles int64
	for _, b := range day.Buckets {
		dyadArticles += b.DyadArticles
	}
	if dyadArticles == 0 {
		t.Fatal("no article was tagged with the CN-US dyad")
	}

	ctx := context.Background()
	var distinct, entities, cues uint64
	if err := s.ch.QueryRow(ctx, "SELECT uniqExact(article_id) FROM articles").Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	if int64(distinct) != want {
		t.Fatalf("articles table has %d distinct articles, want %d", distinct, want)
	}
	s.ch.QueryRow(ctx, "SELECT count() FROM entities").Scan(&entities)
	s.ch.QueryRow(ctx, "SELECT count() FROM cues").Scan(&cues)
	if entities == 0 || cues == 0 {
		t.Fatalf("entities %d, cues %d: want both stored", entities, cues)
	}
	var extraEntities uint64
	if err := s.ch.QueryRow(ctx, `SELECT count() FROM entities WHERE canonical LIKE '%Yuyuan%' AND article_id IN
		(SELECT article_id FROM articles WHERE source = 'extra')`).Scan(&extraEntities); err != nil {
		t.Fatal(err)
	}
	if extraEntities == 0 {
		t.Error("the extra article's Yuyuan Tantian entity is not stored")
	}

	// Sending everything again changes nothing: every article is a duplicate.
	if code, resp := s.post(body, "application/x-ndjson"); code != http.StatusAccepted {
		t.Fatalf("POST again: %d %s", code, resp)
	}
	deadline := time.Now().Add(time.Minute)
	for s.metric("sink", `tension_sink_messages_total{outcome="duplicate"}`) < float64(want) {
		if time.Now().After(deadline) {
			t.Fatal("the sink did not see the resent articles within a minute")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := s.index("CN-US", "day", from, to).total(); got != want {
		t.Fatalf("after resending, the index counts %d articles, want %d", got, want)
	}
	s.checkIndexMatchesRaw(from, to)
	s.checkRebuildRepairs(from, to)
}

// checkRebuildRepairs damages one bucket of the journal by hand, then runs
// `sink rebuild`: afterwards the index equals the raw rows again and the
// index topic carries the corrected bucket.
func (s *stack) checkRebuildRepairs(from, to time.Time) {
	s.t.Helper()
	ctx := context.Background()
	b, err := s.ch.PrepareBatch(ctx, `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket,
		src_partition, position, entries, articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight)`)
	if err != nil {
		s.t.Fatal(err)
	}
	seedHour := time.Date(2025, 5, 1, 6, 0, 0, 0, time.UTC)
	if err := b.Append("bucket", "", "hour", "CN-US", "", seedHour, int32(0), int64(0), int64(1),
		int64(0), int64(3), int64(3), int64(0), int64(0), 2.5, 9.0); err != nil {
		s.t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(s.bin, "sink"), "rebuild",
		"-from", from.Format(time.RFC3339), "-to", to.Format(time.RFC3339))
	cmd.Env = s.env("sink")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "1 buckets corrected") {
		s.t.Fatalf("sink rebuild: %v\n%s", err, tail(string(out), 2000))
	}
	s.checkIndexMatchesRaw(from, to)
	s.checkTopicMatchesJournal()
}

// checkIndexMatchesRaw runs `sink rebuild -dry-run`: it exits non-zero and
// lists the buckets if the journal differs from the raw rows.
// waitSettled waits, up to within, until the journal holds no conflict the
// sinks have not cancelled yet (rebuild's ErrUnsettled): a zombie sink's
// block counts what another counted until a check cancels it, a state that
// is exact only once settled.
func (s *stack) waitSettled(from, to time.Time, within time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		cmd := exec.Command(filepath.Join(s.bin, "sink"), "rebuild", "-dry-run",
			"-from", from.Format(time.RFC3339), "-to", to.Format(time.RFC3339))
		cmd.Env = s.env("sink")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "conflicts being settled") {
			return // settled; whatever else the check says is checkIndexMatchesRaw's to report
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the journal's conflicts were not settled within %v:\n%s", within, tail(string(out), 3000))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (s *stack) checkIndexMatchesRaw(from, to time.Time) {
	s.t.Helper()
	cmd := exec.Command(filepath.Join(s.bin, "sink"), "rebuild", "-dry-run",
		"-from", from.Format(time.RFC3339), "-to", to.Format(time.RFC3339))
	cmd.Env = s.env("sink")
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("index differs from the raw rows: %v\n%s", err, tail(string(out), 3000))
	}
}
