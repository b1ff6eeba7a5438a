package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/flagenv"
)

type config struct {
	ingestURL, queryURL, token string
	n                          int
	rate                       float64
	batch, concurrency         int
	seed                       uint64
	from, to                   time.Time // zero: live (published now)
	pair                       string
	wait                       bool
	waitTimeout                time.Duration
	pollInterval               time.Duration
	retries                    int
	httpTimeout                time.Duration
	out                        string
	file                       string // send these articles instead of synthetic ones
}

func (c config) live() bool { return c.from.IsZero() }

// parseConfig reads flags, falling back to the environment for the URLs and
// the token.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	var from, to, seed string
	fs := flagenv.New("loadgen", getenv, stderr)
	fs.StringVar(&c.ingestURL, "ingest-url", "INGEST_URL", "http://127.0.0.1:8080", "ingest base URL")
	fs.StringVar(&c.queryURL, "query-url", "QUERY_URL", "http://127.0.0.1:8081", "query API base URL")
	fs.DeprecatedEnv("INGEST_TOKEN", "TENSION_TOKEN")
	fs.StringVar(&c.token, "token", "INGEST_TOKEN", "", "bearer token for ingest")
	fs.FlagSet.IntVar(&c.n, "n", 10000, "total articles to send")
	fs.FlagSet.Float64Var(&c.rate, "rate", 0, "articles per second (0 = as fast as possible)")
	fs.FlagSet.IntVar(&c.batch, "batch", 500, "max articles per NDJSON request (with -rate, batches are cut to ~100 ms of traffic)")
	fs.FlagSet.IntVar(&c.concurrency, "concurrency", 4, "concurrent HTTP requests")
	fs.FlagSet.StringVar(&seed, "seed", "", "generator seed (default: derived from the clock, printed in the summary)")
	fs.FlagSet.StringVar(&from, "from", "", "event-time range start, RFC 3339 or YYYY-MM-DD (default: live, published now)")
	fs.FlagSet.StringVar(&to, "to", "", "event-time range end (exclusive), with -from")
	fs.FlagSet.StringVar(&c.pair, "pair", "CN-US", "pair whose /v1/index is polled (its 'articles' counts every article)")
	fs.FlagSet.BoolVar(&c.wait, "wait", false, "after sending, wait until /v1/index shows every accepted article; measures latency")
	fs.FlagSet.DurationVar(&c.waitTimeout, "wait-timeout", 2*time.Minute, "give up waiting after this long (after sending ends)")
	fs.FlagSet.DurationVar(&c.pollInterval, "poll", 100*time.Millisecond, "query API poll interval with -wait")
	fs.FlagSet.IntVar(&c.retries, "retries", 20, "max retries of one request (503 with Retry-After, 5xx, network errors)")
	fs.FlagSet.DurationVar(&c.httpTimeout, "http-timeout", 60*time.Second, "timeout of one HTTP request")
	fs.FlagSet.StringVar(&c.out, "out", "", "write the JSON summary to this file")
	fs.FlagSet.StringVar(&c.file, "file", "", "send the articles of this JSONL file (e.g. samples/articles.jsonl) instead of synthetic ones; -n, -seed, -from, -to are ignored")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	switch {
	case c.n <= 0:
		return c, fmt.Errorf("-n must be positive")
	case c.rate < 0:
		return c, fmt.Errorf("-rate must not be negative")
	case c.batch <= 0:
		return c, fmt.Errorf("-batch must be positive")
	case c.concurrency <= 0:
		return c, fmt.Errorf("-concurrency must be positive")
	case c.retries < 0:
		return c, fmt.Errorf("-retries must not be negative")
	case c.pollInterval <= 0:
		return c, fmt.Errorf("-poll must be positive")
	}
	if seed == "" {
		c.seed = uint64(time.Now().UnixNano())
	} else {
		v, err := strconv.ParseUint(seed, 0, 64)
		if err != nil {
			return c, fmt.Errorf("-seed: %v", err)
		}
		c.seed = v
	}
	if (from == "") != (to == "") {
		return c, fmt.Errorf("-from and -to go together")
	}
	if from != "" {
		var err error
		if c.from, err = event.ParseTime(from); err != nil {
			return c, fmt.Errorf("-from: %v", err)
		}
		if c.to, err = event.ParseTime(to); err != nil {
			return c, fmt.Errorf("-to: %v", err)
		}
		if !c.to.After(c.from) {
			return c, fmt.Errorf("-to must be after -from")
		}
	}
	if c.batch > 1 && c.rate > 0 {
		// Keep requests flowing at about 10 per second so the paced stream is
		// smooth and a batch does not wait seconds for its last article.
		if per := int(c.rate/10 + 0.5); per < c.batch {
			c.batch = max(per, 1)
		}
	}
	c.ingestURL = strings.TrimRight(c.ingestURL, "/")
	c.queryURL = strings.TrimRight(c.queryURL, "/")
	return c, nil
}
