package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/kafkax"
)

// stack is one isolated pipeline: its own topics, consumer groups and
// ClickHouse database on the shared local servers, and the four services
// as child processes.
type stack struct {
	t       testing.TB
	bin     string
	logs    string
	db      string
	ch      driver.Conn
	brokers string
	token   string
	topics  struct{ raw, enriched, dlq, index, cells string }
	extra   map[string][]string // extra environment per service, for its next start
	addrs   map[string]string
	// adminAddrs of the services with a separate admin listener.
	adminAddrs map[string]string
	// handedOut holds every address the stack gave a service: a port is
	// free again once freeAddr closed it, so the kernel may hand the same
	// one out twice before either service binds it — and a service whose
	// port another one of ours holds would pass for ready on the other's
	// /readyz (seen in CI: query and ingest's admin listener on one port).
	handedOut map[string]bool
	mu        sync.Mutex
	procs     map[string]*exec.Cmd
	starts    map[string]int
	// refused counts the requests ingest did not accept (send retries them).
	refused atomic.Int64
	// sendAttempts is how often send tries one request (at least 20, 0.5 s
	// apart).
	sendAttempts int
}

func binDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("TENSION_BIN")
	if dir == "" {
		dir = builtBin
	}
	for _, b := range services {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			t.Fatalf("%s/%s missing: TestMain builds the binaries (with -tags testhooks) under TENSION_INTEGRATION=1; TENSION_BIN must hold binaries built with that tag", dir, b)
		}
	}
	return dir
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// newAddr returns a free address the stack has not handed out before.
// Callers hold s.mu, or own the stack alone (newStack).
func (s *stack) newAddr() string {
	for {
		addr := freeAddr(s.t)
		if !s.handedOut[addr] {
			s.handedOut[addr] = true
			return addr
		}
	}
}

func newStack(t testing.TB) *stack {
	t.Helper()
	chtest.Integration(t)
	s := &stack{t: t, bin: binDir(t), brokers: kafkax.DefaultBrokers, token: randomHex(16),
		addrs: map[string]string{}, adminAddrs: map[string]string{}, handedOut: map[string]bool{},
		procs: map[string]*exec.Cmd{}, starts: map[string]int{}}
	if b := os.Getenv("KAFKA_BROKERS"); b != "" {
		s.brokers = b
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := kafkax.Ping(ctx, kafkax.Brokers(s.brokers)); err != nil {
		t.Fatalf("Kafka at %s: %v", s.brokers, err)
	}
	s.ch, s.db = chtest.Open(t, "tension_e2e")
	id := randomHex(4)
	s.topics.raw = "e2e." + id + ".articles.raw.v1"
	s.topics.enriched = "e2e." + id + ".articles.enriched.v1"
	s.topics.dlq = "e2e." + id + ".articles.dlq.v1"
	s.topics.index = "e2e." + id + ".tension.index.v1"
	s.topics.cells = "e2e." + id + ".tension.index.cells.v1"
	s.logs = t.TempDir()
	if dir := os.Getenv("TENSION_E2E_LOGS"); dir != "" {
		s.logs = filepath.Join(dir, t.Name())
		os.MkdirAll(s.logs, 0o755)
	}
	t.Cleanup(func() { // runs after the services stopped; the logs' directory is removed after it
		if t.Failed() {
			s.printLogTails(40)
		}
	})
	for _, name := range []string{"ingest", "enricher", "sink", "query"} {
		s.addrs[name] = s.newAddr()
	}
	for _, name := range []string{"ingest", "query"} {
		s.adminAddrs[name] = s.newAddr()
	}
	// Cleanups run last-registered first: the services stop before their
	// topics go. Deleted first, a sink still publishing retried against
	// missing topics until its shutdown grace ran out (10 s a stack).
	t.Cleanup(func() { s.deleteTopics() })
	t.Cleanup(s.stopAll)
	return s
}

// printLogTails prints the last n lines of every service log of a failed
// test into its output: CI keeps the output, not the temporary directory.
func (s *stack) printLogTails(n int) {
	paths, _ := filepath.Glob(filepath.Join(s.logs, "*.log"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		s.t.Logf("last %d lines of %s:\n%s", len(lines), filepath.Base(p), strings.Join(lines, "\n"))
	}
}

// base is the service an instance name runs: "sink-2" is the second sink.
func base(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i]
		}
	}
	return name
}

