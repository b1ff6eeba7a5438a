package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/pkg/synth"
	"github.com/tension-dev/tension/pkg/testenv"
)

// The cluster drills (`make test-cluster`): the pipeline on the local
// replicated platform (scripts/cluster.sh: three Kafka brokers, two
// ClickHouse replicas, ZooKeeper) while brokers, replicas and sinks fail.
// Each drill ends with exact counts in every granularity, the index equal
// to the raw rows (`sink rebuild -dry-run` clean) and the API equal to the
// raw rows.

// clusterCmd runs scripts/cluster.sh with args (kill, start).
func clusterCmd(t testing.TB, args ...string) {
	t.Helper()
	script := os.Getenv("TENSION_CLUSTER_SCRIPT")
	if script == "" {
		script = filepath.Join("..", "scripts", "cluster.sh")
	}
	cmd := exec.Command("bash", append([]string{script}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cluster.sh %s: %v\n%s", strings.Join(args, " "), err, tail(string(out), 2000))
	}
}

// drill is one run of the pipeline on the cluster with a stream of n
// synthetic articles.
type drill struct {
	*stack
	n        int
	from, to time.Time
	errc     chan error
}

func newDrill(t *testing.T, env map[string][]string) *drill {
	chtest.Cluster(t)
	s := newStack(t)
	s.extra = env
	return &drill{stack: s, from: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)}
}

// stream sends n articles at rate per second in the background.
func (d *drill) stream(n, rate int) {
	d.n = n
	seed := rand.Uint64()
	d.t.Logf("synthetic seed %d: %d articles at %d/s", seed, n, rate)
	d.errc = make(chan error, 1)
	go d.send(synth.New(seed, d.from, d.to), n, 500, rate, d.errc)
}

// finish waits for the stream and the index, then checks everything.
func (d *drill) finish(visibleWithin time.Duration) {
	d.t.Helper()
	if err := <-d.errc; err != nil {
		d.t.Fatalf("ingest stopped accepting: %v", err)
	}
	d.t.Logf("ingest refused %d requests on the way (each retried)", d.refused.Load())
	d.waitSettled(d.from, d.to, visibleWithin)
	hours := d.waitVisible("CN-US", "hour", d.from, d.to, int64(d.n), visibleWithin)
	d.checkExact(d.ch, "the first reachable replica", d.n)
	d.checkIndexMatchesRaw(d.from, d.to)
	d.checkAPIMatchesRaw(hours, d.from, d.to)
	c, h := d.ledgerEvents()
	d.t.Logf("sinks: %d blocks cancelled after a conflict, %d holes read again", c, h)
}

