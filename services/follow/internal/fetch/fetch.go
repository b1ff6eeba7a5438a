// Package fetch is the follower's HTTP client, polite and bounded: every
// request carries the follower's User-Agent (with a contact URL), asks
// robots.txt first (cached per host), waits its turn at a per-host gate
// (a concurrency cap and a least interval between requests, raised by the
// host's Crawl-delay), and follows at most a few redirects, each one checked
// against robots.txt and the gate again. Every request has a deadline that
// covers the body, and every body is capped, so a slow or huge response can
// stall nothing and hold no more memory than its cap. Conditional GET
// (ETag, Last-Modified) is the caller's: it passes what it stored and
// gets 304 back.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tension-dev/tension/services/follow/internal/robots"
)

// Config configures a Fetcher. Zero values take the defaults noted.
type Config struct {
	// UserAgent is sent with every request, e.g.
	// "TensionFollower/1.0 (+https://example.org/contact)".
	UserAgent string
	// Agent is the product token robots.txt groups are matched against
	// (default "TensionFollower").
	Agent string
	// Timeout bounds one request, its body included (default 30 s).
	Timeout time.Duration
	// MaxRedirects is the most redirects one fetch follows (default 5).
	MaxRedirects int
	// HostInterval is the least time between two requests to one host
	// (default 1 s); a longer Crawl-delay in the host's robots.txt wins.
	HostInterval time.Duration
	// HostConcurrency caps the requests in flight to one host (default 2).
	HostConcurrency int
	// RobotsTTL is how long a host's robots.txt is kept (default 24 h); an
	// unreachable one is retried after at most 10 minutes.
	RobotsTTL time.Duration
	// AllowPrivate lets every fetch reach loopback, private and link-local
	// addresses. Without it only TrustedHosts may (the hosts of the
	// sources file, which the operator wrote): a feed cannot make the
	// follower fetch from the network it runs in.
	AllowPrivate bool
	TrustedHosts []string
	// Transport replaces the network (tests); nil is a tuned
	// http.Transport with the address check above.
	Transport http.RoundTripper
	Now       func() time.Time
}

// Request is one fetch.
type Request struct {
	URL          string
	ETag         string // sent as If-None-Match
	LastModified string // sent as If-Modified-Since
	MaxBytes     int64  // cap of the body (default 4 MiB)
	Accept       string
	// Truncate keeps the first MaxBytes of a larger body instead of
	// failing with KindTooLarge (robots.txt: RFC 9309 reads a prefix).
	Truncate bool
}

// Response is a 2xx or 304 answer.
type Response struct {
	Status       int
	URL          string // after redirects
	Body         []byte
	ContentType  string
	ETag         string
	LastModified string
	Redirects    int
}

// Kind classifies a failed fetch.
type Kind string

// Kinds of failure.
const (
	KindRobots    Kind = "robots"    // robots.txt disallows the URL
	KindTooLarge  Kind = "too_large" // the body is over the cap
	KindTimeout   Kind = "timeout"   // no complete answer within Timeout
	KindNetwork   Kind = "network"   // connection refused, reset, DNS ...
	KindHTTP      Kind = "http"      // a status of 400 or more
	KindRedirects Kind = "redirects" // too many redirects, or a bad Location
	KindAddress   Kind = "address"   // a private address, refused
	KindURL       Kind = "url"       // not an http(s) URL
	KindPaused    Kind = "paused"    // the host asked us to wait (429, or 503 with Retry-After): not asked
)

// Error is a failed fetch.
type Error struct {
	Kind       Kind
	URL        string
	Status     int           // KindHTTP
	RetryAfter time.Duration // from a 429 or 503
	Err        error
}

