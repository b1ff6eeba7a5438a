// Command loadgen streams synthetic articles (pkg/synth) or a JSONL file into
// ingest over HTTP and measures accept throughput, end-to-end throughput and
// the latency from HTTP accept until an article is visible in /v1/index.
//
//	bin/loadgen -n 20000 -wait                        # as fast as possible, live event times
//	bin/loadgen -n 20000 -rate 200 -wait              # paced; p95 accept→visible
//	bin/loadgen -n 100000 -from 2018-01-01 -to 2026-01-01 -seed 7   # history
//	bin/loadgen -file samples/articles.jsonl -wait    # the sample set
//
// Articles go out as NDJSON batches (-batch, default 500; with -rate, cut to
// about 100 ms of traffic) over -concurrency connections. 503 is retried after
// Retry-After, other 5xx and network errors with backoff, both bounded by
// -retries; 400/413 count as rejected; 401/403 stop the run.
//
// Visibility: every -poll (100 ms) loadgen sums "articles" over the buckets of
// /v1/index?pair=CN-US (which counts every article, relevant or not) for the
// run's range — [start−1m, now+1m] by minute for a live run, the event-time
// range otherwise — minus the count seen before the run. Latency is an
// approximation: when the visible count first reaches k, the k-th accepted
// article (in accept order) is taken to have become visible at that poll, so
// its latency is poll time − its accept time. It overestimates by up to one
// poll interval and assumes articles become visible roughly in accept order
// and that nothing else writes into the polled range during the run (use a
// fresh seed; the default seed comes from the clock). End-to-end throughput is
// accepted articles / (first send → poll that saw them all).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}
