package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tension-dev/tension/pkg/event"
)

// post sends body to a handler with a 8 MiB body limit and returns the
// status and the decoded error envelope (or the raw body).
func post(t *testing.T, h *Handler, ctype, body string) (int, envelopeResp, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/articles", strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer tok-a")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var env envelopeResp
	_ = json.Unmarshal(rec.Body.Bytes(), &env)
	return rec.Code, env, rec.Body.String()
}

func admissionHandler(fw Writer) *Handler {
	return New(fw, Options{Tokens: []string{"tok-a"}, Now: func() time.Time { return received }, Metrics: NewMetrics(prometheus.NewRegistry())})
}

func TestAdmissionRule(t *testing.T) {
	const js = "application/json"
	tests := []struct {
		name       string
		ctype      string
		body       string
		wantStatus int
		wantField  string
		wantIn     string // in the message or the first detail's reason
	}{
		{"year 1 is not silently the receipt time", js, `{"text":"x","published_at":"0001-01-01"}`, 400, "/published_at", "before 1971-01-01"},
		{"zero date-time", js, `{"text":"x","published_at":"0001-01-01T00:00:00Z"}`, 400, "/published_at", "before 1971-01-01"},
		{"a week ahead", js, `{"text":"x","published_at":"2025-05-19"}`, 400, "/published_at", "more than one day after"},
		{"a day ahead is fine", js, `{"text":"x","published_at":"2025-05-13T08:00:00Z"}`, 202, "", ""},
		{"NUL text", js, `{"text":"\u0000"}`, 400, "/text", "no visible character"},
		{"lone surrogate text", js, `{"text":"\ud800"}`, 400, "/text", "no visible character"},
		{"format and control characters", js, `{"text":"\u200b\u00ad\u0007"}`, 400, "/text", "no visible character"},
		{"latin1 charset", "application/json; charset=latin1", `{"text":"x"}`, 415, "", "charset"},
		{"iso-8859-1 ndjson", "application/x-ndjson; charset=ISO-8859-1", `{"text":"x"}`, 415, "", "UTF-8"},
		{"utf-8 charset", "application/json; charset=UTF-8", `{"text":"x"}`, 202, "", ""},
		{"utf8 charset", "application/json; charset=utf8", `{"text":"x"}`, 202, "", ""},
		{"wrong-typed optional field names it", js, `{"text":"x","source":5}`, 400, "/source", "/source: must be a string, got number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fw := &fakeWriter{}
			code, env, raw := post(t, admissionHandler(fw), tt.ctype, tt.body)
			if code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", code, tt.wantStatus, raw)
			}
			if code == 202 {
				return
			}
			if len(fw.calls) != 0 {
				t.Fatal("a refused article was published")
			}
			reason := env.Error.Message
			if len(env.Error.Details) > 0 {
				d := env.Error.Details[0]
				if d.Field != tt.wantField {
					t.Fatalf("field %q, want %q: %s", d.Field, tt.wantField, raw)
				}
				reason += " | " + d.Reason
			}
			if !strings.Contains(reason, tt.wantIn) {
				t.Fatalf("%q does not say %q", reason, tt.wantIn)
			}
		})
	}
}

// TestAdmissionSizeRule: the article limit is what the record takes (key,
// value, overhead), half the record limit; exactly at it is accepted.
func TestAdmissionSizeRule(t *testing.T) {
	base := event.Article{Text: "x"}
	rec, _ := event.EncodeArticle(&base, received, 0)
	text := strings.Repeat("y", event.MaxArticleBytes-rec.Size()+1)
	for _, tt := range []struct {
		text string
		want int
	}{{text, 202}, {text + "y", 413}} {
		fw := &fakeWriter{}
		code, env, raw := post(t, admissionHandler(fw), "application/json", `{"text":"`+tt.text+`"}`)
		if code != tt.want {
			t.Fatalf("text of %d bytes: status %d, want %d: %.300s", len(tt.text), code, tt.want, raw)
		}
		if code == 202 && (len(fw.calls) != 1 || event.RecordSize(fw.calls[0][0].Key, fw.calls[0][0].Value, nil) != event.MaxArticleBytes) {
			t.Fatal("the accepted article is not a record of exactly the limit")
		}
		if code == 413 && (env.Error.Code != CodeArticleTooLarge || !strings.Contains(env.Error.Details[0].Reason, "500000")) {
			t.Fatalf("413 envelope: %s", raw)
		}
	}
}

// TestEchoedIDIsValidJSON: whatever the client's id holds (escapes that
// decode to U+FFFD, HTML characters), the answer is valid UTF-8 JSON.
func TestEchoedIDIsValidJSON(t *testing.T) {
	_, _, raw := post(t, admissionHandler(&fakeWriter{}), "application/x-ndjson",
		`{"id":"a\udc00b<&>","text":"x"}`+"\n"+`{"id":"\ud83d","text":"y"}`)
	if !utf8.ValidString(raw) || !json.Valid([]byte(raw)) {
		t.Fatalf("answer is not valid UTF-8 JSON: %q", raw)
	}
	var res Accepted
	if err := json.Unmarshal([]byte(raw), &res); err != nil || res.Articles[0].ID != "a\uFFFDb<&>" || res.Articles[1].ID != "\uFFFD" {
		t.Fatalf("ids = %+v (%v)", res.Articles, err)
	}
}

// TestOversizeBodyGetsARead413 sends 9 MB over a real connection the way
// most clients do (curl, Python, Java: the whole body, then the answer),
// with a Content-Length and chunked: the client must finish sending and
// read the 413 envelope, not a reset or broken pipe, every time.
func TestOversizeBodyGetsARead413(t *testing.T) {
	h := New(&fakeWriter{}, Options{Tokens: []string{"tok-a"}, Metrics: NewMetrics(prometheus.NewRegistry())})
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := bytes.Repeat([]byte("a"), 9<<20)
	copy(body, `{"text":"`)
	for i := range 5 {
		for _, chunked := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d chunked=%v", i, chunked), func(t *testing.T) {
				conn, err := net.Dial("tcp", srv.Listener.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(60 * time.Second))
				head := "POST /v1/articles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer tok-a\r\n"
				if chunked {
					head += "Transfer-Encoding: chunked\r\n\r\n"
				} else {
					head += fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body))
				}
				w := bufio.NewWriter(conn)
				w.WriteString(head)
				for off := 0; off < len(body); off += 64 << 10 {
					part := body[off:min(off+64<<10, len(body))]
					if chunked {
						fmt.Fprintf(w, "%x\r\n", len(part))
					}
					w.Write(part)
					if chunked {
						w.WriteString("\r\n")
					}
				}
				if chunked {
					w.WriteString("0\r\n\r\n")
				}
				if err := w.Flush(); err != nil {
					t.Fatalf("the server cut the upload short: %v", err)
				}
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					t.Fatalf("no answer after the upload: %v", err)
				}
				defer resp.Body.Close()
				var env envelopeResp
				if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != 413 || env.Error.Code != CodeBodyTooLarge {
					t.Fatalf("status %d, envelope %+v, err %v", resp.StatusCode, env, err)
				}
			})
		}
	}
}
