// Package follow is the source follower's engine: it polls every feed of
// the sources file on its interval, turns each item it has not seen into an
// article (the page's text when the feed carries only a summary), admits it
// with the pipeline's one rule (event.DecodeArticle, event.EncodeArticle:
// the same validation, ids and size rule as ingest and backfill) and
// publishes it to articles.raw.v1 keyed by article_id. What the rule
// refuses goes to the dead-letter topic with the reason.
//
// Delivery is at least once: an item is recorded as seen (state file) only
// after Kafka acknowledged its article, so a crash republishes at most the
// items of the polls in flight, and their stable ids make the sink count
// each article once. A page seen through two feeds has one canonical URL,
// hence one id, and is counted once as well.
package follow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/services/follow/internal/feed"
	"github.com/tension-dev/tension/services/follow/internal/fetch"
	"github.com/tension-dev/tension/services/follow/internal/page"
	"github.com/tension-dev/tension/services/follow/internal/sources"
	"github.com/tension-dev/tension/services/follow/internal/state"
)

// Writer is the part of *kafka.Writer the follower needs: a synchronous
// write that returns once every message is acknowledged.
type Writer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Fetcher fetches URLs (fetch.Fetcher).
type Fetcher interface {
	Get(ctx context.Context, req fetch.Request) (*fetch.Response, error)
}

// Config wires a Follower. Zero values take the defaults noted.
type Config struct {
	Sources []sources.Source
	Store   *state.Store
	Fetcher Fetcher
	Raw     Writer // articles.raw.v1
	DLQ     Writer // articles.dlq.v1

	Concurrency    int           // feeds polled at once (default 8)
	MaxFeedBytes   int64         // cap of a feed document (default 8 MiB)
	MaxPageBytes   int64         // cap of an article page (default 4 MiB)
	MaxItems       int           // new items handled per poll; the rest in the next poll, at once (default 500)
	PageAttempts   int           // polls that try a page that fails transiently before the feed's text is used (default 3)
	MaxBackoff     time.Duration // longest wait after failed polls (default 6 h)
	PublishTimeout time.Duration // wait for Kafka's acknowledgement (default 30 s)
	SeenKeep       time.Duration // how long items gone from a feed are remembered (default 30 days)
	MaxSeen        int           // items remembered per feed (default 10,000)

	// PollBudget is the time after which a poll starts no further item
	// (the rest in the next poll, at once): a page costs up to the fetch
	// timeout and its extraction seconds, and 500 slow pages would hold a
	// poll slot, and the feeds waiting for it, for hours (default 10 min).
	PollBudget time.Duration

	// MaxParsing caps the feed documents parsed and pages extracted at
	// once (default GOMAXPROCS): the work is CPU-bound, and its memory a
	// multiple of the input — a hostile 8 MiB feed of nested or
	// many-attribute elements allocates up to 540 MB, a 4 MiB page 86 MB
	// (BenchmarkParseHostile, BenchmarkExtractHostile) — so the follower's
	// memory stays MaxParsing times that, whatever Concurrency.
	MaxParsing int

	Now     func() time.Time
	Logger  *slog.Logger
	Metrics *Metrics
}

// Follower polls the sources. Its methods are safe for concurrent use.
type Follower struct {
	cfg    Config
	log    *slog.Logger
	m      *Metrics
	sem    chan struct{}
	parse  chan struct{} // MaxParsing
	mu     sync.Mutex
	status map[string]*sourceStatus // by source name
}

