package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestTokenRule(t *testing.T) {
	for _, tt := range []struct {
		tok string
		ok  bool
	}{
		{"", false},
		{"t", false},
		{"fifteen-chars-x", false},
		{"sixteen-chars-xy", true},
		{"sixteen chars xyz", false},
		{"sixteen-chars-x\x01", false},
		{NewToken(), true},
	} {
		if err := CheckToken(tt.tok); (err == nil) != tt.ok {
			t.Errorf("CheckToken(%q) = %v, want ok=%v", tt.tok, err, tt.ok)
		}
	}
	a, b := NewToken(), NewToken()
	if len(a) != 43 || a == b {
		t.Fatalf("NewToken: %q %q, want two different 43-character tokens", a, b)
	}
}

func TestLoadTokens(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte("# comment\n\n  file-token-0123456789  \n"), 0o600)
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("file-token-0123456789\nshort\n"), 0o600)
	got, err := LoadTokens("tokens", " list-token-0123456789, ,", good)
	if err != nil || len(got) != 2 || got[0] != "list-token-0123456789" || got[1] != "file-token-0123456789" {
		t.Fatalf("LoadTokens = %q, %v", got, err)
	}
	if _, err := LoadTokens("tokens", "short", ""); err == nil || !strings.Contains(err.Error(), "tokens: ") {
		t.Fatalf("short list token: %v", err)
	}
	if _, err := LoadTokens("tokens", "", short); err == nil || !strings.Contains(err.Error(), "short:2") {
		t.Fatalf("short file token: %v", err)
	}
	if _, err := LoadTokens("tokens", "", filepath.Join(dir, "none")); err == nil {
		t.Fatal("missing file: want an error")
	}
}

func TestTokensCheck(t *testing.T) {
	tok := NewToken()
	h := NewTokens([]string{tok}).Require(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	for _, tt := range []struct {
		auth     string
		want     int
		wantCode string
	}{
		{"", 401, CodeUnauthorized},
		{"Basic abc", 401, CodeUnauthorized},
		{"Bearer ", 401, CodeUnauthorized},
		{"Bearer " + tok[:20], 403, CodeForbidden},
		{"Bearer " + tok + "x", 403, CodeForbidden},
		{"Bearer " + tok, 204, ""},
		{"bearer " + tok, 204, ""},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		h.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%q: %d, want %d", tt.auth, rec.Code, tt.want)
			continue
		}
		if tt.wantCode == "" {
			continue
		}
		var env Envelope
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error.Code != tt.wantCode {
			t.Errorf("%q: envelope %s (%v), want code %s", tt.auth, rec.Body.String(), err, tt.wantCode)
		}
		if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%q: WWW-Authenticate %q", tt.auth, rec.Header().Get("WWW-Authenticate"))
		}
	}
	if NewTokens(nil).Check(httptest.NewRequest("GET", "/", nil)) != nil {
		t.Fatal("no tokens configured: every request passes")
	}
}

// TestLimit fills every slot with a request that blocks, then checks that
// one more is refused at once with 503 and Retry-After, and served again
// once a slot frees.
func TestLimit(t *testing.T) {
	const max = 3
	release := make(chan struct{})
	var entered sync.WaitGroup
	entered.Add(max)
	rejected := 0
	h := Limit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			entered.Done()
			<-release
		}
		w.WriteHeader(204)
	}), max, func() { rejected++ })
	var wg sync.WaitGroup
	for range max {
		wg.Go(func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/block", nil)) })
	}
	entered.Wait()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" ||
		!strings.Contains(rec.Body.String(), `"code":"overloaded"`) || rejected != 1 {
		t.Fatalf("over the limit: %d Retry-After %q %s (rejected %d)", rec.Code, rec.Header().Get("Retry-After"), rec.Body.String(), rejected)
	}
	close(release)
	wg.Wait()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 204 {
		t.Fatalf("after the burst: %d", rec.Code)
	}
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, &Error{Status: 503, Code: "unavailable", Message: "down"})
	if rec.Header().Get("Retry-After") != RetryAfterSeconds || rec.Header().Get("Content-Type") != "application/json" ||
		rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Body.String() != `{"error":{"code":"unavailable","message":"down"}}`+"\n" {
		t.Fatalf("503: %v %q", rec.Header(), rec.Body.String())
	}
	rec = httptest.NewRecorder()
	WriteError(rec, &Error{Status: 400, Code: "bad", Message: "m", Details: []string{"d"}})
	if rec.Body.String() != `{"error":{"code":"bad","message":"m","details":["d"]}}`+"\n" {
		t.Fatalf("details: %q", rec.Body.String())
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:80": true, "localhost:1": true, "[::1]:8": true,
		":8080": false, "0.0.0.0:80": false, "[::]:1": false, "10.0.0.5:80": false, "example.com:80": false} {
		if got, err := IsLoopback(addr); err != nil || got != want {
			t.Errorf("IsLoopback(%q) = %v, %v", addr, got, err)
		}
	}
	if _, err := IsLoopback("no-port"); err == nil {
		t.Error("IsLoopback without a port: want an error")
	}
}

// TestServerLimits: a header block over MaxHeaderBytes is refused (431)
// by a server made with NewServer.
func TestServerLimits(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	srv.Config = NewServer(srv.Config.Handler, ServerLimits{}, discardLogger())
	srv.Start()
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("X-Big", strings.Repeat("a", 2*DefaultLimits.MaxHeaderBytes))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("big headers: %d, want 431", resp.StatusCode)
	}
	if srv.Config.ReadHeaderTimeout == 0 || srv.Config.ReadTimeout == 0 || srv.Config.IdleTimeout == 0 {
		t.Fatalf("timeouts unset: %+v", srv.Config)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
