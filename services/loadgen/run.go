package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tension-dev/tension/pkg/synth"
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	sum, err := newRunner(cfg, stderr).run(ctx)
	if sum != nil {
		sum.print(stdout)
		if cfg.out != "" {
			raw, _ := json.MarshalIndent(sum, "", "  ")
			if werr := os.WriteFile(cfg.out, append(raw, '\n'), 0o644); werr != nil && err == nil {
				err = werr
			}
		}
	}
	return err
}

// summary is the JSON report of a run.
type summary struct {
	Seed        uint64  `json:"seed"`
	Mode        string  `json:"mode"` // live or history
	From        string  `json:"from,omitempty"`
	To          string  `json:"to,omitempty"`
	Pair        string  `json:"pair"`
	Batch       int     `json:"batch"`
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate"`

	Requested   int     `json:"requested"`
	Accepted    int     `json:"accepted"`
	Rejected    int     `json:"rejected"`
	Requests    int64   `json:"requests"`
	Retries503  int64   `json:"retries_503"`
	RetriesMisc int64   `json:"retries_other"`
	BytesSent   int64   `json:"bytes_sent"`
	SendSeconds float64 `json:"send_seconds"`
	AcceptRate  float64 `json:"accept_rate"` // articles/s accepted over the send phase
	AcceptMBs   float64 `json:"accept_mb_s"`

	Waited     bool         `json:"waited"`
	Baseline   int          `json:"baseline,omitempty"` // articles already in the polled range before the run
	Visible    int          `json:"visible"`
	Complete   bool         `json:"complete"`
	E2ESeconds float64      `json:"e2e_seconds,omitempty"` // first send until all accepted articles visible
	E2ERate    float64      `json:"e2e_rate,omitempty"`
	Polls      int          `json:"polls,omitempty"`
	PollErrors int          `json:"poll_errors,omitempty"`
	LatencyMs  latencyStats `json:"latency_ms"`
	Errors     []string     `json:"errors,omitempty"`
}

func (s *summary) print(w io.Writer) {
	fmt.Fprintf(w, "loadgen: seed=%d mode=%s batch=%d concurrency=%d rate=%g\n", s.Seed, s.Mode, s.Batch, s.Concurrency, s.Rate)
	fmt.Fprintf(w, "sent:     %d/%d accepted, %d rejected, %d requests, %d+%d retries (503+other), %.1f MB\n",
		s.Accepted, s.Requested, s.Rejected, s.Requests, s.Retries503, s.RetriesMisc, float64(s.BytesSent)/1e6)
	fmt.Fprintf(w, "accept:   %.3f s, %.0f articles/s, %.2f MB/s\n", s.SendSeconds, s.AcceptRate, s.AcceptMBs)
	if s.Waited {
		fmt.Fprintf(w, "visible:  %d/%d (complete=%v) after %.3f s, end to end %.0f articles/s\n", s.Visible, s.Accepted, s.Complete, s.E2ESeconds, s.E2ERate)
		l := s.LatencyMs
		fmt.Fprintf(w, "latency accept→visible (ms, n=%d): p50 %.0f  p95 %.0f  p99 %.0f  max %.0f  mean %.0f\n", l.Count, l.P50, l.P95, l.P99, l.Max, l.Mean)
	}
	for _, e := range s.Errors {
		fmt.Fprintf(w, "error:    %s\n", e)
	}
	raw, _ := json.Marshal(s)
	fmt.Fprintf(w, "%s\n", raw)
}

type runner struct {
	cfg    config
	stderr io.Writer
	now    func() time.Time
	ingest *ingestClient
	query  *queryClient
	track  tracker

	requests, retries503, retriesMisc, bytes atomic.Int64
	rejected                                 atomic.Int64
	errMu                                    sync.Mutex
	errs                                     []string
}

func newRunner(cfg config, stderr io.Writer) *runner {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConns:        cfg.concurrency + 4,
		MaxIdleConnsPerHost: cfg.concurrency + 4,
		IdleConnTimeout:     90 * time.Second,
	}
	hc := &http.Client{Transport: tr, Timeout: cfg.httpTimeout}
	return &runner{
		cfg:    cfg,
		stderr: stderr,
		now:    time.Now,
		ingest: &ingestClient{http: hc, url: cfg.ingestURL + "/v1/articles", token: cfg.token, retries: cfg.retries, sleep: sleepCtx},
		query:  &queryClient{http: hc, base: cfg.queryURL, token: cfg.token, pair: cfg.pair},
	}
}

