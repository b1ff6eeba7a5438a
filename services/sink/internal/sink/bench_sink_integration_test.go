package sink

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/pkg/synth"
	"github.com/tension-dev/tension/pkg/tagger"
	"github.com/tension-dev/tension/pkg/testenv"
	"github.com/tension-dev/tension/services/sink/internal/indexpub"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// rawTables are the tables the sink writes, in the order the native floor
// inserts them.
var rawTables = []string{"articles", "entities", "dyads", "cues", "index_journal"}

// BenchmarkIntegrationSinkVsNative (make bench-sink) measures, in one run,
//
//	(a) the sink — reader, store and index publisher at their defaults —
//	    on N enriched synthetic articles already in Kafka, from its start
//	    until the journal counts all N, and
//	(b) the floor: the very rows it wrote, read back and inserted again into
//	    an empty database with clickhouse-client … FORMAT Native, one table
//	    after the other,
//
// and reports floor / sink (the goal is >= 0.6), the journal rows per
// article and the ClickHouse round trips per batch.
// TENSION_BENCH_SINK_ARTICLES sets N (default 100000), and
// TENSION_BENCH_SINK_SPAN how far back the articles' publication times
// spread (a Go duration; default 24h, live news; 17520h is a two-year
// backfill, where every batch touches 24 monthly partitions of each table).
// TENSION_BENCH_SINK_ORDER=time sends the articles in publication-time order
// (an archive replayed in order) instead of the generator's random order.
// TENSION_BENCH_SINK_MAX_BATCH and TENSION_BENCH_SINK_MAX_BATCH_BYTES set
// the sink's -max-batch and -max-batch-bytes (default the binary's).
func BenchmarkIntegrationSinkVsNative(b *testing.B) {
	n := testenv.Int(b, "TENSION_BENCH_SINK_ARTICLES", 100_000)
	maxBatch := testenv.Int(b, "TENSION_BENCH_SINK_MAX_BATCH", 0)
	maxBatchBytes := testenv.Int(b, "TENSION_BENCH_SINK_MAX_BATCH_BYTES", 0)
	span := testenv.Duration(b, "TENSION_BENCH_SINK_SPAN", 24*time.Hour)
	conn, db := chtest.Open(b, "tension_bench_sink")
	brokers := kafkax.Brokers(os.Getenv("KAFKA_BROKERS"))
	if len(brokers) == 0 {
		brokers = []string{kafkax.DefaultBrokers}
	}
	topics := benchTopics(b, brokers)
	start := time.Now()
	produced := produceEnriched(b, brokers, topics[0], n, span)
	b.Logf("%d enriched articles (%.0f MB) published over %v in %s, made in %v", n, float64(produced)/1e6, span, topics[0], time.Since(start).Round(time.Millisecond))

	// The sink binary's runtime settings (serve.go's -memory-limit and
	// -gc-percent defaults), unless the environment sets Go's own.
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(DefaultMemoryLimit))
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(admin.DefaultGCPercent))
	}
	for range b.N {
		calls := &countingConn{Conn: conn}
		st := store.New(calls)
		phases := &phaseSums{}
		logger := slog.New(phases)
		indexOut := kafkax.NewWriter(brokers, topics[2], 0)
		defer indexOut.Close()
		dlq := kafkax.NewWriter(brokers, topics[1], 0)
		defer dlq.Close()
		reg := prometheus.NewRegistry()
		metrics := NewMetrics(reg)
		src := GroupSource(kafkax.GroupConfig{Brokers: brokers, Group: "bench-sink-" + db, Topic: topics[0], Logger: logger})
		s := New(Config{Topic: topics[0], MaxBatch: maxBatch, MaxBatchBytes: maxBatchBytes}, src, KafkaLog{Brokers: brokers, Topic: topics[0]}, dlq, st, logger, metrics,
			indexpub.New(indexpub.Config{}, st, indexOut, nil, logger))

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		cpu := newCPUMeter(b, conn)
		if cpu.clickhouse == 0 || cpu.kafka == 0 {
			b.Logf("the local servers' pid files are not under %s: the CPU times leave out a server not found", chtest.LocalDir())
		}
		stopProfile := profileSink(b)
		start := time.Now()
		go func() { done <- s.Run(ctx) }()
		waitFlushed(b, reg, float64(n), 30*time.Minute)
		sinkTime := time.Since(start)
		sinkCPU := cpu.since()
		stopProfile()
		waitCounted(b, conn, int64(n))
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		batches := counterValue(b, reg, "tension_sink_batches_total")

		rows, floor, floorCPU := nativeFloor(b, conn, db)
		journalRows := float64(rows["index_journal"])
		b.Logf("sink: %d articles in %v (%.0f articles/s), %.0f batches, %.1f journal rows per article, %.1f ClickHouse round trips per batch",
			n, sinkTime.Round(time.Millisecond), float64(n)/sinkTime.Seconds(), batches, journalRows/float64(n), float64(calls.n.Load())/batches)
		b.Logf("sink flush phases (wall): %s; in ClickHouse calls, by statement%s", phases, calls.report())
		b.Logf("ClickHouse CPU (query threads) for the sink, by statement%s", queryCosts(b, conn, start))
		b.Logf("journal rows by kind and granularity: %s", journalKinds(b, conn))
		b.Logf("native floor: the same rows %v inserted in %v (clickhouse-client FORMAT Native, table after table, its start-up excluded)", rows, floor.Round(time.Millisecond))
		b.Logf("ratio floor / sink = %.2f (goal >= 0.6)", floor.Seconds()/sinkTime.Seconds())
		b.Logf("CPU time: sink %s; floor %s; ratio floor / sink = %.2f (less sensitive than wall time to other load on the machine)",
			sinkCPU, floorCPU, floorCPU.total().Seconds()/sinkCPU.total().Seconds())
		b.Logf("machine load (1, 5, 15 min) at the end: %s", testenv.LoadAverage())
		b.ReportMetric(float64(n)/sinkTime.Seconds(), "articles/s")
		b.ReportMetric(floor.Seconds()/sinkTime.Seconds(), "floor/sink")
		b.ReportMetric(floorCPU.total().Seconds()/sinkCPU.total().Seconds(), "floor/sink_cpu")
		b.ReportMetric(journalRows/float64(n), "journal_rows/article")
		b.ReportMetric(float64(calls.n.Load())/batches, "round_trips/batch")
	}
}

