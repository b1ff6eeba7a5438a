package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/services/ingest/internal/api"
)

// The HTTP security surface of ingest: admin endpoints, headers, the
// concurrency cap and the token rule (issue 9). No Kafka is needed: the
// broker is unreachable and nothing here publishes.

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestSecurityTokenRule(t *testing.T) {
	env := func(string) string { return "" }
	for _, args := range [][]string{
		{"-tokens", "short"},
		{"-tokens", testToken, "-admin-tokens", "short"},
		{"-tokens", testToken, "-admin-addr", "0.0.0.0:0"}, // an exposed admin listener needs admin tokens
	} {
		if err := run(context.Background(), args, env, io.Discard, io.Discard); err == nil {
			t.Errorf("run %v: want a refusal", args)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(out.String())
	if len(tok) != 43 {
		t.Fatalf("ingest token printed %q, want 43 characters", tok)
	}
	// A generated token passes the rule: ingest starts with it.
	base := startIngest(t, map[string]string{"INGEST_TOKENS": tok}, "-brokers", "127.0.0.1:1")
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Fatalf("healthz with a generated token: %d", code)
	}
}

// TestSecurityAdminListener: the admin listener serves /healthz, /readyz and
// /metrics as JSON/Prometheus without a token on loopback.
func TestSecurityAdminListener(t *testing.T) {
	adminAddr := freeAddr(t)
	startIngest(t, map[string]string{"INGEST_TOKENS": testToken}, "-brokers", "127.0.0.1:1", "-admin-addr", adminAddr,
		"-ready-interval", "100ms")
	base := "http://" + adminAddr
	var code int
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			code = resp.StatusCode
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("admin listener: %v", err)
		}
	}
	if code != 200 {
		t.Fatalf("admin /healthz = %d", code)
	}
	code, body := get(t, base+"/readyz")
	var env struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if code != 503 || json.Unmarshal([]byte(body), &env) != nil || env.Error.Code != admin.CodeNotReady || !strings.Contains(env.Error.Message, "kafka") {
		t.Fatalf("admin /readyz without Kafka = %d %s", code, body)
	}
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "tension_ingest_overloaded_total 0") {
		t.Fatalf("admin /metrics = %d", code)
	}
}

// TestSecurityPublicListener: beyond loopback the public listener serves
// only the API and /healthz; on loopback also /readyz and /metrics.
func TestSecurityPublicListener(t *testing.T) {
	h := api.New(nil, api.Config{Tokens: []string{testToken}})
	ready := admin.NewReadiness(map[string]admin.Check{})
	for addr, want := range map[string]int{"0.0.0.0:8080": 404, "127.0.0.1:8080": 200} {
		pub, err := publicHandler(addr, 4, h, admin.NewRegistry(), ready)
		if err != nil {
			t.Fatal(err)
		}
		ready.Refresh(context.Background())
		for _, path := range []string{"/metrics", "/readyz"} {
			rec := httptest.NewRecorder()
			pub.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			if rec.Code != want {
				t.Errorf("%s %s = %d, want %d", addr, path, rec.Code, want)
			}
		}
		rec := httptest.NewRecorder()
		pub.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		if rec.Code != 200 {
			t.Errorf("%s /healthz = %d", addr, rec.Code)
		}
		rec = httptest.NewRecorder()
		pub.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/articles", strings.NewReader(`{"text":"x"}`)))
		if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") == "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s POST without token = %d %v", addr, rec.Code, rec.Header())
		}
	}
}

// TestSecurityLimits: oversized headers get 431; with -max-inflight 1 a
// request whose body is still arriving holds the only slot, and the next
// one is refused at once with 503, Retry-After: 1 and the envelope.
func TestSecurityLimits(t *testing.T) {
	base := startIngest(t, map[string]string{"INGEST_TOKENS": testToken}, "-brokers", "127.0.0.1:1", "-max-inflight", "1")
	req, _ := http.NewRequest("GET", base+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 128<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("128 KiB of headers: %d, want 431", resp.StatusCode)
	}

	pr, pw := io.Pipe()
	slow, _ := http.NewRequest("POST", base+"/v1/articles", pr)
	slow.Header.Set("Authorization", "Bearer "+testToken)
	slow.Header.Set("Content-Type", "application/x-ndjson")
	var wg sync.WaitGroup
	wg.Go(func() {
		if resp, err := http.DefaultClient.Do(slow); err == nil {
			resp.Body.Close()
		}
	})
	defer func() { pw.Close(); wg.Wait() }()
	pw.Write([]byte(`{"text":"the slow client`)) // the handler now waits for the rest
	var got *http.Response
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got = post(t, base, "application/json", `{"text":"x"}`)
		if got.Header.Get("Retry-After") == "1" {
			break
		}
	}
	b, _ := io.ReadAll(got.Body)
	if got.StatusCode != http.StatusServiceUnavailable || got.Header.Get("Retry-After") != "1" || !strings.Contains(string(b), `"code":"overloaded"`) {
		t.Fatalf("second request while the slot is held: %d Retry-After %q %s", got.StatusCode, got.Header.Get("Retry-After"), b)
	}
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "tension_ingest_overloaded_total 1") {
		t.Errorf("overloaded counter missing: %d", code)
	}
}