func (r *runner) addErr(format string, a ...any) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	if len(r.errs) < 10 {
		r.errs = append(r.errs, fmt.Sprintf(format, a...))
	}
}

// queryRange is the /v1/index window polled for the visible count: for a
// live run [start−1m, now+1m] by minute; for a history run the event-time
// range widened to whole buckets of an interval that keeps the answer small.
func (r *runner) queryRange(start, now time.Time) (from, to time.Time, interval string) {
	if r.cfg.live() {
		return start.Add(-time.Minute).Truncate(time.Minute), now.Add(time.Minute), "minute"
	}
	return historyRange(r.cfg.from, r.cfg.to)
}

func historyRange(from, to time.Time) (time.Time, time.Time, string) {
	span := to.Sub(from)
	var unit time.Duration
	var interval string
	switch {
	case span <= 6*time.Hour:
		unit, interval = time.Minute, "minute"
	case span <= 30*24*time.Hour:
		unit, interval = time.Hour, "hour"
	default:
		unit, interval = 24*time.Hour, "day"
	}
	from = from.UTC().Truncate(unit) // UTC: day buckets start at 00:00 UTC
	if t := to.UTC().Truncate(unit); t.Before(to) {
		to = t.Add(unit)
	}
	return from, to.UTC(), interval
}

