// Package api is the query service's HTTP API: the tension index per pair
// and bucket, its drivers, stored articles and the pairs present, as JSON
// (default) or CSV. Every parameter is validated here before anything
// reaches the store, and every error leaves through writeError as one JSON
// envelope.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/httpapi"
	"github.com/tension-dev/tension/pkg/tension"

	"github.com/tension-dev/tension/services/query/internal/annotations"
	"github.com/tension-dev/tension/services/query/internal/store"
	"github.com/tension-dev/tension/services/query/internal/web"
)

// Store is what the API reads; *store.Store implements it.
type Store interface {
	Index(ctx context.Context, q store.IndexQuery) ([]store.Bucket, error)
	Base(ctx context.Context, q store.BaseQuery) (escalating, articles int64, err error)
	Drivers(ctx context.Context, q store.DriversQuery) ([]store.Driver, error)
	Article(ctx context.Context, id uuid.UUID) (*store.Article, error)
	Pairs(ctx context.Context, taggerVersion string) ([]store.PairSummary, error)
	TopEntities(ctx context.Context, q store.TopQuery) ([]store.EntityCount, error)
	TopCues(ctx context.Context, q store.TopQuery) ([]store.CueCount, error)
	ArticlesIn(ctx context.Context, from, to time.Time) (int64, error)
	Ping(ctx context.Context) error
}

// Config holds the API's dependencies and limits. Zero values take the
// defaults named on each field.
type Config struct {
	Logger       *slog.Logger         // default: discard
	Registry     *prometheus.Registry // metrics are registered here and served at /metrics; default: a new one
	Ranges       Ranges               // default DefaultRanges
	QueryTimeout time.Duration        // per request; default 30s
	ReadyTTL     time.Duration        // how long a /readyz ping result is reused; default 2s
	Now          func() time.Time     // default time.Now
	// Tokens are the read tokens: when any is set, /v1/* and /metrics
	// need "Authorization: Bearer <token>". main requires them when the
	// service listens beyond loopback. Default: none (open).
	Tokens []string
	// Unavailable, when set, returns a channel that is closed while
	// ClickHouse is seen stalled or down (main: the readiness check). A
	// /v1 request then fails with 503 at once, and one in flight is
	// cancelled, instead of waiting out QueryTimeout.
	Unavailable func() <-chan struct{}
	// MaxTopArticles bounds the articles a ranked list (/v1/entities/top,
	// /v1/cues/top) may read from the raw tables (the partial days at the
	// edges of a range, or all of it with lang=; whole days come from the
	// rollups),
	// and ClickHouse 18.16 cannot stop such a query once it runs (it ignores
	// max_execution_time and KILL QUERY while it builds the IN set), so a
	// wider range is refused with 400 before it starts. Default
	// DefaultMaxTopArticles.
	MaxTopArticles int64
	// Annotations are the dated events /v1/annotations serves. Default:
	// the project's milestones (annotations.Load("")).
	Annotations *annotations.Set
}

// DefaultMaxTopArticles: about 1 s of ClickHouse CPU for a ranked list on
// this project's 2-core machine (docs/query-api.md "Measured speed").
const DefaultMaxTopArticles = 500_000

// API is the http.Handler of the query service.
type API struct {
	store   Store
	log     *slog.Logger
	ranges  Ranges
	maxTop  int64
	timeout time.Duration
	now     func() time.Time
	metrics *metrics
	mux     *http.ServeMux
	tokens  *httpapi.Tokens
	routes  []string
	down    func() <-chan struct{}
	events  *annotations.Set

	draining atomic.Bool
	readyTTL time.Duration
	readyMu  sync.Mutex
	readyAt  time.Time
	readyErr error
}

