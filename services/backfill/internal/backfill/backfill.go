// Package backfill replays history into articles.raw.v1: files (JSONL,
// NDJSON, CSV, gzip, directories) or synthetic articles, validated like
// ingest (event.DecodeArticle) and identified like ingest (event.ArticleID),
// published straight to Kafka in large batches with their original
// published_at as event time. Articles are collected in a bounded window
// and published sorted by publication time (OrderWindow), because the index
// is partitioned by month and bucketed by time: an insert that spans few
// partitions and shares buckets costs ClickHouse and the sink far less than
// one spread over years. Progress is checkpointed after every acknowledged
// window, so a killed run resumes where it stopped, re-sending at most one
// window; re-sent articles keep their ids, so the sink counts nothing twice.
package backfill

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/synth"
)

// Writer publishes to articles.raw.v1 (the writer's topic).
type Writer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Config of one run.
type Config struct {
	Inputs    []Input // files to read, in order
	Columns   Columns // CSV column mapping
	Synthetic int     // > 0: generate this many synthetic articles instead
	SynthSeed uint64
	SynthFrom time.Time
	SynthTo   time.Time

	Batch int     // articles per Kafka write; default 5000
	Rate  float64 // articles/s; 0 = as fast as Kafka takes them

	// OrderWindow is how many admitted articles are collected, sorted by
	// published_at (stable: ties keep input order) and then published in
	// Batch-sized writes; 0 or 1 = input order, a window of Batch articles.
	// The checkpoint moves only after a whole window is acknowledged.
	OrderWindow int
	// OrderWindowBytes ends a window early once its encoded records take
	// this many bytes, so memory stays bounded whatever the articles' size;
	// default DefaultOrderWindowBytes.
	OrderWindowBytes int64

	Checkpoint string        // file written after every acknowledged window; "" = none
	Resume     bool          // start from Checkpoint
	Progress   io.Writer     // where progress goes (stderr)
	TTY        bool          // a progress bar instead of log lines
	LogEvery   time.Duration // period of progress log lines; default 5s
	MaxReports int           // bad rows printed individually; default 100
	Now        func() time.Time
}

// Stats are a run's counts.
type Stats struct {
	Read       int64            `json:"read"`
	Published  int64            `json:"published"`
	Rejected   int64            `json:"rejected"`
	Duplicates int64            `json:"duplicates"` // same article_id seen before in this run: not sent again
	Reasons    map[string]int64 `json:"reasons,omitempty"`
}

func (s *Stats) reject(reason string) {
	s.Rejected++
	if s.Reasons == nil {
		s.Reasons = map[string]int64{}
	}
	s.Reasons[reason]++
}

// The command's defaults for the order window: 200,000 articles or 256 MiB
// of encoded records, whichever is reached first. Measured with `make
// bench-backfill` on 200,000 and 400,000 synthetic articles spread over two
// years in random order: windows of 10,000 and 50,000 saved almost nothing
// (each sink batch still spans about 24 and 5 monthly partitions, and every
// window revisits all of them), 100,000 and 200,000 cut ClickHouse's CPU by
// 40-50 % and the sink's by 25-30 %. 256 MiB holds ~250,000 synthetic
// articles (~1 KB each) or ~60,000 of ~4 KB; with the memory limit of the
// command the process stays near 400 MiB.
const (
	DefaultOrderWindow      = 200000
	DefaultOrderWindowBytes = 256 << 20
)

// queued is an admitted article waiting in the window: its record and the
// publication time it is sorted by.
type queued struct {
	at         int64 // published_at, Unix nanoseconds
	seq        int   // place in the window as read: ties keep input order
	key, value []byte
}