// waitFlushAfterResume waits until name's logs show the outcome (a flush
// that succeeded or failed) of the insert it resumed in its rounds-th pause.
func (d *drill) waitFlushAfterResume(name string, rounds int, within time.Duration) {
	d.t.Helper()
	deadline := time.Now().Add(within)
	for {
		resumed, outcome := 0, false
		d.logRecords(name+".*", func(_ []byte, msg string) {
			switch {
			case strings.HasPrefix(msg, "test hook: resumed"):
				resumed, outcome = resumed+1, false
			case msg == "flushed" || msg == "flush failed; retrying":
				outcome = true
			}
		})
		if resumed >= rounds && outcome {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("%s resumed %d of %d times and did not flush after the last within %v", name, resumed, rounds, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ledgerEvents counts, over every sink process's log, the blocks cancelled
// after a conflict and the holes read again.
func (d *drill) ledgerEvents() (cancelled, holes int) {
	d.logRecords("sink*", func(_ []byte, msg string) {
		switch msg {
		case "cancelled a block that counted what another counted":
			cancelled++
		case "hole in the ledger below the reading position", "hole in the ledger: reading the partition again from it":
			holes++
		}
	})
	return cancelled, holes
}

// replicasEqual waits until every replica has fetched everything, then
// compares what each holds: stored articles, the journal's entries and
// counts per kind and granularity.
func (d *drill) replicasEqual() {
	d.t.Helper()
	ctx := context.Background()
	conns := chtest.Replicas(d.t, d.db)
	var first string
	for i, c := range conns {
		for _, table := range []string{"articles", "entities", "dyads", "cues", "index_journal"} {
			if err := c.Exec(ctx, "SYSTEM SYNC REPLICA "+table); err != nil {
				d.t.Fatalf("replica %d: sync %s: %v", i+1, table, err)
			}
		}
		var summary []string
		for _, q := range []string{
			"SELECT toString(uniqExact(article_id)) FROM articles",
			"SELECT toString(count()) FROM (SELECT article_id, tagger_version FROM dyads GROUP BY article_id, tagger_version, pair)",
			`SELECT arrayStringConcat(groupArray(s), ';') FROM (SELECT concat(toString(kind), ':', toString(granularity), ':',
				toString(sum(entries)), ':', toString(sum(articles)), ':', toString(sum(position))) AS s
				FROM index_journal GROUP BY kind, granularity ORDER BY kind, granularity)`,
		} {
			var v string
			if err := c.QueryRow(ctx, q).Scan(&v); err != nil {
				d.t.Fatalf("replica %d: %v", i+1, err)
			}
			summary = append(summary, v)
		}
		got := strings.Join(summary, " | ")
		if i == 0 {
			first = got
			d.t.Logf("replica 1 holds %s", got)
			d.checkExact(c, "replica 1", d.n)
		} else if got != first {
			d.t.Errorf("replica %d holds %s, replica 1 %s", i+1, got, first)
		}
	}
}

// leaders returns, per broker id, the partitions of topic it leads.
func leaders(t *testing.T, brokers, topic string) map[int][]int {
	t.Helper()
	client := &kafka.Client{Addr: kafka.TCP(kafkax.Brokers(brokers)...), Timeout: 10 * time.Second}
	md, err := client.Metadata(context.Background(), &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int][]int{}
	for _, tp := range md.Topics {
		for _, p := range tp.Partitions {
			out[p.Leader.ID] = append(out[p.Leader.ID], p.ID)
		}
	}
	return out
}

// Drill 1: SIGKILL the broker that leads half the partitions mid-stream,
// restart it 20 s later. Topics have 4 partitions here, so one of three
// brokers leads two of them. Ingest keeps accepting (the other replicas take
// over leadership; acks=all with min.insync.replicas 2 still holds with two
// brokers), nothing is lost.
func TestClusterBrokerLeaderKilled(t *testing.T) {
	partitions := []string{"KAFKA_PARTITIONS=4"}
	d := newDrill(t, map[string][]string{"ingest": partitions, "enricher": partitions, "sink": partitions, "query": partitions})
	d.startAll()
	d.stream(30000, 1000)
	time.Sleep(8 * time.Second)
	led := leaders(t, d.brokers, d.topics.raw)
	victim := 0
	for id, ps := range led {
		if len(ps) > len(led[victim]) {
			victim = id
		}
	}
	t.Logf("SIGKILL kafka-%d, leader of raw partitions %v (of 4); enriched partitions led: %v", victim, led[victim],
		leaders(t, d.brokers, d.topics.enriched)[victim])
	clusterCmd(t, "kill", fmt.Sprintf("kafka-%d", victim), "KILL")
	time.Sleep(20 * time.Second)
	clusterCmd(t, "start", fmt.Sprintf("kafka-%d", victim))
	t.Logf("kafka-%d back", victim)
	d.finish(5 * time.Minute)
}

// Drill 6: SIGKILL two of the three brokers (and with them two of the
// three KRaft controllers) for 20 s mid-stream, then restart them. With one
// broker no partition has the two in-sync replicas acks=all needs (and no
// controller quorum can shrink the in-sync sets): ingest refuses writes
// with 503 and the client sends them again; nothing it acknowledged is lost,
// and the stream ends exactly counted.
func TestClusterTwoBrokersKilled(t *testing.T) {
	d := newDrill(t, nil)
	d.sendAttempts = 400 // 0.5 s apart: the outage and the recovery after it
	d.startAll()
	d.stream(20000, 400)
	time.Sleep(8 * time.Second)
	d.outage(20*time.Second, "kafka-2", "kafka-3")
	d.finish(5 * time.Minute)
	if d.refused.Load() == 0 {
		t.Error("ingest refused nothing while two of three brokers were down: the drill did not reach an outage")
	}
	t.Logf("failed reads of Kafka, retried: enricher %v, sink %v; failed writes, retried: enricher %v, sink %v",
		d.metric("enricher", "tension_enricher_fetch_errors_total"), d.metric("sink", "tension_sink_fetch_errors_total"),
		d.metric("enricher", "tension_enricher_publish_errors_total"), d.metric("sink", "tension_sink_flush_errors_total"))
}

// Drill 2: SIGKILL the ClickHouse replica every service uses first
// (clickhouse-1) for 60 s mid-stream, then restart it. The sinks move to
// the other replica, which either has every journal block and takes the
// writes, or is missing one the dead replica held and makes them wait;
// the restarted replica catches up and both end equal.
func TestClusterClickHouseReplicaKilled(t *testing.T) {
	d := newDrill(t, nil)
	d.startAll()
	d.stream(30000, 400)
	time.Sleep(10 * time.Second)
	during := d.outage(60*time.Second, "clickhouse-1") // counted on clickhouse-2: the test's connection moves too
	d.finish(5 * time.Minute)
	d.replicasEqual()
	if during == 0 {
		t.Log("the sinks waited for clickhouse-1 (clickhouse-2 was missing a block only it had)")
	}
}

// Drill 5: SIGKILL ZooKeeper for 30 s mid-stream, then restart it. The
// replicated tables turn read-only while the replicas have no session: the
// sinks' inserts fail and they retry (a journal block whose commit to
// ZooKeeper was cut off is sent again, and deduplicated if it landed);
// ingest and the enrichers go on (Kafka runs on its own KRaft quorum). When
// ZooKeeper is back the replicas leave read-only mode, the sinks catch up,
// and the counts are exact on both replicas.
func TestClusterZooKeeperKilled(t *testing.T) {
	d := newDrill(t, nil)
	d.startAll()
	d.stream(30000, 400)
	time.Sleep(10 * time.Second)
	d.outage(30*time.Second, "zookeeper") // what the index counts meanwhile: blocks whose inserts began before the kill
	d.finish(5 * time.Minute)
	d.replicasEqual()
}

// outage SIGKILLs the cluster's components (scripts/cluster.sh names),
// starts them again after down, and returns how many articles the index
// counted meanwhile, as the test's connection reads it (it moves to the
// other replica when its own dies).
func (d *drill) outage(down time.Duration, components ...string) (during int64) {
	d.t.Helper()
	names := strings.Join(components, " and ")
	d.t.Logf("SIGKILL %s for %v", names, down)
	before := d.dayCount()
	for _, c := range components {
		clusterCmd(d.t, "kill", c, "KILL")
	}
	killed := time.Now()
	time.Sleep(down)
	during = d.dayCount() - before
	for _, c := range components {
		clusterCmd(d.t, "start", c)
	}
	d.t.Logf("%s back after %v; the index counted %d articles meanwhile", names, time.Since(killed).Round(time.Second), during)
	return during
}

// dayCount is the articles the index counts now (day buckets, all pairs).
func (d *drill) dayCount() int64 {
	d.t.Helper()
	var n int64
	for attempt := 0; ; attempt++ {
		err := d.ch.QueryRow(context.Background(), `SELECT sum(articles) FROM index_journal
			WHERE kind = 'bucket' AND pair = '*' AND (tagger_version = '' OR in_current = 1) AND granularity = 'day'`).Scan(&n)
		if err == nil || attempt == 20 {
			if err != nil {
				d.t.Fatalf("count from the remaining replica: %v", err)
			}
			return n
		}
		time.Sleep(500 * time.Millisecond) // the pool's connections to the dead replica fail first
	}
}

// stopped reports whether process pid is stopped (SIGSTOP).
func stopped(pid int) bool {
	p, err := testenv.ReadProcStat(pid)
	return err == nil && p.State == "T"
}

// Drill 3: three sinks and two enrichers. One sink stops itself (SIGSTOP)
// right before a journal insert, with the batch it read in hand; the test
// resumes it after 12 s, twice the session timeout: its partitions went to
// the other sinks, which counted them. The resumed sink inserts a block for
// offsets it no longer owns — a zombie — and its check (or the owner's) finds
// the overlap and cancels the older generation's block. Five times.
func TestClusterZombieSink(t *testing.T) {
	d := newDrill(t, map[string][]string{"sink-3": {"SINK_TEST_STOP_BEFORE_JOURNAL=3"}})
	for _, name := range []string{"sink", "sink-2", "sink-3", "enricher", "enricher-2", "ingest", "query"} {
		d.start(name)
	}
	d.stream(40000, 400)
	for i := 1; i <= 5; i++ {
		deadline := time.Now().Add(2 * time.Minute)
		for !stopped(d.pid("sink-3")) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: sink-3 never stopped before an insert", i)
			}
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(12 * time.Second)
		t.Logf("round %d: SIGCONT sink-3 after 12 s stopped with a batch in hand", i)
		d.notify("sink-3", syscall.SIGCONT)
	}
	// The last zombie block may land after everything else is counted:
	// the checks start once sink-3 has flushed it or seen it lost.
	d.waitFlushAfterResume("sink-3", 5, 2*time.Minute)
	d.finish(5 * time.Minute)
	if c, _ := d.ledgerEvents(); c == 0 {
		t.Error("no block was cancelled: the zombie's inserts did not overlap anything, so the drill proved nothing")
	}
}

// Drill 4: scale the sinks 1 → 3 → 1 and the enrichers 1 → 2 → 1 during a
// stream (each in one consumer group, so partitions move between them), and
// add partitions to the enriched topic (6 → 9) while three sinks consume it:
// partitions move twice for each kind, articles produced after the change
// land on other partitions than before.
func TestClusterScaleSinksAndAddPartitions(t *testing.T) {
	d := newDrill(t, nil)
	d.startAll()
	d.stream(40000, 500)
	time.Sleep(10 * time.Second)
	d.start("sink-2")
	d.start("enricher-2")
	d.start("sink-3")
	t.Log("three sinks, two enrichers")
	time.Sleep(10 * time.Second)
	client := &kafka.Client{Addr: kafka.TCP(kafkax.Brokers(d.brokers)...), Timeout: 30 * time.Second}
	resp, err := client.CreatePartitions(context.Background(), &kafka.CreatePartitionsRequest{
		Topics: []kafka.TopicPartitionsConfig{{Name: d.topics.enriched, Count: 9}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range resp.Errors {
		if e != nil {
			t.Fatal(e)
		}
	}
	t.Log("enriched topic: 6 → 9 partitions")
	time.Sleep(15 * time.Second)
	// What each added instance did while it ran: a group that never gave
	// it partitions would make this drill a one-sink drill.
	work := map[string]float64{
		"sink-2":     d.metric("sink-2", "tension_sink_batches_total"),
		"sink-3":     d.metric("sink-3", "tension_sink_batches_total"),
		"enricher-2": d.metric("enricher-2", "tension_enricher_articles_enriched_total"),
	}
	d.signal("sink-2", syscall.SIGTERM)
	d.signal("enricher-2", syscall.SIGTERM)
	d.signal("sink-3", syscall.SIGTERM)
	t.Logf("one sink, one enricher again; the added ones did %v (sinks: batches, enricher: articles)", work)
	d.finish(5 * time.Minute)
	if led := leaders(t, d.brokers, d.topics.enriched); countPartitions(led) != 9 {
		t.Errorf("enriched topic has %d partitions, want 9", countPartitions(led))
	}
	for name, n := range work {
		if n == 0 {
			t.Errorf("%s did nothing while it ran: its group never gave it a partition", name)
		}
	}
}

func countPartitions(led map[int][]int) int {
	n := 0
	for _, ps := range led {
		n += len(ps)
	}
	return n
}

// cpuSeconds is the CPU time (user + system) process pid has used; 0 when
// it cannot be read.
func cpuSeconds(pid int) float64 {
	p, _ := testenv.ReadProcStat(pid)
	return p.CPU().Seconds()
}

// platformPids are the cluster's server processes, from the pid files
// scripts/cluster.sh keeps.
func platformPids() map[string]int {
	out := map[string]int{}
	dir := filepath.Join(chtest.LocalDir(), "cluster")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.pid"))
	for _, f := range files {
		if pid, err := testenv.PidFile(f); err == nil { // a server not running uses no CPU
			out[filepath.Base(filepath.Dir(f))] = pid
		}
	}
	return out
}

// TestClusterThroughputPerCore streams articles as fast as ingest takes
// them and reports, per component, articles per CPU-second: the articles
// divided by the CPU time the component used (user + system) from the first
// request until the last article is visible. That is the figure to size a
// deployment with (docs/scaling.md); wall-clock throughput on this shared
// two-core machine is reported too but says little.
func TestClusterThroughputPerCore(t *testing.T) {
	d := newDrill(t, nil)
	d.startAll()
	names := []string{"ingest", "enricher", "sink", "query"}
	before := map[string]float64{}
	for _, n := range names {
		before[n] = cpuSeconds(d.pid(n))
	}
	plat := platformPids()
	for n, pid := range plat {
		before[n] = cpuSeconds(pid)
	}
	start := time.Now()
	load := testenv.LoadAverage()
	d.stream(40000, 0)
	d.finish(10 * time.Minute)
	wall := time.Since(start)
	t.Logf("wall clock: %d articles in %v = %.0f articles/s end to end on %d cores; load average %s at the start, %s at the end",
		d.n, wall.Round(time.Second), float64(d.n)/wall.Seconds(), runtime.NumCPU(), load, testenv.LoadAverage())
	report := func(name string, pid int) {
		cpu := cpuSeconds(pid) - before[name]
		if cpu <= 0 {
			t.Logf("%-13s no CPU time read", name)
			return
		}
		t.Logf("%-13s %7.1f CPU-s  %8.0f articles per CPU-second", name, cpu, float64(d.n)/cpu)
	}
	for _, n := range names[:3] {
		report(n, d.pid(n))
	}
	for _, n := range []string{"kafka-1", "kafka-2", "kafka-3", "clickhouse-1", "clickhouse-2", "zookeeper"} {
		report(n, plat[n])
	}
}
