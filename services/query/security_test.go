package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// The HTTP security surface of the query service: token rule, admin
// exposure, the concurrency cap on /v1 and its headers (issue 9). The live
// admin listener is covered by TestIntegrationRun.

func TestSecurityConfig(t *testing.T) {
	none := func(string) string { return "" }
	for _, args := range [][]string{
		{"-tokens", "short"},
		{"-addr", "0.0.0.0:8081"},                                               // public beyond loopback needs read tokens
		{"-admin-addr", "0.0.0.0:8085"},                                         // admin beyond loopback needs admin tokens
		{"-admin-addr", "0.0.0.0:8085", "-admin-tokens", "short"},               // the token rule holds there too
		{"-clickhouse-dial-timeout", "30s", "-query-timeout", "30s"},            // a dial timeout as long as the query's defeats it
		{"-clickhouse-password", "x", "-clickhouse-password-file", "/dev/null"}, // one or the other
	} {
		if _, err := parseConfig(args, none, io.Discard); err == nil {
			t.Errorf("parseConfig(%v): want an error", args)
		}
	}
	c, err := parseConfig([]string{"-admin-addr", "0.0.0.0:8085", "-admin-tokens", "admin-token-0123456789"}, none, io.Discard)
	if err != nil || len(c.adminTokens) != 1 {
		t.Fatalf("exposed admin with a token: %+v %v", c.adminTokens, err)
	}
	if c.ch.Username != "tension_query" || c.ch.DialTimeout >= c.queryTimeout {
		t.Fatalf("reader defaults: user %q dial %s query %s", c.ch.Username, c.ch.DialTimeout, c.queryTimeout)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token"}, none, &out, io.Discard); err != nil || len(strings.TrimSpace(out.String())) != 43 {
		t.Fatalf("query token: %q %v", out.String(), err)
	}
}

// TestSecurityConcurrencyCap: beyond -max-inflight, /v1 requests get 503
// with Retry-After: 1 at once, while /healthz still answers.
func TestSecurityConcurrencyCap(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/index" {
			entered <- struct{}{}
			<-release
		}
		w.WriteHeader(200)
	})
	h := publicHandler(api, 1, prometheus.NewRegistry())
	var wg sync.WaitGroup
	wg.Go(func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/index", nil)) })
	<-entered
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/pairs", nil))
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "1" || !strings.Contains(rec.Body.String(), `"overloaded"`) {
		t.Fatalf("over the cap: %d %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 {
		t.Fatalf("/healthz under the cap: %d", rec.Code)
	}
	close(release)
	wg.Wait()
}