func (r *runner) run(ctx context.Context) (*summary, error) {
	cfg := r.cfg
	sum := &summary{Seed: cfg.seed, Mode: "live", Pair: cfg.pair, Batch: cfg.batch, Concurrency: cfg.concurrency,
		Rate: cfg.rate, Requested: cfg.n, Waited: cfg.wait}
	var next func() synth.Article
	switch {
	case cfg.file != "":
		arts, err := loadFile(cfg.file)
		if err != nil {
			return nil, err
		}
		cfg.n, sum.Requested = len(arts), len(arts)
		cfg.from, cfg.to = span(arts)
		r.cfg = cfg // queryRange polls the file's event-time range
		i := 0
		next = func() synth.Article { i++; return arts[i-1] }
		sum.Mode, sum.From, sum.To = "file", cfg.from.Format(time.RFC3339), cfg.to.Format(time.RFC3339)
	case cfg.live():
		next = synth.NewLive(cfg.seed).Next
	default:
		next = synth.New(cfg.seed, cfg.from, cfg.to).Next
		sum.Mode, sum.From, sum.To = "history", cfg.from.Format(time.RFC3339), cfg.to.Format(time.RFC3339)
	}

	start := r.now()
	if cfg.wait {
		from, to, interval := r.queryRange(start, start)
		base, err := r.query.count(ctx, from, to, interval)
		if err != nil {
			return nil, fmt.Errorf("query API not usable for -wait: %w", err)
		}
		sum.Baseline = base
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Poller: from the first send until every accepted article is visible.
	var sendDone atomic.Bool
	sendEnd := make(chan time.Time, 1)
	pollDone := make(chan error, 1)
	var visible, polls, pollErrs int
	var e2eEnd time.Time
	if cfg.wait {
		go func() {
			pollDone <- r.poll(ctx, start, sum.Baseline, &sendDone, sendEnd, &visible, &polls, &pollErrs, &e2eEnd)
		}()
	}

	// Producer and senders.
	type job struct {
		body []byte
		n    int
	}
	jobs := make(chan job, cfg.concurrency)
	var wg sync.WaitGroup
	var fatal atomic.Pointer[error]
	for range cfg.concurrency {
		wg.Go(func() {
			for j := range jobs {
				res, err := r.ingest.post(ctx, j.body, j.n)
				r.requests.Add(int64(1 + res.retries503 + res.retriesMisc))
				r.retries503.Add(int64(res.retries503))
				r.retriesMisc.Add(int64(res.retriesMisc))
				if res.accepted > 0 {
					r.track.Accept(res.accepted, r.now)
					r.bytes.Add(int64(len(j.body)))
				}
				if err != nil {
					r.rejected.Add(int64(j.n - res.accepted))
					if ctx.Err() != nil {
						continue
					}
					r.addErr("%v", err)
					var pe *permanentError
					if errors.As(err, &pe) && (pe.status == http.StatusUnauthorized || pe.status == http.StatusForbidden) {
						fatal.CompareAndSwap(nil, &err)
						cancel()
					}
				}
			}
		})
	}

	p := newPacer(cfg.rate)
	p.now = r.now
	arts := make([]synth.Article, 0, cfg.batch)
	var produceErr error
	for left := cfg.n; left > 0; {
		n := min(left, cfg.batch)
		if produceErr = p.Wait(ctx, n); produceErr != nil {
			break
		}
		arts = arts[:0]
		for range n {
			arts = append(arts, next())
		}
		var body []byte
		if body, produceErr = appendNDJSON(make([]byte, 0, n*1400), arts); produceErr != nil {
			break
		}
		select {
		case jobs <- job{body, n}:
		case <-ctx.Done():
			produceErr = ctx.Err()
		}
		if produceErr != nil {
			break
		}
		left -= n
	}
	close(jobs)
	wg.Wait()
	end := r.now()
	sendDone.Store(true)
	sendEnd <- end

	sum.Accepted = r.track.Accepted()
	sum.Rejected = int(r.rejected.Load())
	sum.Requests, sum.Retries503, sum.RetriesMisc, sum.BytesSent = r.requests.Load(), r.retries503.Load(), r.retriesMisc.Load(), r.bytes.Load()
	sum.SendSeconds = end.Sub(start).Seconds()
	if sum.SendSeconds > 0 {
		sum.AcceptRate = float64(sum.Accepted) / sum.SendSeconds
		sum.AcceptMBs = float64(sum.BytesSent) / 1e6 / sum.SendSeconds
	}

	var err error
	if f := fatal.Load(); f != nil {
		err = *f
	} else if produceErr != nil {
		err = produceErr
	}
	if cfg.wait && err == nil {
		err = <-pollDone
		sum.Visible, sum.Polls, sum.PollErrors = visible, polls, pollErrs
		sum.Complete = err == nil
		if !e2eEnd.IsZero() {
			sum.E2ESeconds = e2eEnd.Sub(start).Seconds()
			sum.E2ERate = float64(sum.Accepted) / sum.E2ESeconds
		}
		sum.LatencyMs = r.track.Stats()
	}
	r.errMu.Lock()
	sum.Errors = r.errs
	r.errMu.Unlock()
	if err != nil {
		sum.Errors = append(sum.Errors, err.Error())
	}
	if err == nil && sum.Rejected > 0 {
		err = fmt.Errorf("%d articles were not accepted", sum.Rejected)
	}
	return sum, err
}

// poll reads the visible count every poll interval and feeds the tracker. It
// returns nil once every accepted article is visible after sending ended, or
// errTimeout wait-timeout after sending ended.
func (r *runner) poll(ctx context.Context, start time.Time, baseline int, sendDone *atomic.Bool, sendEnd <-chan time.Time,
	visible, polls, pollErrs *int, e2eEnd *time.Time) error {
	t := time.NewTicker(r.cfg.pollInterval)
	defer t.Stop()
	var deadline time.Time
	var lastErr error
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case end := <-sendEnd:
			deadline = end.Add(r.cfg.waitTimeout)
			continue
		case <-t.C:
		}
		now := r.now()
		from, to, interval := r.queryRange(start, now)
		n, err := r.query.count(ctx, from, to, interval)
		*polls++
		if err != nil {
			*pollErrs++
			lastErr = err
		} else {
			*visible = n - baseline
			waiting := r.track.Observe(*visible, now)
			if sendDone.Load() && waiting == 0 && !deadline.IsZero() {
				*e2eEnd = now
				return nil
			}
		}
		if !deadline.IsZero() && now.After(deadline) {
			if lastErr != nil {
				return fmt.Errorf("%w (last query error: %v)", errTimeout, lastErr)
			}
			return errTimeout
		}
	}
}
