package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// BenchmarkRunDiscard measures loadgen's own ceiling: generate, encode and
// POST batches of 500 to a server that counts lines and answers 202.
func BenchmarkRunDiscard(b *testing.B) {
	var lines atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := bytes.Count(body, []byte{'\n'})
		lines.Add(int64(n))
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"accepted":%d,"articles":[]}`, n)
	}))
	defer srv.Close()
	const n = 20000
	for b.Loop() {
		err := run(context.Background(), []string{"-ingest-url", srv.URL, "-n", fmt.Sprint(n), "-seed", "1"}, io.Discard, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines.Load())/b.Elapsed().Seconds(), "articles/s")
}