// journalKinds reports how many journal rows the run wrote of each kind and
// granularity, per article: where the journal's rows per article come from.
func journalKinds(b *testing.B, conn driver.Conn) string {
	rows, err := conn.Query(context.Background(),
		"SELECT toString(kind), toString(granularity), count() FROM index_journal GROUP BY kind, granularity ORDER BY kind, granularity")
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var kind, granularity string
		var n uint64
		if err := rows.Scan(&kind, &granularity, &n); err != nil {
			b.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s/%s %d", kind, granularity, n))
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return strings.Join(out, ", ")
}

// profileSink writes a CPU profile of the sink's run (not of making the
// articles or of the floor) to $TENSION_BENCH_SINK_CPUPROFILE, when set;
// it returns the function that stops it.
func profileSink(b *testing.B) func() {
	path := os.Getenv("TENSION_BENCH_SINK_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		b.Logf("CPU profile of the sink's run: %s", path)
	}
}

// benchTopics creates the enriched, DLQ and index topics of one run,
// deleted at cleanup.
func benchTopics(b *testing.B, brokers []string) [3]string {
	var r [4]byte
	rand.Read(r[:])
	id := hex.EncodeToString(r[:])
	t := [3]string{"bench." + id + ".enriched", "bench." + id + ".dlq", "bench." + id + ".index"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := kafkax.EnsureTopics(ctx, brokers, kafkax.TopicSpec{Name: t[0], Partitions: 6},
		kafkax.TopicSpec{Name: t[1], Partitions: 6}, kafkax.TopicSpec{Name: t[2], Partitions: 6, Configs: map[string]string{"cleanup.policy": "compact"}}); err != nil {
		b.Fatalf("Kafka at %v: %v — start it with `make up`", brokers, err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		kafkax.DeleteTopics(ctx, brokers, t[:]...)
	})
	return t
}

// produceEnriched writes n enriched synthetic articles published over the
// span before now to topic, made as the enricher makes them (admitted like
// ingest, tagged, event.Enrich), and returns their bytes.
func produceEnriched(b *testing.B, brokers []string, topic string, n int, span time.Duration) int {
	tg, err := tagger.New()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	gen := synth.New(7, now.Add(-span), now)
	w := kafkax.NewWriter(brokers, topic, 0)
	defer w.Close()
	ctx := context.Background()
	var batch []kafka.Message
	size := 0
	arts := make([]event.Article, n)
	for i := range arts {
		a, _, err := gen.NextRecord(now)
		if err != nil {
			b.Fatal(err)
		}
		arts[i] = a
	}
	switch order := os.Getenv("TENSION_BENCH_SINK_ORDER"); order {
	case "":
	case "time":
		slices.SortStableFunc(arts, func(x, y event.Article) int { return x.PublishedAt.Compare(y.PublishedAt) })
	default:
		b.Fatalf("TENSION_BENCH_SINK_ORDER=%q: want time, or nothing for the generator's order", order)
	}
	for i := 0; i < n; i++ {
		a := arts[i]
		_, rec, err := event.Enrich(&a, tg.Tag(a.Title, a.Text), tagger.Version, now)
		if err != nil {
			b.Fatalf("enrich synthetic article %d: %v", i, err)
		}
		batch = append(batch, kafka.Message{Key: rec.Key, Value: rec.Value})
		size += len(rec.Value)
		if len(batch) == 2000 || i == n-1 {
			if err := w.WriteMessages(ctx, batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return size
}

// waitFlushed waits until the sink has flushed want counted articles:
// written, counted in the journal, published and committed.
func waitFlushed(b *testing.B, reg *prometheus.Registry, want float64, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for {
		got := counterValue(b, reg, "tension_sink_messages_total", "counted")
		if got >= want {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("the sink counted %.0f of %.0f articles after %v", got, want, timeout)
		}
		time.Sleep(25 * time.Millisecond) // Gather costs CPU this process would count as the sink's
	}
}

// waitCounted checks that the journal's current view counts want articles
// (day buckets of all articles).
func waitCounted(b *testing.B, conn driver.Conn, want int64) {
	var got int64
	if err := conn.QueryRow(context.Background(), `SELECT sum(articles) FROM index_journal
		WHERE kind = 'bucket' AND granularity = 'day' AND pair = '*' AND (tagger_version = '' OR in_current = 1)`).Scan(&got); err != nil {
		b.Fatal(err)
	}
	if got != want {
		b.Fatalf("the journal counts %d articles, want %d", got, want)
	}
}

// nativeFloor reads back every row the sink wrote, table by table, in
// ClickHouse's Native format (not timed), and times inserting them into an
// empty database with clickhouse-client, one table after the other; it
// returns the rows, the inserts' time and their CPU time.
func nativeFloor(b *testing.B, conn driver.Conn, db string) (map[string]uint64, time.Duration, cpuTimes) {
	_, targetDB := chtest.Open(b, "tension_bench_floor")
	dir := b.TempDir()
	clientConfig := filepath.Join(dir, "client.xml")
	cfg := chtest.Config("")
	var xml bytes.Buffer
	fmt.Fprintf(&xml, "<config><user>%s</user><password>%s</password></config>\n", cfg.Username, cfg.Password)
	if err := os.WriteFile(clientConfig, xml.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	rows := map[string]uint64{}
	// clickhouse-client's own start (process, connection, login) is not the
	// insert: its shortest of three runs is taken off each table's time.
	startup := time.Hour
	for range 3 {
		start := time.Now()
		clickhouseClient(b, clientConfig, nil, io.Discard, "SELECT 1")
		startup = min(startup, time.Since(start))
	}
	var (
		total time.Duration
		cpu   cpuTimes
	)
	for _, table := range rawTables {
		var n uint64
		if err := conn.QueryRow(context.Background(), "SELECT count() FROM "+table).Scan(&n); err != nil {
			b.Fatal(err)
		}
		rows[table] = n
		file := filepath.Join(dir, table+".native")
		f, err := os.Create(file)
		if err != nil {
			b.Fatal(err)
		}
		clickhouseClient(b, clientConfig, nil, f, "SELECT * FROM `"+db+"`."+table+" FORMAT Native")
		f.Close()
		in, err := os.Open(file)
		if err != nil {
			b.Fatal(err)
		}
		meter := newCPUMeter(b, conn)
		start := time.Now()
		clickhouseClient(b, clientConfig, in, nil, "INSERT INTO `"+targetDB+"`."+table+" FORMAT Native")
		total += max(time.Since(start)-startup, 0)
		cpu.add(meter.since())
		in.Close()
	}
	b.Logf("clickhouse-client starts in %v: taken off each of the %d inserts", startup.Round(time.Millisecond), len(rawTables))
	return rows, total, cpu
}

// cpuTimes is the CPU time (user + system) of the processes that take part
// in a measured phase: this process (the sink), its finished children
// (clickhouse-client) and the local ClickHouse and Kafka servers. Unlike
// wall time it hardly depends on what else runs on the machine.
type cpuTimes struct {
	self, children, clickhouse, kafka time.Duration
	// What ClickHouse says of its own work (system.events): the CPU time of
	// its query threads (the rest of the server's is background work, such
	// as merges), and the time its merges took.
	chQueries, chMerges time.Duration
	// chKernel is the part of clickhouse spent in the kernel: small unless
	// creating files is slow (on ext4 without a journal, as on this
	// project's machine, each new file first steps over the inodes deleted
	// in the last minutes: docs/performance.md, "How to measure").
	chKernel time.Duration
}

func (c cpuTimes) total() time.Duration { return c.self + c.children + c.clickhouse + c.kafka }

func (c *cpuTimes) add(o cpuTimes) {
	c.self += o.self
	c.children += o.children
	c.clickhouse += o.clickhouse
	c.kafka += o.kafka
	c.chQueries += o.chQueries
	c.chMerges += o.chMerges
	c.chKernel += o.chKernel
}

func (c cpuTimes) String() string {
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
	return fmt.Sprintf("%v (this process %v, clickhouse-client %v, ClickHouse server %v [in the kernel %v; query threads %v; merges took %v], Kafka broker %v)",
		r(c.total()), r(c.self), r(c.children), r(c.clickhouse), r(c.chKernel), r(c.chQueries), r(c.chMerges), r(c.kafka))
}

// cpuMeter reads cpuTimes at its start and at since.
type cpuMeter struct {
	b          *testing.B
	conn       driver.Conn
	clickhouse int // pid of the local ClickHouse server; 0 when not found
	kafka      int
	start      cpuTimes
}

// newCPUMeter starts measuring. The servers are found by the pid files of
// the local platform (scripts/platform.sh); a server it cannot find (a
// remote one) counts as 0.
func newCPUMeter(b *testing.B, conn driver.Conn) *cpuMeter {
	m := &cpuMeter{b: b, conn: conn,
		clickhouse: pidFile(filepath.Join(chtest.LocalDir(), "clickhouse", "clickhouse.pid")),
		kafka:      pidFile(filepath.Join(chtest.LocalDir(), "kafka", "kafka.pid"))}
	m.start = m.read()
	return m
}

func (m *cpuMeter) since() cpuTimes {
	now := m.read()
	return cpuTimes{self: now.self - m.start.self, children: now.children - m.start.children,
		clickhouse: now.clickhouse - m.start.clickhouse, chKernel: now.chKernel - m.start.chKernel, kafka: now.kafka - m.start.kafka,
		chQueries: now.chQueries - m.start.chQueries, chMerges: now.chMerges - m.start.chMerges}
}

func (m *cpuMeter) read() cpuTimes {
	t := cpuTimes{self: testenv.SelfCPU(), children: testenv.ChildrenCPU()}
	t.clickhouse, t.chKernel = procCPU(m.b, m.clickhouse)
	t.kafka, _ = procCPU(m.b, m.kafka)
	rows, err := m.conn.Query(context.Background(), `SELECT event, value FROM system.events
		WHERE event IN ('OSCPUVirtualTimeMicroseconds', 'MergesTimeMilliseconds')`)
	if err != nil {
		m.b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			event string
			value uint64
		)
		if err := rows.Scan(&event, &value); err != nil {
			m.b.Fatal(err)
		}
		if event == "MergesTimeMilliseconds" {
			t.chMerges = time.Duration(value) * time.Millisecond
		} else {
			t.chQueries = time.Duration(value) * time.Microsecond
		}
	}
	if err := rows.Err(); err != nil {
		m.b.Fatal(err)
	}
	return t
}

// pidFile is the pid a pid file holds, 0 when it holds none or the process
// is gone: a server elsewhere counts no CPU.
func pidFile(path string) int {
	pid, _ := testenv.PidFile(path)
	return pid
}

// procCPU is the CPU time of process pid (all its threads) and the part of
// it spent in the kernel; 0 for pid 0.
func procCPU(b *testing.B, pid int) (total, kernel time.Duration) {
	if pid == 0 {
		return 0, 0
	}
	p, err := testenv.ReadProcStat(pid)
	if err != nil {
		b.Fatalf("CPU time of server process %d: %v", pid, err)
	}
	return p.CPU(), p.System
}

// clickhouseClient runs clickhouse-client on the test server with the
// user and password of config (a client config file).
func clickhouseClient(b *testing.B, config string, stdin io.Reader, stdout io.Writer, query string) {
	host, port, _ := strings.Cut(chtest.Addr(), ":")
	cmd := exec.Command("clickhouse-client", "--config-file", config, "--host", host, "--port", port, "--query", query)
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("clickhouse-client %q: %v: %s", query, err, stderr.String())
	}
}

// countingConn counts the round trips the sink makes to ClickHouse and
// the time they take, by statement.
type countingConn struct {
	driver.Conn
	n    atomic.Int64
	mu   sync.Mutex
	time map[string]time.Duration
}

func (c *countingConn) took(query string, start time.Time) {
	f := strings.Fields(query)
	key := strings.Join(f[:min(len(f), 4)], " ")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.time == nil {
		c.time = map[string]time.Duration{}
	}
	c.time[key] += time.Since(start)
}

// report lists where the time went, longest first.
func (c *countingConn) report() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.time))
	for k := range c.time {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return c.time[keys[i]] > c.time[keys[j]] })
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "; %v %s", c.time[k].Round(time.Millisecond), k)
	}
	return sb.String()
}

