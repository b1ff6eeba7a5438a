// Package api is ingest's HTTP surface: POST /v1/articles validates a JSON
// article or an NDJSON batch, assigns each article its stable id and the
// receive time, and publishes the whole request to Kafka in one write,
// answering only after Kafka acknowledged. A request is all-or-nothing: one
// invalid article and nothing is published.
package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/kafkax"
)

// Writer is the part of *kafka.Writer the API needs: a synchronous write of
// a batch that returns once every message is acknowledged, or an error.
type Writer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Config configures the handler. Zero values take the defaults noted.
type Config struct {
	// Tokens are the accepted bearer tokens; none means no authentication
	// (only with -insecure-no-auth).
	Tokens []string
	// MaxBody is the largest request body in bytes (default 8 MiB).
	MaxBody int64
	// MaxBatch is the most articles in one request (default 5000).
	MaxBatch int
	// MaxMessageBytes is the largest article record published (key, value
	// and record overhead), at most and by default event.MaxArticleBytes
	// (500,000): the enriched record carries the text again plus its tags.
	MaxMessageBytes int
	// PublishTimeout bounds the wait for Kafka's acknowledgement (default
	// 10 s). The write is not cut short when the client disconnects.
	PublishTimeout time.Duration
	// Now stamps received_at (default time.Now).
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics *Metrics
}

// Options is the former name of Config.
//
// Deprecated: use Config (every service calls its settings Config); kept
// for one release.
type Options = Config

// Handler serves POST /v1/articles.
type Handler struct {
	w      Writer
	opts   Config
	tokens tokens
	log    *slog.Logger
	m      *Metrics
}

// New returns the handler publishing through w.
func New(w Writer, opts Config) *Handler {
	if opts.MaxBody <= 0 {
		opts.MaxBody = 8 << 20
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 5000
	}
	if opts.MaxMessageBytes <= 0 || opts.MaxMessageBytes > event.MaxArticleBytes {
		opts.MaxMessageBytes = event.MaxArticleBytes
	}
	if opts.PublishTimeout <= 0 {
		opts.PublishTimeout = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nopRegisterer{})
	}
	return &Handler{w: w, opts: opts, tokens: newTokens(opts.Tokens), log: opts.Logger, m: opts.Metrics}
}

// Mount adds the API routes to mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle("/v1/articles", h)
}

// Accepted is the 202 answer.
type Accepted struct {
	Accepted int           `json:"accepted"`
	Articles []AcceptedRef `json:"articles"`
}

// AcceptedRef pairs the sender's id (or "") with the assigned article_id.
type AcceptedRef struct {
	ID        string `json:"id"`
	ArticleID string `json:"article_id"`
}

// ServeHTTP handles one request and counts it by status code.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res, apiErr := h.handle(w, r)
	if apiErr != nil {
		if apiErr.status >= 500 {
			h.log.Warn("request failed", "status", apiErr.status, "code", apiErr.code, "msg", apiErr.message)
		}
		if apiErr.drain {
			// Read the rest of the body after the answer, not before.
			_ = http.NewResponseController(w).EnableFullDuplex()
		}
		writeError(w, apiErr)
		if apiErr.drain {
			drainBody(w, r)
		}
		h.m.requests.WithLabelValues(strconv.Itoa(apiErr.status)).Inc()
		return
	}
	writeJSON(w, http.StatusAccepted, res)
	h.m.requests.WithLabelValues(strconv.Itoa(http.StatusAccepted)).Inc()
}

func (h *Handler) handle(w http.ResponseWriter, r *http.Request) (*Accepted, *apiError) {
	if r.Method != http.MethodPost {
		return nil, errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "%s is not allowed; use POST", r.Method)
	}
	if e := h.tokens.check(r); e != nil {
		return nil, e
	}
	ndjson, e := mediaType(r.Header.Get("Content-Type"))
	if e != nil {
		return nil, e
	}
	body, e := h.readBody(w, r)
	if e != nil {
		return nil, e
	}
	lines, e := h.split(body, ndjson)
	if e != nil {
		return nil, e
	}
	// One receipt time for the request: the date window is checked against
	// the received_at the articles are stamped with.
	now := h.opts.Now().UTC()
	articles, e := h.decode(lines, now)
	if e != nil {
		return nil, e
	}
	return h.publish(r.Context(), articles, lines, now)
}

// mediaType accepts application/json (one article) and
// application/x-ndjson (a batch, one article per line), in UTF-8: a charset
// parameter other than utf-8 is refused rather than read as UTF-8 (the
// bytes would be silently misread); senders transcode.
func mediaType(ct string) (ndjson bool, _ *apiError) {
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || mt == "application/x-ndjson") {
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
			return false, errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMedia,
				"charset %q is not supported: send UTF-8 (charset=utf-8, or no charset)", cs)
		}
		return mt == "application/x-ndjson", nil
	}
	if ct == "" {
		ct = "none"
	}
	return false, errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMedia,
		"Content-Type %s is not supported: send application/json (one article) or application/x-ndjson (one article per line)", ct)
}