// New returns a Follower.
func New(cfg Config) *Follower {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.MaxFeedBytes <= 0 {
		cfg.MaxFeedBytes = 8 << 20
	}
	if cfg.MaxPageBytes <= 0 {
		cfg.MaxPageBytes = 4 << 20
	}
	if cfg.MaxItems <= 0 {
		cfg.MaxItems = 500
	}
	if cfg.PageAttempts <= 0 {
		cfg.PageAttempts = 3
	}
	if cfg.PollBudget <= 0 {
		cfg.PollBudget = 10 * time.Minute
	}
	if cfg.MaxParsing <= 0 {
		cfg.MaxParsing = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 6 * time.Hour
	}
	if cfg.PublishTimeout <= 0 {
		cfg.PublishTimeout = 30 * time.Second
	}
	if cfg.SeenKeep <= 0 {
		cfg.SeenKeep = 30 * 24 * time.Hour
	}
	if cfg.MaxSeen <= 0 {
		cfg.MaxSeen = 10_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Follower{cfg: cfg, log: cfg.Logger, m: cfg.Metrics, sem: make(chan struct{}, cfg.Concurrency), parse: make(chan struct{}, cfg.MaxParsing), status: map[string]*sourceStatus{}}
	for _, s := range cfg.Sources {
		f.status[s.Name] = &sourceStatus{LastStatus: "never"}
		if f.m != nil {
			f.m.init(s.Name)
		}
	}
	return f
}

// Run polls every source on its interval until ctx ends. A source is
// first polled when its state says (a restart keeps the schedule), or at
// once.
func (f *Follower) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, s := range f.cfg.Sources {
		wg.Go(func() { f.follow(ctx, s) })
	}
	wg.Wait()
	return nil
}

func (f *Follower) follow(ctx context.Context, s sources.Source) {
	next := f.cfg.Store.Feed(s.URL).NextPoll
	for {
		if wait := next.Sub(f.cfg.Now()); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		r, ok := f.pollSlot(ctx, s)
		if !ok {
			return
		}
		next = r.Next
	}
}

// pollSlot polls s within the concurrency cap; false when ctx ended first.
func (f *Follower) pollSlot(ctx context.Context, s sources.Source) (Result, bool) {
	select {
	case f.sem <- struct{}{}:
	case <-ctx.Done():
		return Result{}, false
	}
	defer func() { <-f.sem }()
	if ctx.Err() != nil {
		return Result{}, false
	}
	return f.Poll(ctx, s), true
}

// PollAll polls every source once, within the concurrency cap, and
// returns the results in the order of the sources file.
func (f *Follower) PollAll(ctx context.Context) []Result {
	out := make([]Result, len(f.cfg.Sources))
	var wg sync.WaitGroup
	for i, s := range f.cfg.Sources {
		wg.Go(func() {
			r, ok := f.pollSlot(ctx, s)
			if !ok {
				r = Result{Source: s.Name, Err: ctx.Err()}
			}
			out[i] = r
		})
	}
	wg.Wait()
	return out
}

// Result is what one poll did.
type Result struct {
	Source      string
	Status      string // "ok", "not_modified" or "error"
	New         int    // items not seen before
	Published   int
	DeadLetters int
	Pending     int // items left for the next poll (a page to retry, or over MaxItems)
	Err         error
	Next        time.Time
}

// Poll polls one source once: fetch the feed (conditionally), handle the
// items not seen before, record what was published.
func (f *Follower) Poll(ctx context.Context, s sources.Source) Result {
	start := f.cfg.Now()
	p := &poll{f: f, src: s, st: f.cfg.Store.Feed(s.URL), now: start, res: Result{Source: s.Name}}
	p.run(ctx)
	if f.m != nil {
		f.m.pollSeconds.Observe(f.cfg.Now().Sub(start).Seconds())
	}
	f.record(s, p)
	return p.res
}

type poll struct {
	f   *Follower
	src sources.Source
	st  state.Feed
	now time.Time
	res Result

	raw      []kafka.Message
	rawBytes int
	dlq      []kafka.Message
	marks    []string // item hashes of the messages in raw and dlq
	undated  int
	cut      int
	more     bool // items left for lack of room (MaxItems, PollBudget): the next poll follows at once
}

// Batches are flushed to Kafka at these bounds, so a poll holds at most
// ~8 MiB of articles whatever the feed.
const (
	flushMessages = 100
	flushBytes    = 8 << 20
)