// New returns the API over s.
func New(s Store, cfg Config) *API {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Ranges == (Ranges{}) {
		cfg.Ranges = DefaultRanges
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = 30 * time.Second
	}
	if cfg.MaxTopArticles <= 0 {
		cfg.MaxTopArticles = DefaultMaxTopArticles
	}
	if cfg.ReadyTTL <= 0 {
		cfg.ReadyTTL = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &API{store: s, log: cfg.Logger, ranges: cfg.Ranges, maxTop: cfg.MaxTopArticles, timeout: cfg.QueryTimeout, now: cfg.Now,
		metrics: newMetrics(cfg.Registry), mux: http.NewServeMux(), readyTTL: cfg.ReadyTTL}
	a.tokens, a.down = httpapi.NewTokens(cfg.Tokens), cfg.Unavailable
	if a.events = cfg.Annotations; a.events == nil {
		a.events = projectAnnotations(cfg)
	}
	a.route("/v1/index", a.index)
	a.route("/v1/drivers", a.drivers)
	a.route("/v1/entities/top", a.entitiesTop)
	a.route("/v1/cues/top", a.cuesTop)
	a.route("/v1/articles/{id}", a.article)
	a.route("/v1/pairs", a.pairs)
	a.route("/v1/annotations", a.annotations)
	a.route("/v1/leadlag", a.leadlag)
	a.route("/healthz", a.healthz)
	a.route("/readyz", a.readyz)
	metricsHandler := promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{Registry: cfg.Registry})
	a.route("/metrics", func(w http.ResponseWriter, r *http.Request) error {
		metricsHandler.ServeHTTP(w, r)
		return nil
	})
	// The dashboard: public (it is code, not data; its API calls carry the
	// token), GET and HEAD only like everything else.
	a.route("/{$}", func(w http.ResponseWriter, r *http.Request) error { web.Index().ServeHTTP(w, r); return nil })
	assets := web.Assets()
	a.route("/assets/", func(w http.ResponseWriter, r *http.Request) error { assets.ServeHTTP(w, r); return nil })
	a.route("/", func(http.ResponseWriter, *http.Request) error {
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no such endpoint; see / (dashboard), /v1/index, /v1/drivers, /v1/entities/top, /v1/cues/top, /v1/articles/{id}, /v1/pairs, /v1/annotations, /v1/leadlag"}
	})
	return a
}

// Routes lists the route patterns served, in registration order, for the
// OpenAPI test.
func (a *API) Routes() []string { return append([]string(nil), a.routes...) }

// needsToken reports whether pattern serves data: /v1/* and /metrics.
func needsToken(pattern string) bool {
	return strings.HasPrefix(pattern, "/v1/") || pattern == "/metrics"
}

// authorized checks the bearer token (httpapi: one token rule and one
// constant-time check for every service).
func (a *API) authorized(r *http.Request) error {
	if e := a.tokens.Check(r); e != nil {
		return &Error{Status: e.Status, Code: e.Code, Message: e.Message}
	}
	return nil
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Drain turns /readyz to 503 so load balancers stop sending work before
// the server shuts down.
func (a *API) Drain() { a.draining.Store(true) }

// handlerFunc answers a request or returns the error writeError answers.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route registers h for GET and HEAD on pattern, with metrics labelled by
// the pattern, the request timeout and the error envelope.
func (a *API) route(pattern string, h handlerFunc) {
	a.routes = append(a.routes, pattern)
	auth := needsToken(pattern)
	readsStore := strings.HasPrefix(pattern, "/v1/")
	a.mux.Handle(pattern, a.metrics.instrument(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, r, a.log, &Error{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
				Message: r.Method + " is not allowed; use GET"})
			return
		}
		if auth {
			if err := a.authorized(r); err != nil {
				writeError(w, r, a.log, err) // with WWW-Authenticate
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
		defer cancel()
		if readsStore && a.down != nil {
			var stop func()
			if ctx, stop = a.watchStore(ctx); stop == nil {
				writeError(w, r, a.log, fmt.Errorf("%w: the readiness check fails", chstore.ErrUnavailable))
				return
			}
			defer stop()
		}
		if err := h(w, r.WithContext(ctx)); err != nil {
			if errors.Is(context.Cause(ctx), chstore.ErrUnavailable) {
				err = fmt.Errorf("%w: stalled during the request: %w", chstore.ErrUnavailable, err)
			}
			writeError(w, r, a.log, err)
		}
	})))
}

