package admin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestReadiness(t *testing.T) {
	fail := true
	r := NewReadiness(map[string]Check{"kafka": func(context.Context) error {
		if fail {
			return errors.New("down")
		}
		return nil
	}})
	mux := http.NewServeMux()
	Mount(mux, NewRegistry(), r)
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, _ := get("/readyz"); code != 503 {
		t.Fatalf("before first check: %d, want 503", code)
	}
	r.Refresh(context.Background())
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "kafka: down") {
		t.Fatalf("failing check: %d %q", code, body)
	}
	fail = false
	r.Refresh(context.Background())
	if code, _ := get("/readyz"); code != 200 {
		t.Fatalf("passing check: %d", code)
	}
	r.Drain()
	if code, _ := get("/readyz"); code != 503 {
		t.Fatalf("draining: %d", code)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("metrics: %d", code)
	}
}

func TestHealthzAndReadyzAreJSON(t *testing.T) {
	r := NewReadiness(map[string]Check{"dep": func(context.Context) error { return nil }})
	r.Refresh(context.Background())
	h, err := Handler("127.0.0.1:0", NewRegistry(), r, nil)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"/healthz": `{"status":"ok"}`, "/readyz": `{"status":"ready"}`} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != want || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %q %q", path, rec.Code, rec.Body.String(), rec.Header().Get("Content-Type"))
		}
	}
}

// TestAdminBeyondLoopback: an exposed admin listener refuses to start
// without tokens; with them every endpoint but /healthz needs one.
func TestAdminBeyondLoopback(t *testing.T) {
	r := NewReadiness(map[string]Check{})
	r.Refresh(context.Background())
	if _, err := Handler("0.0.0.0:9999", NewRegistry(), r, nil); err == nil || !strings.Contains(err.Error(), "ADMIN_TOKENS") {
		t.Fatalf("exposed without tokens: %v", err)
	}
	tok := "admin-token-0123456789"
	extra := Route{Pattern: "GET /v1/sources", Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) })}
	h, err := Handler("0.0.0.0:9999", NewRegistry(), r, []string{tok}, extra)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path, auth string
		want       int
	}{
		{"/healthz", "", 200},
		{"/readyz", "", 401},
		{"/metrics", "", 401},
		{"/metrics", "Bearer wrong-token-0123456789", 403},
		{"/metrics", "Bearer " + tok, 200},
		{"/readyz", "Bearer " + tok, 200},
		{"/v1/sources", "", 401}, // a service's own route is behind the same rule
		{"/v1/sources", "Bearer " + tok, 200},
	} {
		req := httptest.NewRequest("GET", tt.path, nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s %q: %d, want %d", tt.path, tt.auth, rec.Code, tt.want)
		}
	}
}

// TestReadinessHungCheck: a check that hangs fails after the timeout, its
// Down channel closes, and it reopens when the check passes again.
func TestReadinessHungCheck(t *testing.T) {
	var hang atomic.Bool
	hang.Store(true)
	r := NewReadiness(map[string]Check{"ch": func(ctx context.Context) error {
		if hang.Load() {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}}).WithTimeout(50 * time.Millisecond)
	down := r.Down("ch")
	start := time.Now()
	r.Refresh(context.Background())
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("refresh took %v with a 50ms timeout", took)
	}
	if r.Err("ch") == nil || r.Ready() == nil {
		t.Fatal("a hung check must count as failed")
	}
	select {
	case <-down:
	default:
		t.Fatal("Down not closed while the check fails")
	}
	hang.Store(false)
	r.Refresh(context.Background())
	if r.Ready() != nil {
		t.Fatalf("ready after recovery: %v", r.Ready())
	}
	select {
	case <-r.Down("ch"):
		t.Fatal("Down closed after recovery")
	default:
	}
}
