package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tension-dev/tension/pkg/synth"
)

// appendNDJSON appends one JSON object per line, as encoding/json's Encoder
// with HTML escaping off writes them (synth.Article.AppendJSON).
func appendNDJSON(b []byte, arts []synth.Article) ([]byte, error) {
	for i := range arts {
		var err error
		if b, err = arts[i].AppendJSON(b); err != nil {
			return nil, err
		}
		b = append(b, '\n')
	}
	return b, nil
}

// ingestClient posts NDJSON batches to ingest.
type ingestClient struct {
	http    *http.Client
	url     string // {ingest}/v1/articles
	token   string
	retries int
	sleep   func(context.Context, time.Duration) error
}

type postResult struct {
	accepted    int
	retries503  int // requests repeated after a 503
	retriesMisc int // requests repeated after other 5xx, 429 or a transport error
}

// permanentError is a response that retrying will not fix (400, 401, 403,
// 413, ...).
type permanentError struct {
	status int
	body   string
}

func (e *permanentError) Error() string {
	return fmt.Sprintf("ingest answered %d: %s", e.status, e.body)
}

// post sends one batch. 503 is retried after Retry-After; other 5xx, 429 and
// transport errors are retried with exponential backoff; both are bounded
// by c.retries.
func (c *ingestClient) post(ctx context.Context, body []byte, n int) (postResult, error) {
	var res postResult
	backoff := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		status, hdr, respBody, err := c.do(ctx, body)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			wait = backoff
		case status == http.StatusAccepted || status == http.StatusOK:
			var r struct {
				Accepted int `json:"accepted"`
			}
			if jerr := json.Unmarshal(respBody, &r); jerr != nil {
				return res, fmt.Errorf("ingest answered %d with an unreadable body: %v", status, jerr)
			}
			res.accepted = r.Accepted
			if r.Accepted != n {
				return res, fmt.Errorf("ingest accepted %d of %d articles", r.Accepted, n)
			}
			return res, nil
		case status == http.StatusServiceUnavailable:
			wait = retryAfter(hdr.Get("Retry-After"), time.Now())
			err = fmt.Errorf("ingest answered 503: %s", short(respBody))
		case status == http.StatusTooManyRequests || status >= 500:
			wait = max(backoff, retryAfter(hdr.Get("Retry-After"), time.Now()))
			err = fmt.Errorf("ingest answered %d: %s", status, short(respBody))
		default:
			return res, &permanentError{status, short(respBody)}
		}
		if attempt >= c.retries {
			return res, fmt.Errorf("giving up after %d retries: %w", attempt, err)
		}
		if status == http.StatusServiceUnavailable {
			res.retries503++
		} else {
			res.retriesMisc++
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return res, serr
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (c *ingestClient) do(ctx context.Context, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, b, nil
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
// Missing or unreadable means one second; the wait is capped at a minute.
func retryAfter(v string, now time.Time) time.Duration {
	d := time.Second
	if v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			d = time.Duration(s) * time.Second
		} else if t, err := http.ParseTime(v); err == nil {
			d = max(t.Sub(now), 0)
		}
	}
	return min(d, time.Minute)
}

// short extracts the error message of an API error body, or a prefix of it.
func short(b []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		return e.Error.Code + ": " + e.Error.Message
	}
	if len(b) > 300 {
		b = b[:300]
	}
	return string(bytes.TrimSpace(b))
}

// queryClient reads article counts from /v1/index.
type queryClient struct {
	http  *http.Client
	base  string
	token string
	pair  string
}

// count sums the articles of every bucket of pair over [from, to).
func (q *queryClient) count(ctx context.Context, from, to time.Time, interval string) (int, error) {
	v := url.Values{}
	v.Set("pair", q.pair)
	v.Set("from", from.UTC().Format(time.RFC3339))
	v.Set("to", to.UTC().Format(time.RFC3339))
	v.Set("interval", interval)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, q.base+"/v1/index?"+v.Encode(), nil)
	if err != nil {
		return 0, err
	}
	if q.token != "" {
		req.Header.Set("Authorization", "Bearer "+q.token)
	}
	resp, err := q.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("query answered %d: %s", resp.StatusCode, short(b))
	}
	var r struct {
		Buckets []struct {
			Articles int `json:"articles"`
		} `json:"buckets"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return 0, fmt.Errorf("query: unreadable /v1/index body: %v", err)
	}
	n := 0
	for _, b := range r.Buckets {
		n += b.Articles
	}
	return n, nil
}

var errTimeout = errors.New("timed out waiting for articles to become visible")