// watchStore returns ctx cancelled with chstore.ErrUnavailable as soon as
// ClickHouse is seen stalled, and the function that stops watching; a nil
// stop means it is down already.
func (a *API) watchStore(ctx context.Context) (context.Context, func()) {
	down := a.down()
	select {
	case <-down:
		return ctx, nil
	default:
	}
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		select {
		case <-down:
			cancel(chstore.ErrUnavailable)
		case <-done:
		}
	}()
	return ctx, func() { close(done); cancel(nil) }
}

func (a *API) index(w http.ResponseWriter, r *http.Request) error {
	req, err := ParseIndex(r.URL.RawQuery, a.now(), a.ranges)
	if err != nil {
		return err
	}
	buckets, err := a.store.Index(r.Context(), store.IndexQuery{
		Pair: req.Pair, Granularity: req.Interval.rows(), ByMonth: req.Interval == Month,
		TaggerVersion: req.TaggerVersion, From: req.readFrom(req.Interval, req.From), To: req.To,
		Cell: req.Filter.store(),
	})
	if err != nil {
		return err
	}
	var esc, all int64
	if req.BaseFrom.Equal(req.From) && req.BaseTo.Equal(req.To) {
		// The default base is the requested range: sum the buckets in hand
		// (not those read before it for a window).
		for _, b := range buckets {
			if !b.Start.Before(req.From) {
				esc += b.Parts.Escalating
				all += b.Parts.Articles
			}
		}
	} else if esc, all, err = a.store.Base(r.Context(), store.BaseQuery{
		Pair: req.Pair, Granularity: req.BaseRows, TaggerVersion: req.TaggerVersion,
		From: req.BaseFrom, To: req.BaseTo, Cell: req.Filter.store(),
	}); err != nil {
		return err
	}
	baseShare := tension.TensionShare(esc, all)
	series := req.series(req.Interval, req.From, req.To, buckets)
	resp := IndexResponse{Pair: req.Pair, Interval: req.Interval, From: req.From, To: req.To,
		TaggerVersion: req.TaggerVersion, Window: req.windowText(), Filter: filterOrNil(req.Filter), Base: Base{From: req.BaseFrom, To: req.BaseTo, Share: baseShare},
		Buckets: make([]IndexBucket, len(series)), filled: req.Fill}
	for i, b := range series {
		resp.Buckets[i] = newIndexBucket(b, baseShare)
	}
	return write(w, req.Format, resp)
}

func (a *API) drivers(w http.ResponseWriter, r *http.Request) error {
	req, err := ParseDrivers(r.URL.RawQuery, a.now(), a.ranges)
	if err != nil {
		return err
	}
	ds, err := a.store.Drivers(r.Context(), store.DriversQuery{
		Pair: req.Pair, TaggerVersion: req.TaggerVersion, Lang: req.Lang, From: req.From, To: req.To, Limit: req.Limit + 1, Offset: req.Offset,
	})
	if err != nil {
		return err
	}
	ds, next := page(ds, req.Limit, req.Offset)
	resp := DriversResponse{Pair: req.Pair, From: req.From, To: req.To, TaggerVersion: req.TaggerVersion, Lang: req.Lang,
		Limit: req.Limit, Offset: req.Offset, NextOffset: next, Drivers: make([]Driver, len(ds))}
	for i, d := range ds {
		resp.Drivers[i] = newDriver(d)
	}
	return write(w, req.Format, resp)
}

func (a *API) entitiesTop(w http.ResponseWriter, r *http.Request) error {
	req, err := ParseTop("/v1/entities/top", r.URL.RawQuery, a.now(), a.ranges, false)
	if err != nil {
		return err
	}
	q := store.TopQuery{Pair: req.Pair, TaggerVersion: req.TaggerVersion, Lang: req.Lang,
		From: req.From, To: req.To, Limit: req.Limit + 1, Offset: req.Offset}
	if err := a.checkTopRange(r.Context(), q); err != nil {
		return err
	}
	es, err := a.store.TopEntities(r.Context(), q)
	if err != nil {
		return err
	}
	es, next := page(es, req.Limit, req.Offset)
	resp := EntitiesResponse{Pair: req.Pair, From: req.From, To: req.To, TaggerVersion: req.TaggerVersion, Lang: req.Lang,
		Limit: req.Limit, Offset: req.Offset, NextOffset: next, Entities: make([]EntityCount, len(es))}
	for i, e := range es {
		resp.Entities[i] = EntityCount{Canonical: e.Canonical, Type: e.Type, Country: e.Country, Articles: e.Articles, Mentions: e.Mentions}
	}
	return write(w, req.Format, resp)
}