func (p *poll) run(ctx context.Context) {
	f, s := p.f, p.src
	resp, err := f.cfg.Fetcher.Get(ctx, fetch.Request{URL: s.URL, ETag: p.st.ETag, LastModified: p.st.LastModified,
		MaxBytes: f.cfg.MaxFeedBytes, Accept: "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"})
	if err != nil {
		if ctx.Err() != nil { // shutting down: not the feed's failure, and nothing to record
			p.res.Status, p.res.Err = "error", ctx.Err()
			return
		}
		p.fail(kindOf(err), err, retryAfter(err))
		return
	}
	if resp.Status == 304 {
		p.succeed("not_modified")
		return
	}
	base, _ := url.Parse(resp.URL)
	if !f.parsing(ctx) { // shutting down
		p.res.Status, p.res.Err = "error", ctx.Err()
		return
	}
	doc, err := feed.Parse(resp.Body, base, feed.Options{})
	<-f.parse
	if err != nil {
		p.fail("parse", fmt.Errorf("%s: %w", resp.URL, err), 0)
		return
	}
	resp.Body = nil

	// Oldest first: feeds list the newest first.
	current := make(map[string]bool, len(doc.Items))
	var fresh []*feed.Item
	for i := len(doc.Items) - 1; i >= 0; i-- {
		it := &doc.Items[i]
		h := state.Hash(it.Key())
		if current[h] {
			continue // the same item twice in one document
		}
		current[h] = true
		if !p.st.Has(h) {
			fresh = append(fresh, it)
		}
	}
	p.res.New = len(fresh)
	if f.m != nil {
		f.m.newItems.WithLabelValues(s.Name).Add(float64(len(fresh)))
	}
	if len(fresh) > f.cfg.MaxItems {
		p.res.Pending += len(fresh) - f.cfg.MaxItems
		fresh = fresh[:f.cfg.MaxItems]
		p.more = true
	}
	deadline := p.now.Add(f.cfg.PollBudget)
	for i, it := range fresh {
		if ctx.Err() != nil {
			p.res.Pending++
			continue
		}
		if i > 0 && f.cfg.Now().After(deadline) { // at least one item per poll, so every poll makes progress
			p.res.Pending++
			p.more = true
			continue
		}
		p.item(ctx, it)
		if len(p.raw)+len(p.dlq) >= flushMessages || p.rawBytes >= flushBytes {
			if err := p.flush(); err != nil {
				p.fail("publish", err, 0)
				return
			}
		}
	}
	if err := p.flush(); err != nil {
		p.fail("publish", err, 0)
		return
	}
	p.st.Prune(current, p.now, f.cfg.SeenKeep, f.cfg.MaxSeen)
	if p.res.Pending == 0 {
		p.st.ETag, p.st.LastModified = resp.ETag, resp.LastModified
	} else {
		// Items wait: the next poll must get the whole document again,
		// even if it did not change.
		p.st.ETag, p.st.LastModified = "", ""
	}
	p.succeed("ok")
}

// item turns one new feed item into an article (or a dead letter, or a
// pending item when its page failed transiently).
func (p *poll) item(ctx context.Context, it *feed.Item) {
	s := p.src
	h := state.Hash(it.Key())
	feedText := page.Text(it.Content)
	if feedText == "" {
		feedText = page.Text(it.Summary)
	}
	wantPage := it.Link != "" && (s.FullText == sources.FullTextYes || (s.FullText == sources.FullTextAuto && page.Text(it.Content) == ""))
	var pg *page.Page
	pageURL, pageNote := "", ""
	if wantPage {
		var retry bool
		pg, pageURL, pageNote, retry = p.page(ctx, it, h)
		if retry {
			p.res.Pending++
			return
		}
	}
	a := event.Submission{ID: s.Name + ":" + h, Source: s.Name, Title: page.Text(it.Title), Text: feedText}
	a.URL = it.Link
	if pageURL != "" {
		a.URL = pageURL
	}
	if pg != nil {
		if pg.Canonical != "" {
			a.URL = pg.Canonical
		}
		if pg.Text != "" {
			a.Text = pg.Text
		}
		if a.Title == "" {
			a.Title = pg.Title
		}
	}
	// The sources file's language, else the page's, else the entry's own
	// xml:lang; not the feed's: feeds mix languages, and without a lang the
	// tagger reads the script of the text itself.
	a.Lang = s.Lang
	if a.Lang == "" && pg != nil {
		a.Lang = pg.Lang
	}
	if a.Lang == "" {
		a.Lang = page.NormalizeLang(it.Lang)
	}
	setDate(&a, it, pg, p.now)
	a.Title = cutRunes(a.Title, 2000)
	if utf8.RuneCountInString(a.URL) > 2048 {
		a.URL = it.Link
	}
	if a.Text == "" {
		reason := "no text: the item has no summary or content"
		if pageNote != "" {
			reason += ", and its page gave none (" + pageNote + ")"
		} else if it.Link == "" {
			reason += " and no link"
		}
		p.deadLetter(it, h, a, errors.New(reason))
		return
	}
	p.admit(it, h, a)
}