// logged asks ClickHouse to log the statement in system.query_log, with
// the CPU time it took (queryCosts).
func logged(ctx context.Context) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1}))
}

func (c *countingConn) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	c.n.Add(1)
	defer c.took(query, time.Now())
	return c.Conn.Query(logged(ctx), query, args...)
}

func (c *countingConn) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	c.n.Add(1)
	defer c.took(query, time.Now())
	return c.Conn.QueryRow(logged(ctx), query, args...)
}

func (c *countingConn) Exec(ctx context.Context, query string, args ...any) error {
	c.n.Add(1)
	defer c.took(query, time.Now())
	return c.Conn.Exec(logged(ctx), query, args...)
}

func (c *countingConn) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	c.n.Add(1) // the INSERT: prepared, then its block sent on the same connection
	start := time.Now()
	batch, err := c.Conn.PrepareBatch(logged(ctx), query, opts...)
	c.took(query, start)
	if err != nil {
		return nil, err
	}
	return &timedBatch{Batch: batch, conn: c, query: query}, nil
}

// queryCosts lists the server's CPU time (query threads) of the statements
// the sink sent since start, by statement, largest first: what ClickHouse
// spent on the sink's behalf, from system.query_log (empty, and said so,
// where the server keeps no query log).
func queryCosts(b *testing.B, conn driver.Conn, start time.Time) string {
	ctx := context.Background()
	if err := conn.Exec(ctx, "SYSTEM FLUSH LOGS"); err != nil {
		return fmt.Sprintf(" (no query log: %v)", err)
	}
	rows, err := conn.Query(ctx, `SELECT arrayStringConcat(arraySlice(splitByChar(' ', replaceRegexpAll(query, '[[:space:]]+', ' ')), 1, 4), ' ') AS q,
			count(), sum(ProfileEvents.Values[indexOf(ProfileEvents.Names, 'OSCPUVirtualTimeMicroseconds')]) AS cpu
		FROM system.query_log
		WHERE type = 2 AND event_time >= ? AND Settings.Values[indexOf(Settings.Names, 'log_queries')] = '1'
		GROUP BY q ORDER BY cpu DESC`, start.Add(-time.Second))
	if err != nil {
		return fmt.Sprintf(" (no query log: %v)", err)
	}
	defer rows.Close()
	var sb strings.Builder
	for rows.Next() {
		var (
			q      string
			n, cpu uint64
		)
		if err := rows.Scan(&q, &n, &cpu); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(&sb, "; %v %s (%d×)", (time.Duration(cpu) * time.Microsecond).Round(time.Millisecond), q, n)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return sb.String()
}

// timedBatch adds the time of Send to its INSERT's.
type timedBatch struct {
	driver.Batch
	conn  *countingConn
	query string
}

func (b *timedBatch) Send() error {
	defer b.conn.took(b.query, time.Now())
	return b.Batch.Send()
}

// counterValue sums the counter name, only its series with the label
// value when one is given.
func counterValue(b *testing.B, reg *prometheus.Registry, name string, label ...string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var v float64
		for _, m := range mf.GetMetric() {
			if len(label) > 0 && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != label[0]) {
				continue
			}
			v += m.GetCounter().GetValue()
		}
		return v
	}
	return 0
}

// phaseSums is a slog handler that sums the phase durations of the sink's
// "flushed" records.
type phaseSums struct {
	mu   sync.Mutex
	sums map[string]time.Duration
	keys []string
}

func (h *phaseSums) Enabled(context.Context, slog.Level) bool { return true }
func (h *phaseSums) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *phaseSums) WithGroup(string) slog.Handler            { return h }

func (h *phaseSums) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "flushed" {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sums == nil {
		h.sums = map[string]time.Duration{}
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Value.Kind() == slog.KindDuration {
			if _, ok := h.sums[a.Key]; !ok {
				h.keys = append(h.keys, a.Key)
			}
			h.sums[a.Key] += a.Value.Duration()
		}
		return true
	})
	return nil
}

func (h *phaseSums) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var parts []string
	for _, k := range h.keys {
		parts = append(parts, fmt.Sprintf("%s %v", k, h.sums[k].Round(time.Millisecond)))
	}
	return strings.Join(parts, ", ")
}