func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	if r.ContentLength > h.opts.MaxBody {
		h.m.bodyBytes.Observe(float64(r.ContentLength))
		e := errorf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the body is %d bytes; the limit is %d bytes", r.ContentLength, h.opts.MaxBody)
		// A client waiting for "100 Continue" has sent nothing: it reads the
		// 413 and never sends the body. Any other gets its body drained.
		e.drain = r.ContentLength <= maxDrain && !strings.EqualFold(r.Header.Get("Expect"), "100-continue")
		return nil, e
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + 1)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.opts.MaxBody))
	h.m.bodyBytes.Observe(float64(buf.Len()))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		e := errorf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the body exceeds the limit of %d bytes", mbe.Limit)
		e.drain = true
		return nil, e
	case err != nil:
		return nil, errorf(http.StatusBadRequest, CodeInvalidArticle, "reading the body: %v", err)
	}
	return buf.Bytes(), nil
}

// Bounds of drainBody: an oversize body of up to maxDrain bytes is read and
// discarded within drainTimeout; beyond either the connection is closed.
const (
	maxDrain     = 64 << 20
	drainTimeout = 10 * time.Second
)

// drainBody reads and discards what is left of an oversize body once the
// 413 is on its way. Most clients (Go's, curl without Expect) send the whole
// body before they read the answer: closing the connection under them
// turns the 413 into a reset or a broken pipe, so the server keeps reading
// until they are done, within bounds.
func drainBody(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	_ = rc.SetReadDeadline(time.Now().Add(drainTimeout))
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxDrain))
}

// line is one article's bytes and its 1-based line number.
type line struct {
	n    int
	data []byte
}

// split cuts an NDJSON body into its non-blank lines (a single JSON body is
// line 1) and enforces the batch limit before any article is decoded.
func (h *Handler) split(body []byte, ndjson bool) ([]line, *apiError) {
	if !ndjson {
		return []line{{n: 1, data: body}}, nil
	}
	var lines []line
	for n, rest := 1, body; len(rest) > 0; n++ {
		l, after, _ := bytes.Cut(rest, []byte{'\n'})
		rest = after
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		if len(lines) == h.opts.MaxBatch {
			return nil, errorf(http.StatusRequestEntityTooLarge, CodeBatchTooLarge, "the batch has more than %d articles", h.opts.MaxBatch)
		}
		lines = append(lines, line{n: n, data: l})
	}
	if len(lines) == 0 {
		return nil, &apiError{status: http.StatusBadRequest, code: CodeInvalidArticle, message: "the batch has no articles",
			details: []Detail{{Line: 1, Reason: "empty body: expected one JSON object per line"}}}
	}
	return lines, nil
}

// maxDetails caps the per-article details of a 400 answer.
const maxDetails = 100

// decode validates every line, in parallel for large batches. All or
// nothing: any invalid article fails the request with the details of all.
func (h *Handler) decode(lines []line, now time.Time) ([]event.Article, *apiError) {
	articles := make([]event.Article, len(lines))
	errs := make([]error, len(lines))
	decodeRange := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			articles[i], errs[i] = event.DecodeArticle(lines[i].data, event.DecodeOptions{Now: now})
		}
	}
	const chunk = 256
	if workers := min(runtime.GOMAXPROCS(0), (len(lines)+chunk-1)/chunk); workers > 1 {
		var wg sync.WaitGroup
		per := (len(lines) + workers - 1) / workers
		for lo := 0; lo < len(lines); lo += per {
			wg.Go(func() { decodeRange(lo, min(lo+per, len(lines))) })
		}
		wg.Wait()
	} else {
		decodeRange(0, len(lines))
	}

	invalid := 0
	var details []Detail
	for i, err := range errs {
		if err == nil {
			continue
		}
		invalid++
		var ve *event.ValidationError
		if !errors.As(err, &ve) {
			ve = &event.ValidationError{Problems: []event.Problem{{Reason: err.Error()}}}
		}
		for _, p := range ve.Problems {
			if len(details) < maxDetails {
				details = append(details, Detail{Line: lines[i].n, Field: p.Field, Reason: p.Reason})
			}
		}
	}
	if invalid == 0 {
		return articles, nil
	}
	h.m.rejected.WithLabelValues("invalid").Add(float64(invalid))
	h.m.rejected.WithLabelValues("batch").Add(float64(len(lines) - invalid))
	msg := strconv.Itoa(invalid) + " of " + strconv.Itoa(len(lines)) + " articles are invalid; nothing was accepted"
	if len(lines) == 1 {
		msg = "the article is invalid: " + details[0].Field + ": " + details[0].Reason
		if details[0].Field == "" {
			msg = "the article is invalid: " + details[0].Reason
		}
	}
	return nil, &apiError{status: http.StatusBadRequest, code: CodeInvalidArticle, message: msg, details: details}
}