// Runner runs one backfill.
type Runner struct {
	cfg    Config
	out    Writer
	logger *slog.Logger

	stats    Stats
	seen     map[uuid.UUID]struct{}
	window   []queued        // admitted, not yet published
	winBytes int64           // encoded bytes in window
	winCap   int             // articles per window
	batch    []kafka.Message // one write, reused
	read     []string        // files read to the end since the last window: done once it is acknowledged
	lastPos  Pos             // after the last record read (admitted or not)
	ckpt     Checkpoint
	reports  int
	progress *progress
	start    time.Time
	paced    int64
}

// New wires a runner.
func New(cfg Config, out Writer, logger *slog.Logger) *Runner {
	if cfg.Batch <= 0 {
		cfg.Batch = 5000
	}
	if cfg.Rate > 0 && float64(cfg.Batch) > cfg.Rate {
		cfg.Batch = max(1, int(cfg.Rate/4)) // several writes a second keep the pace smooth
	}
	if cfg.LogEvery <= 0 {
		cfg.LogEvery = 5 * time.Second
	}
	if cfg.MaxReports == 0 {
		cfg.MaxReports = 100
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.OrderWindowBytes <= 0 {
		cfg.OrderWindowBytes = DefaultOrderWindowBytes
	}
	winCap := cfg.Batch
	if cfg.ordered() {
		winCap = cfg.OrderWindow
	}
	return &Runner{cfg: cfg, out: out, logger: logger, seen: map[uuid.UUID]struct{}{}, winCap: winCap}
}

// ordered tells whether articles are sorted by publication time.
func (c Config) ordered() bool { return c.OrderWindow > 1 }

// errStop ends a read early (context cancelled).
var errStop = errors.New("stop")

// Run publishes everything and returns the counts of this run. With Resume,
// the counts of earlier runs are in Checkpoint.Stats of the returned
// checkpoint.
func (r *Runner) Run(ctx context.Context) (Stats, Checkpoint, error) {
	r.start = r.cfg.Now()
	if r.cfg.Resume && r.cfg.Checkpoint != "" {
		ck, err := LoadCheckpoint(r.cfg.Checkpoint)
		if err != nil {
			return r.stats, r.ckpt, err
		}
		if err := ck.Matches(r.cfg); err != nil {
			return r.stats, r.ckpt, err
		}
		r.ckpt = ck
		r.logger.Info("resuming", "checkpoint", r.cfg.Checkpoint, "position", ck.describe())
	} else {
		// Written before anything is sent, so that a run that fails in its
		// first window can be resumed too.
		r.ckpt = NewCheckpoint(r.cfg)
		if err := r.saveCheckpoint(); err != nil {
			return r.stats, r.ckpt, err
		}
	}
	r.progress = newProgress(r.cfg, r.total())
	defer r.progress.finish()
	var err error
	if r.cfg.Synthetic > 0 {
		err = r.runSynthetic(ctx)
	} else {
		err = r.runFiles(ctx)
	}
	if err == nil {
		err = r.publish(ctx) // the last, partial window
	}
	// Stopped (cancelled, or failed): the window read since the last
	// checkpoint is not sent; a resume reads it again.
	if errors.Is(err, errStop) {
		err = ctx.Err()
	}
	if err == nil {
		r.ckpt.Done = true
		if serr := r.saveCheckpoint(); serr != nil {
			err = serr
		}
	}
	return r.stats, r.ckpt, err
}

func (r *Runner) total() int64 {
	if r.cfg.Synthetic > 0 {
		return int64(r.cfg.Synthetic)
	}
	var n int64
	for _, in := range r.cfg.Inputs {
		n += in.Size
	}
	return n
}

func (r *Runner) runSynthetic(ctx context.Context) error {
	gen := synth.New(r.cfg.SynthSeed, r.cfg.SynthFrom, r.cfg.SynthTo)
	skip := r.ckpt.Position.Line
	// One buffer for every article: add decodes and re-encodes the record
	// and keeps none of its bytes. AppendJSON writes what encoding/json
	// writes without HTML escaping, which decodes to the same article;
	// json.Marshal's reflection was ~10 % of a synthetic backfill's CPU.
	var data []byte
	for i := int64(1); i <= int64(r.cfg.Synthetic); i++ {
		a := gen.Next()
		if i <= skip {
			continue
		}
		var err error
		if data, err = a.AppendJSON(data[:0]); err != nil {
			return fmt.Errorf("backfill: encode synthetic article: %w", err)
		}
		rec := Record{Where: "synthetic:" + strconv.FormatInt(i, 10), Data: data, Pos: Pos{File: "synthetic", Line: i}}
		if err := r.add(ctx, rec); err != nil {
			return err
		}
		r.progress.done = i
	}
	return nil
}

func (r *Runner) runFiles(ctx context.Context) error {
	done := map[string]bool{}
	for _, f := range r.ckpt.DoneFiles {
		done[f] = true
	}
	var consumedBefore int64
	for _, in := range r.cfg.Inputs {
		if done[in.Path] {
			consumedBefore += in.Size
			r.progress.done = consumedBefore
			continue
		}
		from := Pos{}
		if r.ckpt.Position.File == in.Path {
			from = r.ckpt.Position
		}
		var consumed int64
		err := ReadFile(in, from, r.cfg.Columns, &consumed, func(rec Record) error {
			r.progress.done = consumedBefore + consumed
			return r.add(ctx, rec)
		})
		if err != nil {
			return err
		}
		// Every record of the file is in the window (a window spans files,
		// so that small files still make large, well-sorted windows); the
		// file counts as done once that window is acknowledged.
		r.read = append(r.read, in.Path)
		r.lastPos = Pos{}
		consumedBefore += in.Size
	}
	return nil
}

// add validates one record and queues it; a full batch is published.
func (r *Runner) add(ctx context.Context, rec Record) error {
	if ctx.Err() != nil {
		return errStop
	}
	r.lastPos = rec.Pos
	if rec.Err != nil {
		r.stats.Read++
		r.bad(rec.Where, "unreadable", rec.Err)
		return r.maybeFlush(ctx)
	}
	r.stats.Read++
	// Admitted exactly as ingest admits: the same decoder, date window and
	// size rule, so every article backfill publishes fits every later stage.
	now := r.cfg.Now().UTC()
	a, err := event.DecodeArticle(rec.Data, event.DecodeOptions{Now: now})
	if err != nil {
		r.bad(rec.Where, reasonOf(err), err)
		return r.maybeFlush(ctx)
	}
	out, err := event.EncodeArticle(&a, now, event.MaxArticleBytes)
	if err != nil {
		r.bad(rec.Where, "too_large", err)
		return r.maybeFlush(ctx)
	}
	id := uuid.MustParse(a.ArticleID)
	if _, dup := r.seen[id]; dup {
		r.stats.Duplicates++
		return r.maybeFlush(ctx)
	}
	r.seen[id] = struct{}{}
	r.window = append(r.window, queued{at: a.PublishedAt.UnixNano(), seq: len(r.window), key: out.Key, value: out.Value})
	r.winBytes += int64(len(out.Key) + len(out.Value))
	return r.maybeFlush(ctx)
}

// reasonOf is a short, countable reason: the first problem's field and
// reason, without the values.
func reasonOf(err error) string {
	var ve *event.ValidationError
	if errors.As(err, &ve) && len(ve.Problems) > 0 {
		p := ve.Problems[0]
		if p.Field != "" {
			return p.Field + ": " + p.Reason
		}
		return p.Reason
	}
	return "invalid"
}

func (r *Runner) bad(where, reason string, err error) {
	r.stats.reject(reason)
	r.reports++
	if r.reports <= r.cfg.MaxReports {
		r.progress.printf("rejected %s: %v\n", where, err)
	} else if r.reports == r.cfg.MaxReports+1 {
		r.progress.printf("more rejected rows: counted in the summary, not printed\n")
	}
}

func (r *Runner) maybeFlush(ctx context.Context) error {
	if len(r.window) < r.winCap && r.winBytes < r.cfg.OrderWindowBytes {
		r.progress.tick(r.stats)
		return nil
	}
	return r.publish(ctx)
}

// publish sends the window — sorted by publication time when ordering is
// on — in writes of Batch articles, each acknowledged by every replica, and
// only then moves the checkpoint past it: a position is recorded only when
// every article before it is acknowledged.
func (r *Runner) publish(ctx context.Context) error {
	if r.cfg.ordered() {
		// Not SortStableFunc: its in-place merges took ~5 % of a backfill's
		// CPU on a window of 50,000; seq breaks the ties instead.
		slices.SortFunc(r.window, func(a, b queued) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq)) })
	}
	for sent := 0; sent < len(r.window); {
		if ctx.Err() != nil {
			return errStop
		}
		n := min(r.cfg.Batch, len(r.window)-sent)
		r.batch = r.batch[:0]
		for _, q := range r.window[sent : sent+n] {
			r.batch = append(r.batch, kafka.Message{Key: q.key, Value: q.value})
		}
		if err := r.pace(ctx, n); err != nil {
			return err
		}
		if err := r.out.WriteMessages(ctx, r.batch...); err != nil {
			if ctx.Err() != nil {
				return errStop
			}
			return fmt.Errorf("backfill: publish %d articles: %w", n, err)
		}
		sent += n
		r.stats.Published += int64(n)
		r.progress.tick(r.stats)
	}
	clear(r.window) // let the records go
	r.window, r.winBytes = r.window[:0], 0
	clear(r.batch)
	r.ckpt.DoneFiles = append(r.ckpt.DoneFiles, r.read...)
	r.read = r.read[:0]
	r.ckpt.Position = r.lastPos
	if err := r.saveCheckpoint(); err != nil {
		return err
	}
	r.progress.tick(r.stats)
	return nil
}

