package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// startQuery runs the service in-process with args and no environment on
// free ports until the test ends; it returns the public base URL and the
// admin one.
func startQuery(t *testing.T, ctx context.Context, args []string) (base, adminBase string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminAddr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	args = append([]string{"-addr", "127.0.0.1:0", "-admin-addr", adminAddr}, args...)
	go func() {
		done <- run(ctx, args, func(string) string { return "" }, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("query did not start: %v", <-done)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("query did not stop within 30 s")
		}
	})
	return strings.TrimSpace(strings.TrimPrefix(line, "query: listening on ")), "http://" + adminAddr
}

// timedGet returns the status of GET url (0 when the request failed or
// timed out) and how long it took.
func timedGet(t *testing.T, url string, timeout time.Duration) (int, time.Duration) {
	t.Helper()
	c := &http.Client{Timeout: timeout}
	start := time.Now()
	resp, err := c.Get(url)
	took := time.Since(start)
	if err != nil {
		return 0, took
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, took
}