func (s *stack) env(name string) []string {
	env := append(os.Environ(),
		"KAFKA_BROKERS="+s.brokers,
		"CLICKHOUSE_ADDR="+chtest.Addr(),
		"CLICKHOUSE_DB="+s.db,
		"TOPIC_RAW="+s.topics.raw,
		"TOPIC_ENRICHED="+s.topics.enriched,
		"TOPIC_DLQ="+s.topics.dlq,
		"TOPIC_INDEX="+s.topics.index,
		"TOPIC_INDEX_CELLS="+s.topics.cells,
		"ENRICHER_GROUP=e2e-enricher-"+s.db,
		"SINK_GROUP=e2e-sink-"+s.db,
		"INGEST_TOKENS="+s.token,
		"LOG_LEVEL=info",
	)
	s.mu.Lock()
	env = append(env, s.extra[name]...)
	s.mu.Unlock()
	// The admin listeners of ingest and query on free ports (their
	// defaults are fixed ports). The enricher's and the sink's only
	// listener comes by flag (args): their SINK_ADDR and ENRICHER_ADDR are
	// deprecated names, which would print a warning into every log.
	return append(env, "INGEST_ADMIN_ADDR="+s.adminAddrs["ingest"], "QUERY_ADMIN_ADDR="+s.adminAddrs["query"])
}

func (s *stack) args(name string) []string {
	switch base(name) {
	case "ingest":
		return []string{"-topic-raw", s.topics.raw, "-addr", s.addrs[name]}
	case "enricher", "sink":
		return []string{"-admin-addr", s.addrs[name]} // their only listener
	default:
		return []string{"-addr", s.addrs[name]}
	}
}

// start launches a service (or another instance of one: "sink-2") and
// waits until /readyz answers 200. Its ports were free when the stack
// picked them, but a client's outgoing connection may take one before the
// service binds it: a service that exits on "address already in use" is
// started again on new ports.
func (s *stack) start(name string) {
	s.t.Helper()
	for attempt := 1; ; attempt++ {
		if s.launch(name) {
			return
		}
		if attempt == 5 {
			s.t.Fatalf("%s: its ports were taken before it bound them, 5 times", name)
		}
		s.t.Logf("%s: a port was taken before it bound it; starting it again on new ports", name)
		s.mu.Lock()
		s.addrs[name] = s.newAddr()
		if _, ok := s.adminAddrs[base(name)]; ok {
			s.adminAddrs[base(name)] = s.newAddr()
		}
		s.mu.Unlock()
	}
}

// launch starts the process and waits until it is ready (true), or until it
// exited because its address was in use (false); any other exit fails.
func (s *stack) launch(name string) bool {
	s.t.Helper()
	s.mu.Lock()
	if s.addrs[name] == "" {
		s.addrs[name] = s.newAddr()
	}
	s.starts[name]++
	logPath := filepath.Join(s.logs, fmt.Sprintf("%s.%d.log", name, s.starts[name]))
	s.mu.Unlock()
	logf, err := os.Create(logPath)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(s.bin, base(name)), s.args(name)...)
	cmd.Env = s.env(name)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(exited) }()
	s.mu.Lock()
	s.procs[name] = cmd
	s.mu.Unlock()
	return s.waitReady(name, logPath, exited)
}

