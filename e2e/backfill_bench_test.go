package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/testenv"
)

// BenchmarkIntegrationBackfill measures backfill into the index (`make
// bench-backfill`): articles/s from the start of `backfill -synthetic N`
// (two years of publication times) until the index counts N in every
// granularity, with Kafka, enricher, sink and ClickHouse all on this
// machine. N is TENSION_BENCH_ARTICLES (default 50,000). The generator
// draws publication times in random order; backfill sends them sorted
// within its order window, TENSION_BENCH_ORDER_WINDOW articles (default:
// backfill's default, 200,000; 0 = in the generator's random order).
func BenchmarkIntegrationBackfill(b *testing.B) {
	n := testenv.Int(b, "TENSION_BENCH_ARTICLES", 50000)
	args := []string{"-synthetic", strconv.Itoa(n), "-from", "2023-01-01", "-to", "2025-01-01", "-seed", "7", "-progress", "none"}
	if w := os.Getenv("TENSION_BENCH_ORDER_WINDOW"); w != "" {
		args = append(args, "-order-window", w)
	}
	b.Logf("backfill %s", strings.Join(args, " "))
	for range b.N {
		s := newStack(b)
		s.startAll()
		cpu := newComponentCPU(s)
		start := time.Now()
		out, err := s.runBackfill(append(args, "-checkpoint", b.TempDir()+"/ck")...)
		if err != nil {
			b.Fatalf("backfill: %v\n%s", err, out)
		}
		published := time.Since(start)
		s.waitTotals(int64(n), 10*time.Minute)
		took := time.Since(start)
		b.Logf("CPU-s per 100,000 articles while it ran: %s", cpu.per100k(n))
		b.Logf("backfill published %d articles to Kafka in %v (%.0f articles/s)", n, published.Round(time.Millisecond),
			float64(n)/published.Seconds())
		b.Logf("backfill into the index: %d articles in %v = %.0f articles/s (start of backfill to index totals = %d)",
			n, took.Round(time.Millisecond), float64(n)/took.Seconds(), n)
		b.ReportMetric(float64(n)/took.Seconds(), "articles/s")
		b.ReportMetric(float64(n)/published.Seconds(), "published/s")
	}
}

// componentCPU measures the CPU time each part of the local stack uses
// from its making on: the services the stack runs, the local Kafka and
// ClickHouse (their pid files under .local; left out when not found) and
// the processes this test ran and waited for (the backfill).
type componentCPU struct {
	names []string
	pids  []int
	// start is each process's CPU time at the start; its kernel part is
	// printed beside ClickHouse's total, which is large only when creating
	// files is slow (on ext4 without a journal, as on this project's
	// machine, a new file first steps over the inodes deleted in the last
	// minutes: docs/performance.md).
	start []testenv.ProcStat
	// children is the CPU of this process's waited-for children.
	children time.Duration
}

func newComponentCPU(s *stack) *componentCPU {
	c := &componentCPU{}
	for _, name := range []string{"enricher", "sink"} {
		c.add(name, s.pid(name))
	}
	for _, server := range []string{"kafka", "clickhouse"} {
		if pid, err := testenv.PidFile(filepath.Join(chtest.LocalDir(), server, server+".pid")); err == nil {
			c.add(server, pid)
		}
	}
	c.children = testenv.ChildrenCPU()
	return c
}

func (c *componentCPU) add(name string, pid int) {
	p, _ := testenv.ReadProcStat(pid) // a process not found counts 0
	c.names, c.pids, c.start = append(c.names, name), append(c.pids, pid), append(c.start, p)
}

// per100k is each component's CPU seconds since the start, per 100,000 of
// n articles.
func (c *componentCPU) per100k(n int) string {
	scale := 100000 / float64(n)
	var parts []string
	parts = append(parts, fmt.Sprintf("backfill %.2f", (testenv.ChildrenCPU()-c.children).Seconds()*scale))
	for i, name := range c.names {
		now, _ := testenv.ReadProcStat(c.pids[i])
		part := fmt.Sprintf("%s %.2f", name, (now.CPU()-c.start[i].CPU()).Seconds()*scale)
		if name == "clickhouse" {
			part += fmt.Sprintf(" (in the kernel %.2f)", (now.System-c.start[i].System).Seconds()*scale)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}
