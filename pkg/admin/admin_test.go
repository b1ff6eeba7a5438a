package admin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