// publish stamps the articles and writes them in one WriteMessages call,
// keyed by article_id, so a batch costs one round of produce requests.
// Each article must pass the size rule (event.EncodeArticle): its record
// may take half the record limit, the rest is its tags' room downstream.
func (h *Handler) publish(ctx context.Context, articles []event.Article, lines []line, now time.Time) (*Accepted, *apiError) {
	msgs := make([]kafka.Message, len(articles))
	res := &Accepted{Accepted: len(articles), Articles: make([]AcceptedRef, len(articles))}
	for i := range articles {
		a := &articles[i]
		rec, err := event.EncodeArticle(a, now, h.opts.MaxMessageBytes)
		if err != nil {
			h.m.rejected.WithLabelValues("too_large").Add(float64(len(articles)))
			return nil, &apiError{status: http.StatusRequestEntityTooLarge, code: CodeArticleTooLarge,
				message: "an article is too large; nothing was accepted",
				details: []Detail{{Line: lines[i].n, Reason: err.Error() + " (key, value and record overhead; the rest of the 1,000,000-byte record is kept for its tags)"}}}
		}
		msgs[i] = kafka.Message{Key: rec.Key, Value: rec.Value}
		res.Articles[i] = AcceptedRef{ID: a.ID, ArticleID: a.ArticleID}
	}

	// A client that hangs up does not cut the write short: half-published
	// batches are harmless (ids are stable) but wasteful.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opts.PublishTimeout)
	defer cancel()
	start := time.Now()
	err := writeRetrying(wctx, h.w, msgs)
	h.m.publishSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		e := publishError(err, h.opts.MaxMessageBytes)
		reason := "unavailable"
		if e.status == http.StatusRequestEntityTooLarge {
			reason = "too_large"
		}
		acked := unacknowledged(e, err, lines)
		h.m.accepted.Add(float64(acked))
		h.m.rejected.WithLabelValues(reason).Add(float64(len(articles) - acked))
		h.log.Warn("publish failed", "articles", len(articles), "acknowledged", acked, "err", kafkax.Summary(err))
		return nil, e
	}
	h.m.accepted.Add(float64(len(articles)))
	return res, nil
}

// writeRetrying writes msgs and, while ctx allows, writes again the
// messages Kafka refused with a retriable error (a partition without a
// leader yet, a leader that moved: kafka-go's own retries come too fast for
// its metadata to change). Acknowledged messages are not sent again. The
// error, if any, is a kafka.WriteErrors aligned with msgs when Kafka
// answered per message, so the caller can say which were acknowledged.
func writeRetrying(ctx context.Context, w Writer, msgs []kafka.Message) error {
	pending := make([]int, len(msgs)) // indexes into msgs not acknowledged yet
	for i := range pending {
		pending[i] = i
	}
	failed := make(kafka.WriteErrors, len(msgs))
	for pause := 250 * time.Millisecond; ; pause = min(2*pause, 2*time.Second) {
		batch := make([]kafka.Message, len(pending))
		for j, i := range pending {
			batch[j] = msgs[i]
		}
		err := w.WriteMessages(ctx, batch...)
		if err == nil {
			return nil
		}
		var we kafka.WriteErrors
		retriable := true
		next := pending[:0:0]
		if errors.As(err, &we) && len(we) == len(pending) {
			for j, i := range pending {
				failed[i] = we[j]
				if we[j] != nil {
					next = append(next, i)
					retriable = retriable && isRetriable(we[j])
				}
			}
		} else {
			next, retriable = pending, isRetriable(err)
			for _, i := range pending {
				failed[i] = err
			}
		}
		if !retriable || ctx.Err() != nil {
			if len(next) == len(msgs) && !errors.As(err, &we) {
				return err
			}
			return failed
		}
		pending = next
		select {
		case <-ctx.Done():
			return failed
		case <-time.After(pause):
		}
	}
}

// isRetriable reports whether Kafka refused a write for a reason that
// passes (leadership moving, a topic still being created).
func isRetriable(err error) bool {
	var ke kafka.Error
	return errors.As(err, &ke) && ke.Temporary()
}

// nopRegisterer lets tests build a handler without a registry.
type nopRegisterer struct{}

func (nopRegisterer) Register(prometheus.Collector) error  { return nil }
func (nopRegisterer) MustRegister(...prometheus.Collector) {}
func (nopRegisterer) Unregister(prometheus.Collector) bool { return true }