// pace sleeps so that publishing stays at or under Rate articles/s.
func (r *Runner) pace(ctx context.Context, n int) error {
	if r.cfg.Rate <= 0 {
		return nil
	}
	r.paced += int64(n)
	due := r.start.Add(time.Duration(float64(r.paced-int64(n)) / r.cfg.Rate * float64(time.Second)))
	if wait := due.Sub(r.cfg.Now()); wait > 0 {
		select {
		case <-ctx.Done():
			return errStop
		case <-time.After(wait):
		}
	}
	return nil
}

func (r *Runner) saveCheckpoint() error {
	if r.cfg.Checkpoint == "" {
		return nil
	}
	var total Stats // a copy: Base's Reasons map is not to be added to
	total.add(r.ckpt.Base)
	total.add(r.stats)
	r.ckpt.Stats = total
	return r.ckpt.Save(r.cfg.Checkpoint)
}

func (s *Stats) add(o Stats) {
	s.Read += o.Read
	s.Published += o.Published
	s.Rejected += o.Rejected
	s.Duplicates += o.Duplicates
	for k, v := range o.Reasons {
		if s.Reasons == nil {
			s.Reasons = map[string]int64{}
		}
		s.Reasons[k] += v
	}
}

// Summary renders counts for people.
func (s Stats) Summary(took time.Duration) string {
	var b strings.Builder
	rate := 0.0
	if took > 0 {
		rate = float64(s.Published) / took.Seconds()
	}
	fmt.Fprintf(&b, "read %d, published %d, rejected %d, duplicates %d in %s (%.0f articles/s)\n",
		s.Read, s.Published, s.Rejected, s.Duplicates, took.Round(time.Millisecond), rate)
	reasons := make([]string, 0, len(s.Reasons))
	for k := range s.Reasons {
		reasons = append(reasons, k)
	}
	sort.Slice(reasons, func(i, j int) bool { return s.Reasons[reasons[i]] > s.Reasons[reasons[j]] })
	for _, k := range reasons {
		fmt.Fprintf(&b, "  rejected %6d  %s\n", s.Reasons[k], k)
	}
	return b.String()
}