// waitReady waits until the service's /readyz answers 200 (true). A
// service that exits first fails the test, unless it exited on an address
// in use (false: start it again on other ports).
func (s *stack) waitReady(name, logPath string, exited <-chan struct{}) bool {
	s.t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a loaded two-core machine
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			if strings.Contains(string(log), "address already in use") {
				return false
			}
			s.t.Fatalf("%s exited before it was ready; log:\n%s", name, tail(string(log), 3000))
		default:
		}
		resp, err := http.Get("http://" + s.addrs[name] + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				select {
				case <-exited: // another process answered on its port: check the exit above
					continue
				default:
					return true
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(logPath)
	s.t.Fatalf("%s not ready after 2m; log:\n%s", name, tail(string(log), 3000))
	return false
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// signal sends sig to a running service and waits for it to exit.
func (s *stack) signal(name string, sig syscall.Signal) {
	s.t.Helper()
	s.mu.Lock()
	cmd := s.procs[name]
	delete(s.procs, name)
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() {
		for cmd.ProcessState == nil {
			if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		s.t.Errorf("%s did not exit within 30s of %v", name, sig)
	}
}

func (s *stack) stopAll() {
	s.mu.Lock()
	var rest []string
	for name := range s.procs {
		if name != "ingest" && name != "query" {
			rest = append(rest, name)
		}
	}
	s.mu.Unlock()
	sort.Strings(rest)
	for _, name := range append([]string{"ingest", "query"}, rest...) {
		s.notify(name, syscall.SIGCONT) // a paused one must be able to stop
		s.signal(name, syscall.SIGTERM)
	}
}

// notify sends sig to a running service instance and returns at once
// (SIGSTOP, SIGCONT).
func (s *stack) notify(name string, sig syscall.Signal) {
	if pid := s.pid(name); pid > 0 {
		syscall.Kill(pid, sig)
	}
}

// pid returns the process id of a running service instance, 0 if none.
func (s *stack) pid(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cmd := s.procs[name]; cmd != nil {
		return cmd.Process.Pid
	}
	return 0
}

func (s *stack) deleteTopics() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kafkax.DeleteTopics(ctx, kafkax.Brokers(s.brokers), s.topics.raw, s.topics.enriched, s.topics.dlq, s.topics.index, s.topics.cells)
}

func (s *stack) startAll() {
	for _, name := range []string{"sink", "enricher", "ingest", "query"} {
		s.start(name)
	}
}

// post sends an NDJSON body to ingest and returns the status and body.
func (s *stack) post(body []byte, contentType string) (int, []byte) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", "http://"+s.addrs["ingest"]+"/v1/articles", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("POST /v1/articles: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// indexResponse is the part of GET /v1/index the tests read.
type indexResponse struct {
	Buckets []struct {
		Start        time.Time `json:"start"`
		Articles     int64     `json:"articles"`
		DyadArticles int64     `json:"dyad_articles"`
		Escalating   int64     `json:"escalating"`
		Deescalating int64     `json:"deescalating"`
		Mixed        int64     `json:"mixed"`
		SumScore     float64   `json:"sum_score"`
		NetTension   float64   `json:"net_tension"`
		TensionShare float64   `json:"tension_share"`
		TensionIndex float64   `json:"tension_index"`
	} `json:"buckets"`
}

func (s *stack) index(pair, interval string, from, to time.Time) indexResponse {
	s.t.Helper()
	q := url.Values{"pair": {pair}, "interval": {interval}, "from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	var r indexResponse
	s.getJSON("/v1/index?"+q.Encode(), &r)
	return r
}

func (s *stack) getJSON(path string, v any) int {
	s.t.Helper()
	resp, err := http.Get("http://" + s.addrs["query"] + path)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 && v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			s.t.Fatalf("GET %s: decode: %v\n%s", path, err, tail(string(b), 500))
		}
	}
	return resp.StatusCode
}

func (r indexResponse) total() int64 {
	var n int64
	for _, b := range r.Buckets {
		n += b.Articles
	}
	return n
}

// waitVisible polls the index until it counts want articles in [from, to)
// and fails at once if it ever counts more.
func (s *stack) waitVisible(pair, interval string, from, to time.Time, want int64, timeout time.Duration) indexResponse {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	var r indexResponse
	for {
		r = s.index(pair, interval, from, to)
		got := r.total()
		if got > want {
			s.t.Fatalf("index counts %d articles, more than the %d sent", got, want)
		}
		if got == want {
			return r
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("index counts %d of %d articles after %v (logs in %s)", got, want, timeout, s.logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