func (e *Error) Error() string {
	switch e.Kind {
	case KindHTTP:
		return fmt.Sprintf("GET %s: HTTP %d", e.URL, e.Status)
	case KindPaused:
		return fmt.Sprintf("GET %s: not asked: the host asked to wait %s more (%v)", e.URL, e.RetryAfter.Round(time.Second), e.Err)
	case KindRobots:
		return fmt.Sprintf("GET %s: disallowed by robots.txt", e.URL)
	}
	return fmt.Sprintf("GET %s: %s: %v", e.URL, e.Kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Transient reports whether trying again later may succeed: network
// errors, timeouts, 5xx, 408, 429 and a paused host. robots.txt, 4xx,
// oversize bodies, redirect loops and refused addresses are permanent for
// the URL.
func (e *Error) Transient() bool {
	switch e.Kind {
	case KindTimeout, KindNetwork, KindPaused:
		return true
	case KindHTTP:
		return e.Status >= 500 || e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests
	}
	return false
}

// Fetcher fetches URLs politely. It is safe for concurrent use.
type Fetcher struct {
	cfg    Config
	client *http.Client
	gate   *gate
	robots *robotsCache
}

// New returns a Fetcher.
func New(cfg Config) *Fetcher {
	if cfg.Agent == "" {
		cfg.Agent = "TensionFollower"
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = cfg.Agent
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxRedirects <= 0 {
		cfg.MaxRedirects = 5
	}
	if cfg.HostInterval <= 0 {
		cfg.HostInterval = time.Second
	}
	if cfg.HostConcurrency <= 0 {
		cfg.HostConcurrency = 2
	}
	if cfg.RobotsTTL <= 0 {
		cfg.RobotsTTL = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	f := &Fetcher{cfg: cfg, gate: newGate(cfg.HostInterval, cfg.HostConcurrency, cfg.Now)}
	rt := cfg.Transport
	if rt == nil {
		rt = f.transport()
	}
	f.client = &http.Client{
		Transport: rt,
		// Redirects are followed by Get, hop by hop, each through
		// robots.txt and the host gate.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	f.robots = &robotsCache{f: f, entries: map[string]*robotsEntry{}}
	return f
}

func (f *Fetcher) transport() *http.Transport {
	trusted := map[string]bool{}
	for _, h := range f.cfg.TrustedHosts {
		trusted[strings.ToLower(h)] = true
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: nil, // see README "Known limits"
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if f.cfg.AllowPrivate || trusted[strings.ToLower(host)] {
				return d.DialContext(ctx, network, addr)
			}
			ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
			if err != nil {
				return nil, err
			}
			for _, ip := range ips {
				if public(ip.IP) {
					return d.DialContext(ctx, network, net.JoinHostPort(ip.IP.String(), port))
				}
			}
			return nil, &addressError{host: host}
		},
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  f.cfg.Timeout,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    f.cfg.HostConcurrency,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

type addressError struct{ host string }

func (e *addressError) Error() string {
	return fmt.Sprintf("%s resolves only to private, loopback or link-local addresses: refused (hosts of the sources file may; -allow-private-addresses allows all)", e.host)
}

// public reports whether ip is a global unicast address.
func public(ip net.IP) bool {
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return false
	}
	if v4 := ip.To4(); v4 != nil && v4[0] == 100 && v4[1]&0xC0 == 64 { // 100.64.0.0/10, carrier-grade NAT
		return false
	}
	return true
}

// Get fetches req.URL: robots.txt first, then the host gate, then the
// request, following redirects hop by hop. A 2xx or 304 is a Response;
// anything else is an *Error.
func (f *Fetcher) Get(ctx context.Context, req Request) (*Response, error) {
	if req.MaxBytes <= 0 {
		req.MaxBytes = 4 << 20
	}
	target := req.URL
	for hop := 0; ; hop++ {
		u, err := url.Parse(target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, &Error{Kind: KindURL, URL: target, Err: errors.New("not an absolute http or https URL")}
		}
		rb, err := f.robots.get(ctx, u)
		if err != nil {
			return nil, err
		}
		if !rb.Allowed(u.EscapedPath() + query(u)) {
			return nil, &Error{Kind: KindRobots, URL: target}
		}
		resp, next, err := f.once(ctx, u, req, rb.CrawlDelay())
		if err != nil {
			return nil, err
		}
		if next == "" {
			resp.Redirects = hop
			return resp, nil
		}
		if hop == f.cfg.MaxRedirects {
			return nil, &Error{Kind: KindRedirects, URL: req.URL, Err: fmt.Errorf("more than %d redirects", f.cfg.MaxRedirects)}
		}
		target = next
	}
}

func query(u *url.URL) string {
	if u.RawQuery == "" {
		return ""
	}
	return "?" + u.RawQuery
}

// once makes one request through the host gate. It returns the response,
// or the next URL of a redirect.
func (f *Fetcher) once(ctx context.Context, u *url.URL, req Request, crawlDelay time.Duration) (*Response, string, error) {
	release, err := f.gate.acquire(ctx, u.Host, crawlDelay)
	if err != nil {
		var pe *pausedError
		if errors.As(err, &pe) {
			return nil, "", &Error{Kind: KindPaused, URL: u.String(), RetryAfter: pe.left, Err: pe}
		}
		return nil, "", &Error{Kind: KindTimeout, URL: u.String(), Err: err}
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", &Error{Kind: KindURL, URL: u.String(), Err: err}
	}
	hr.Header.Set("User-Agent", f.cfg.UserAgent)
	if req.Accept != "" {
		hr.Header.Set("Accept", req.Accept)
	}
	if req.ETag != "" {
		hr.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hr.Header.Set("If-Modified-Since", req.LastModified)
	}
	resp, err := f.client.Do(hr)
	if err != nil {
		return nil, "", f.transportError(u.String(), ctx, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.StatusCode != http.StatusNotModified:
		loc := resp.Header.Get("Location")
		next, err := u.Parse(loc)
		if loc == "" || err != nil {
			return nil, "", &Error{Kind: KindRedirects, URL: u.String(), Err: fmt.Errorf("HTTP %d with a bad Location %q", resp.StatusCode, loc)}
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		return nil, next.String(), nil
	case resp.StatusCode == http.StatusNotModified:
		return &Response{Status: resp.StatusCode, URL: u.String(), ETag: resp.Header.Get("ETag"),
			LastModified: resp.Header.Get("Last-Modified")}, "", nil
	case resp.StatusCode >= 400:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		e := &Error{Kind: KindHTTP, URL: u.String(), Status: resp.StatusCode,
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), f.cfg.Now())}
		f.gate.pause(u.Host, hostPause(e.Status, e.RetryAfter), e.Status)
		return nil, "", e
	case resp.StatusCode < 200:
		return nil, "", &Error{Kind: KindHTTP, URL: u.String(), Status: resp.StatusCode}
	}
	if resp.ContentLength > req.MaxBytes && !req.Truncate {
		return nil, "", &Error{Kind: KindTooLarge, URL: u.String(), Err: fmt.Errorf("Content-Length %d is over the %d-byte cap", resp.ContentLength, req.MaxBytes)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, req.MaxBytes+1))
	if err != nil {
		return nil, "", f.transportError(u.String(), ctx, err)
	}
	if int64(len(body)) > req.MaxBytes {
		if req.Truncate {
			body = body[:req.MaxBytes]
		} else {
			return nil, "", &Error{Kind: KindTooLarge, URL: u.String(), Err: fmt.Errorf("the body is over the %d-byte cap", req.MaxBytes)}
		}
	}
	return &Response{Status: resp.StatusCode, URL: u.String(), Body: body, ContentType: resp.Header.Get("Content-Type"),
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}, "", nil
}

func (f *Fetcher) transportError(u string, ctx context.Context, err error) *Error {
	var ae *addressError
	switch {
	case errors.As(err, &ae):
		return &Error{Kind: KindAddress, URL: u, Err: ae}
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &Error{Kind: KindTimeout, URL: u, Err: fmt.Errorf("no complete answer within %s", f.cfg.Timeout)}
	}
	return &Error{Kind: KindNetwork, URL: u, Err: err}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// retryAfter reads a Retry-After header: seconds or an HTTP date; at most
// a day.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), 24*time.Hour)
}

// DefaultHostPause is how long a host that answered 429 without a
// Retry-After is left alone.
const DefaultHostPause = time.Minute

// hostPause is how long a host is left alone after answering status: the
// Retry-After of a 429 or 503 (at least DefaultHostPause for a 429), else
// not at all. Every request to the host waits, not only the one refused:
// a site that rate-limits the follower must not get the rest of a poll's
// pages at the usual pace.
func hostPause(status int, retryAfter time.Duration) time.Duration {
	switch status {
	case http.StatusTooManyRequests:
		return max(retryAfter, DefaultHostPause)
	case http.StatusServiceUnavailable:
		return retryAfter
	}
	return 0
}

// pausedError is a request not made: the host asked to wait.
type pausedError struct {
	status int
	left   time.Duration
}

func (e *pausedError) Error() string { return fmt.Sprintf("it answered HTTP %d", e.status) }

// gate is the per-host politeness: at most conc requests in flight to a
// host, at least interval (or the host's crawl delay) between the starts
// of two of them, and none while the host asked to wait (pause).
type gate struct {
	interval time.Duration
	conc     int
	now      func() time.Time
	mu       sync.Mutex
	hosts    map[string]*hostState
}

type hostState struct {
	sem          chan struct{}
	next         time.Time // earliest start of the next request
	pausedUntil  time.Time // no request before this (429, 503 with Retry-After)
	pausedStatus int
}

func newGate(interval time.Duration, conc int, now func() time.Time) *gate {
	return &gate{interval: interval, conc: conc, now: now, hosts: map[string]*hostState{}}
}

// maxIdleHosts bounds the gate's memory: beyond it, hosts with nothing in
// flight and no wait pending are forgotten.
const maxIdleHosts = 10_000

func (g *gate) acquire(ctx context.Context, host string, crawlDelay time.Duration) (func(), error) {
	host = strings.ToLower(host)
	g.mu.Lock()
	h := g.hosts[host]
	if h == nil {
		if len(g.hosts) >= maxIdleHosts {
			g.evict()
		}
		h = &hostState{sem: make(chan struct{}, g.conc)}
		g.hosts[host] = h
	}
	g.mu.Unlock()
	if err := g.paused(h); err != nil {
		return nil, err
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := func() { <-h.sem }
	if err := g.paused(h); err != nil { // paused while this request queued
		release()
		return nil, err
	}
	g.mu.Lock()
	now := g.now()
	start := now
	if h.next.After(now) {
		start = h.next
	}
	h.next = start.Add(max(g.interval, crawlDelay))
	g.mu.Unlock()
	if wait := start.Sub(now); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
		if err := g.paused(h); err != nil {
			release()
			return nil, err
		}
	}
	return release, nil
}

// paused returns a *pausedError while h is paused.
func (g *gate) paused(h *hostState) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if left := h.pausedUntil.Sub(g.now()); left > 0 {
		return &pausedError{status: h.pausedStatus, left: left}
	}
	return nil
}

// pause leaves host alone for d (0: no pause), or longer if it is paused
// longer already.
func (g *gate) pause(host string, d time.Duration, status int) {
	if d <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	h := g.hosts[strings.ToLower(host)]
	if h == nil {
		return
	}
	if until := g.now().Add(d); until.After(h.pausedUntil) {
		h.pausedUntil, h.pausedStatus = until, status
	}
}

func (g *gate) evict() {
	now := g.now()
	for k, h := range g.hosts {
		if len(h.sem) == 0 && !h.next.After(now) && !h.pausedUntil.After(now) {
			delete(g.hosts, k)
		}
	}
}

// robotsCache keeps each host's robots.txt for RobotsTTL; concurrent
// fetches for one host wait for the first.
type robotsCache struct {
	f       *Fetcher
	mu      sync.Mutex
	entries map[string]*robotsEntry
}

type robotsEntry struct {
	ready   chan struct{} // closed once r is set
	r       *robots.Robots
	err     error
	expires time.Time
}

func (c *robotsCache) get(ctx context.Context, u *url.URL) (*robots.Robots, error) {
	key := u.Scheme + "://" + strings.ToLower(u.Host)
	c.mu.Lock()
	e := c.entries[key]
	if e != nil {
		select {
		case <-e.ready:
			if c.f.cfg.Now().After(e.expires) {
				e = nil
			}
		default:
		}
	}
	if e == nil {
		if len(c.entries) >= maxIdleHosts {
			c.evict()
		}
		e = &robotsEntry{ready: make(chan struct{})}
		c.entries[key] = e
		c.mu.Unlock()
		e.r, e.expires, e.err = c.fetch(ctx, key)
		if ctx.Err() != nil {
			e.expires = time.Time{} // cut short by the caller, not the host's answer: ask again next time
		}
		close(e.ready)
	} else {
		c.mu.Unlock()
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		return nil, &Error{Kind: KindTimeout, URL: u.String(), Err: ctx.Err()}
	}
	return e.r, e.err
}

func (c *robotsCache) evict() {
	now := c.f.cfg.Now()
	for k, e := range c.entries {
		select {
		case <-e.ready:
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		default:
		}
	}
}

// fetch reads robots.txt at origin (RFC 9309 §2.3: a 4xx allows all; a
// 5xx or an unreachable host disallows all for a while).
func (c *robotsCache) fetch(ctx context.Context, origin string) (*robots.Robots, time.Time, error) {
	now := c.f.cfg.Now()
	retry := now.Add(min(c.f.cfg.RobotsTTL, 10*time.Minute))
	target := origin + "/robots.txt"
	for hop := 0; hop <= c.f.cfg.MaxRedirects; hop++ {
		u, _ := url.Parse(target)
		resp, next, err := c.f.once(ctx, u, Request{MaxBytes: robots.MaxBytes, Accept: "text/plain", Truncate: true}, 0)
		var fe *Error
		switch {
		case errors.As(err, &fe) && fe.Kind == KindAddress:
			return nil, retry, err
		case errors.As(err, &fe) && fe.Kind == KindPaused:
			return nil, time.Time{}, err // not asked: ask when the pause ends
		case errors.As(err, &fe) && fe.Kind == KindHTTP && fe.Status >= 400 && fe.Status < 500 && fe.Status != http.StatusTooManyRequests:
			return robots.AllowAll, now.Add(c.f.cfg.RobotsTTL), nil
		case err != nil:
			return robots.DisallowAll, retry, nil
		case next != "":
			target = next
			continue
		}
		return robots.Parse(resp.Body, c.f.cfg.Agent), now.Add(c.f.cfg.RobotsTTL), nil
	}
	return robots.AllowAll, now.Add(c.f.cfg.RobotsTTL), nil // a redirect loop: RFC 9309 treats it as unavailable
}
