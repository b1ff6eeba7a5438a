package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/testenv"
)

// TestSoak (`make soak`, not part of any other target): 1,000,000 synthetic
// articles through the cluster with two sinks and two enrichers while a chaos
// loop SIGKILLs a random component 50 times — ingest, an enricher, a sink
// (each restarted at once), a Kafka broker or a ClickHouse replica (each
// restarted after 5–20 s, one at a time). It ends like every drill: exact
// counts in every granularity, the index equal to the raw rows, the API equal
// to the raw rows, both replicas equal. TENSION_SOAK_ARTICLES and
// TENSION_SOAK_KILLS change the figures.
func TestSoak(t *testing.T) {
	chtest.Cluster(t)
	if os.Getenv("TENSION_SOAK") != "1" {
		t.Skip("soak: run with `make soak` (sets TENSION_SOAK=1)")
	}
	n, kills := testenv.Int(t, "TENSION_SOAK_ARTICLES", 1_000_000), testenv.Int(t, "TENSION_SOAK_KILLS", 50)
	d := newDrill(t, nil)
	d.sendAttempts = 600 // five minutes of retries: a broker election and an ingest restart at once
	services := []string{"sink", "sink-2", "enricher", "enricher-2", "ingest", "query"}
	for _, name := range services {
		d.start(name)
	}
	start := time.Now()
	load := testenv.LoadAverage()
	d.stream(n, 1000)
	victims := []string{"ingest", "enricher", "enricher-2", "sink", "sink-2",
		"kafka-1", "kafka-2", "kafka-3", "clickhouse-1", "clickhouse-2"}
	rng := rand.New(rand.NewPCG(rand.Uint64(), 3))
	done := map[string]int{}
	for i := 1; i <= kills; i++ {
		time.Sleep(time.Duration(5+rng.IntN(15)) * time.Second)
		v := victims[rng.IntN(len(victims))]
		done[v]++
		if strings.HasPrefix(v, "kafka-") || strings.HasPrefix(v, "clickhouse-") {
			clusterCmd(t, "kill", v, "KILL")
			down := time.Duration(5+rng.IntN(16)) * time.Second
			time.Sleep(down)
			clusterCmd(t, "start", v)
			t.Logf("kill %2d/%d: %s down %v (%v into the run)", i, kills, v, down, time.Since(start).Round(time.Second))
			continue
		}
		d.signal(v, syscall.SIGKILL)
		d.start(v)
		t.Logf("kill %2d/%d: %s restarted (%v into the run)", i, kills, v, time.Since(start).Round(time.Second))
	}
	d.finish(60 * time.Minute)
	wall := time.Since(start)
	d.replicasEqual()
	var per []string
	for v, c := range done {
		per = append(per, fmt.Sprintf("%s ×%d", v, c))
	}
	sort.Strings(per)
	t.Logf("soak: %d articles, %d kills (%s) in %v: %.0f articles/s end to end, exact in every granularity; load average %s at the start, %s at the end",
		n, kills, strings.Join(per, ", "), wall.Round(time.Second), float64(n)/wall.Seconds(), load, testenv.LoadAverage())
}