// page fetches and extracts an item's page. retry is true when it failed
// transiently and the item should wait for the next poll; otherwise a
// failure leaves pg nil (or without text) and note says why.
func (p *poll) page(ctx context.Context, it *feed.Item, h string) (pg *page.Page, pageURL, note string, retry bool) {
	f, s := p.f, p.src
	resp, err := f.cfg.Fetcher.Get(ctx, fetch.Request{URL: it.Link, MaxBytes: f.cfg.MaxPageBytes, Accept: "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"})
	if err != nil {
		if ctx.Err() != nil { // shutting down: the item waits, no attempt counted
			return nil, "", "", true
		}
		var fe *fetch.Error
		if errors.As(err, &fe) && fe.Kind == fetch.KindPaused { // not asked: the host is rate-limiting us; no attempt spent
			f.pageResult(s.Name, "paused")
			return nil, "", "", true
		}
		if errors.As(err, &fe) && fe.Transient() && p.st.Attempts[h]+1 < f.cfg.PageAttempts {
			if p.st.Attempts == nil {
				p.st.Attempts = map[string]int{}
			}
			p.st.Attempts[h]++
			f.pageResult(s.Name, "retry")
			f.log.Info("page failed, retrying in the next poll", "source", s.Name, "url", it.Link, "attempt", p.st.Attempts[h], "err", err)
			return nil, "", "", true
		}
		f.pageResult(s.Name, "fallback")
		f.log.Warn("page unavailable, using the feed's text", "source", s.Name, "url", it.Link, "err", err)
		return nil, "", err.Error(), false
	}
	if resp.Status == 304 { // a 304 to an unconditional GET: nothing to read
		f.pageResult(s.Name, "fallback")
		return nil, resp.URL, "HTTP 304 without a body", false
	}
	if mt, _, _ := mime.ParseMediaType(resp.ContentType); resp.ContentType != "" && mt != "text/html" && mt != "application/xhtml+xml" {
		f.pageResult(s.Name, "fallback")
		return nil, resp.URL, "not an HTML page: " + mt, false
	}
	u, _ := url.Parse(resp.URL)
	if !f.parsing(ctx) { // shutting down: the item waits
		return nil, "", "", true
	}
	pg, err = page.Extract(resp.Body, resp.ContentType, u)
	<-f.parse
	if err != nil {
		f.pageResult(s.Name, "fallback")
		f.log.Warn("no article text in the page, using the feed's text", "source", s.Name, "url", resp.URL, "err", err)
		return pg, resp.URL, err.Error(), false
	}
	f.pageResult(s.Name, "ok")
	return pg, resp.URL, "", false
}