// checkTopRange refuses a ranked list that would read more articles than
// maxTop (see Config.MaxTopArticles) from the raw tables, saying how many:
// the whole days of a range come from the rollups, so only its partial
// edge days count, or the whole range with a lang filter.
func (a *API) checkTopRange(ctx context.Context, q store.TopQuery) error {
	var n int64
	for _, r := range q.Raw() {
		m, err := a.store.ArticlesIn(ctx, r[0], r[1])
		if err != nil {
			return err
		}
		n += m
	}
	if n > a.maxTop {
		return badRequest("range: %d articles from %s to %s to read from the raw tables, more than the %d a ranked list reads; narrow from/to",
			n, q.From.Format(time.RFC3339), q.To.Format(time.RFC3339), a.maxTop)
	}
	return nil
}

func (a *API) cuesTop(w http.ResponseWriter, r *http.Request) error {
	req, err := ParseTop("/v1/cues/top", r.URL.RawQuery, a.now(), a.ranges, true)
	if err != nil {
		return err
	}
	q := store.TopQuery{Pair: req.Pair, TaggerVersion: req.TaggerVersion, Lang: req.Lang,
		From: req.From, To: req.To, Limit: req.Limit + 1, Offset: req.Offset}
	if err := a.checkTopRange(r.Context(), q); err != nil {
		return err
	}
	cs, err := a.store.TopCues(r.Context(), q)
	if err != nil {
		return err
	}
	cs, next := page(cs, req.Limit, req.Offset)
	resp := CuesResponse{Pair: req.Pair, From: req.From, To: req.To, TaggerVersion: req.TaggerVersion, Lang: req.Lang,
		Limit: req.Limit, Offset: req.Offset, NextOffset: next, Cues: make([]CueCount, len(cs))}
	for i, c := range cs {
		resp.Cues[i] = CueCount{Text: c.Text, Category: c.Category, Polarity: c.Polarity, Actor: c.Actor, Target: c.Target,
			Count: c.Count, Articles: c.Articles, TotalWeight: c.TotalWeight, MaxWeight: c.MaxWeight}
	}
	return write(w, req.Format, resp)
}

func (a *API) article(w http.ResponseWriter, r *http.Request) error {
	id, err := ParseArticle(r.PathValue("id"), r.URL.RawQuery)
	if err != nil {
		return err
	}
	art, err := a.store.Article(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newArticle(art))
	return nil
}

func (a *API) pairs(w http.ResponseWriter, r *http.Request) error {
	req, err := ParsePairs(r.URL.RawQuery)
	if err != nil {
		return err
	}
	ps, err := a.store.Pairs(r.Context(), req.TaggerVersion)
	if err != nil {
		return err
	}
	resp := PairsResponse{TaggerVersion: req.TaggerVersion, Pairs: make([]Pair, len(ps))}
	for i, p := range ps {
		resp.Pairs[i] = Pair{Pair: p.Pair, DyadArticles: p.DyadArticles, First: p.First, Last: p.Last}
	}
	return write(w, req.Format, resp)
}

func (a *API) healthz(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz pings ClickHouse, reusing the answer for readyTTL so a busy probe
// does not become load.
func (a *API) readyz(w http.ResponseWriter, r *http.Request) error {
	if a.draining.Load() {
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: "shutting down"}
	}
	a.readyMu.Lock()
	if a.now().Sub(a.readyAt) >= a.readyTTL {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		a.readyErr = a.store.Ping(ctx)
		cancel()
		a.readyAt = a.now()
	}
	err := a.readyErr
	a.readyMu.Unlock()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

// metrics is the API's Prometheus instrumentation: requests by route and
// status code, and latency by route.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tension", Subsystem: "query", Name: "requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "tension", Subsystem: "query", Name: "request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// instrument counts and times h under route (the pattern, never the raw
// path, so label cardinality stays fixed).
func (m *metrics) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		m.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
		m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