// parsing takes one of the MaxParsing slots (the caller frees it with
// <-f.parse); false when ctx ended first.
func (f *Follower) parsing(ctx context.Context) bool {
	select {
	case f.parse <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (f *Follower) pageResult(source, result string) {
	if f.m != nil {
		f.m.pages.WithLabelValues(source, result).Inc()
	}
}

// setDate takes the first date the admission rule accepts, in order: the
// feed item's publication date, the page's, the item's update date. None:
// published_at is left out (the receipt time counts) and
// published_at_source says "none". Never the fetch time as a date.
func setDate(a *event.Submission, it *feed.Item, pg *page.Page, now time.Time) {
	type cand struct {
		t   time.Time
		src string
	}
	cands := []cand{{it.Published, event.PublishedAtFromFeed}}
	if pg != nil {
		cands = append(cands, cand{pg.Published, event.PublishedAtFromPage})
	}
	cands = append(cands, cand{it.Updated, event.PublishedAtFromFeed})
	for _, c := range cands {
		if !c.t.IsZero() && event.CheckPublishedAt(c.t, now) == nil {
			a.PublishedAt, a.PublishedAtSource = c.t.UTC().Format(time.RFC3339Nano), c.src
			return
		}
	}
	a.PublishedAt, a.PublishedAtSource = "", event.PublishedAtNone
}

// admit applies the admission rule and queues the record, cutting a text
// too long for the 500,000-byte article record to fit it.
func (p *poll) admit(it *feed.Item, h string, c event.Submission) {
	data, _ := json.Marshal(c)
	a, err := event.DecodeArticle(data, event.DecodeOptions{Now: p.now})
	if err != nil {
		p.deadLetter(it, h, c, err)
		return
	}
	if a.PublishedAtSource == event.PublishedAtNone {
		p.undated++
	}
	rec, err := event.EncodeArticle(&a, p.now, event.MaxArticleBytes)
	for tries := 0; errors.Is(err, event.ErrTooLarge) && tries < 8; tries++ {
		var se *event.SizeError
		errors.As(err, &se)
		// Every byte cut from the text takes at least one byte (more when
		// JSON escapes it) off the record: cutting the excess fits it.
		a.Text = cutBytes(a.Text, len(a.Text)-(se.Size-se.Limit))
		rec, err = event.EncodeArticle(&a, p.now, event.MaxArticleBytes)
		if err == nil {
			p.cut++
			p.f.log.Warn("article text cut to fit the record limit", "source", p.src.Name, "url", a.URL, "bytes", len(a.Text))
		}
	}
	if err != nil {
		p.deadLetter(it, h, c, err)
		return
	}
	p.raw = append(p.raw, kafka.Message{Key: rec.Key, Value: rec.Value})
	p.rawBytes += len(rec.Value)
	p.marks = append(p.marks, h)
}

// deadLetter queues the item for articles.dlq.v1: the article as built (or
// as much as fits), the reason, stage "follow", and the feed and item URLs.
func (p *poll) deadLetter(it *feed.Item, h string, c event.Submission, reason error) {
	data, _ := json.Marshal(c)
	key := event.ArticleID(c.URL, c.Text)
	m := kafkax.DeadLetter(kafka.Message{Key: []byte(key), Value: data, Offset: -1}, "follow", reason)
	m.Headers = append(m.Headers, kafka.Header{Key: "source_feed", Value: []byte(p.src.URL)}, kafka.Header{Key: "source_item", Value: []byte(cutRunes(it.Key(), 2048))})
	p.dlq = append(p.dlq, m)
	p.marks = append(p.marks, h)
	p.f.log.Warn("item dead-lettered", "source", p.src.Name, "item", cutRunes(it.Key(), 200), "reason", reason.Error())
}

// flush publishes what is queued and, once Kafka acknowledged it, records
// the items as seen in the state file.
func (p *poll) flush() error {
	if len(p.raw) == 0 && len(p.dlq) == 0 {
		return nil
	}
	f := p.f
	ctx, cancel := context.WithTimeout(context.Background(), f.cfg.PublishTimeout) // not cut short by shutdown: the batch is small
	defer cancel()
	if len(p.raw) > 0 {
		if err := f.cfg.Raw.WriteMessages(ctx, p.raw...); err != nil {
			return fmt.Errorf("publish %d articles: %w", len(p.raw), err)
		}
	}
	if len(p.dlq) > 0 {
		if err := f.cfg.DLQ.WriteMessages(ctx, p.dlq...); err != nil {
			return fmt.Errorf("publish %d dead letters: %w", len(p.dlq), err)
		}
	}
	for _, h := range p.marks {
		p.st.Mark(h, p.now)
	}
	p.res.Published += len(p.raw)
	p.res.DeadLetters += len(p.dlq)
	if f.m != nil {
		f.m.published.WithLabelValues(p.src.Name).Add(float64(len(p.raw)))
		f.m.deadLetters.WithLabelValues(p.src.Name).Add(float64(len(p.dlq)))
		f.m.undated.WithLabelValues(p.src.Name).Add(float64(p.undated))
		f.m.cut.WithLabelValues(p.src.Name).Add(float64(p.cut))
	}
	p.raw, p.dlq, p.marks, p.rawBytes, p.undated, p.cut = p.raw[:0], p.dlq[:0], p.marks[:0], 0, 0, 0
	// Progress survives a crash from here on.
	if err := f.cfg.Store.Put(p.src.URL, p.st); err != nil {
		f.log.Error("state not written: published items may be published again after a restart", "source", p.src.Name, "err", err)
	}
	return nil
}

func (p *poll) succeed(status string) {
	f := p.f
	p.res.Status = status
	p.st.Failures, p.st.LastError = 0, ""
	p.st.LastPoll, p.st.LastSuccess = p.now, p.now
	p.res.Next = p.now.Add(jitter(p.src.Interval))
	if p.more {
		p.res.Next = p.now // more items than one poll handles: go on at once (the host gate paces it)
	}
	p.st.NextPoll = p.res.Next
	if f.m != nil {
		f.m.fetches.WithLabelValues(p.src.Name, status).Inc()
		f.m.lastSuccess.WithLabelValues(p.src.Name).Set(float64(p.now.Unix()))
	}
	p.save()
}

func (p *poll) fail(kind string, err error, retryAfter time.Duration) {
	f := p.f
	p.res.Status, p.res.Err = "error", err
	p.st.Failures++
	p.st.LastPoll, p.st.LastError = p.now, cutRunes(err.Error(), 1000)
	p.res.Next = p.now.Add(max(backoff(p.src.Interval, p.st.Failures, f.cfg.MaxBackoff), retryAfter))
	p.st.NextPoll = p.res.Next
	if f.m != nil {
		f.m.fetches.WithLabelValues(p.src.Name, "error").Inc()
		f.m.errors.WithLabelValues(p.src.Name, kind).Inc()
	}
	f.log.Warn("poll failed", "source", p.src.Name, "kind", kind, "failures", p.st.Failures, "next_poll", p.res.Next.Format(time.RFC3339), "err", err)
	p.save()
}

func (p *poll) save() {
	if err := p.f.cfg.Store.Put(p.src.URL, p.st); err != nil {
		p.f.log.Error("state not written", "source", p.src.Name, "err", err)
		if p.f.m != nil {
			p.f.m.errors.WithLabelValues(p.src.Name, "state").Inc()
		}
	}
}

// backoff is the wait after the n-th failed poll in a row: the interval,
// doubled with every further failure, at most max (but never less than
// the interval).
func backoff(interval time.Duration, n int, maxWait time.Duration) time.Duration {
	d := interval
	for i := 1; i < n && d < maxWait; i++ {
		d *= 2
	}
	return max(min(d, maxWait), interval)
}

// jitter spreads polls by up to +5 %, so feeds started together drift apart.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration(rand.Int64N(int64(d)/20+1))
}

func kindOf(err error) string {
	var fe *fetch.Error
	if errors.As(err, &fe) {
		return string(fe.Kind)
	}
	return "network"
}

func retryAfter(err error) time.Duration {
	var fe *fetch.Error
	if errors.As(err, &fe) {
		return fe.RetryAfter
	}
	return 0
}

func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// cutBytes cuts s to at most n bytes at a character boundary.
func cutBytes(s string, n int) string {
	if n >= len(s) {
		return s
	}
	n = max(n, 0)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimSpace(s[:n])
}

// sourceStatus is what /v1/sources shows beyond the state file: the last
// poll's outcome and counts since the process started.
type sourceStatus struct {
	LastStatus  string
	Fetched     int64
	NotModified int64
	Errors      int64
	New         int64
	Published   int64
	DeadLetters int64
	Pending     int
}

func (f *Follower) record(s sources.Source, p *poll) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.status[s.Name]
	if st == nil {
		st = &sourceStatus{}
		f.status[s.Name] = st
	}
	st.LastStatus = p.res.Status
	switch p.res.Status {
	case "ok":
		st.Fetched++
	case "not_modified":
		st.Fetched++
		st.NotModified++
	default:
		st.Errors++
	}
	st.New += int64(p.res.New)
	st.Published += int64(p.res.Published)
	st.DeadLetters += int64(p.res.DeadLetters)
	st.Pending = p.res.Pending
}
