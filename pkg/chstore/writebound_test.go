package chstore

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// stalledServer accepts connections and never reads from them, as a server
// that stopped (SIGSTOP, a full disk, a partition) does once the socket
// buffers are full.
func stalledServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return ln.Addr().String()
}

// writeUntilError writes to conn until a write fails, and returns that
// error; it fails the test if none does within a generous time.
func writeUntilError(t *testing.T, conn net.Conn) error {
	t.Helper()
	chunk := make([]byte, 1<<20)
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if _, err := conn.Write(chunk); err != nil {
			return err
		}
	}
	t.Fatal("writes to a server that reads nothing did not fail within 2 minutes")
	return nil
}

func TestWriteBoundedConnTimesOut(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		// driver is the deadline the driver sets before writing (zero:
		// none), relative to now.
		driver time.Duration
	}{
		{"own timeout", 200 * time.Millisecond, 0},
		{"the driver's sooner deadline", time.Hour, 200 * time.Millisecond},
		{"own timeout sooner than the driver's", 200 * time.Millisecond, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := dialWriteBounded(context.Background(), stalledServer(t), 5*time.Second, tt.timeout)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if tt.driver != 0 {
				if err := conn.SetDeadline(time.Now().Add(tt.driver)); err != nil {
					t.Fatal(err)
				}
			}
			if err := writeUntilError(t, conn); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("write error = %v, want a deadline exceeded", err)
			}
		})
	}
}

// TestWriteBoundedConnClearedDeadline: once the driver clears its deadline
// (SetDeadline of the zero time), writes are bounded by the timeout again,
// not left unbounded and not held to the cleared deadline.
func TestWriteBoundedConnClearedDeadline(t *testing.T) {
	conn, err := dialWriteBounded(context.Background(), stalledServer(t), 5*time.Second, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	past := time.Now().Add(-time.Second)
	if err := conn.SetDeadline(past); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write past the driver's deadline: %v, want a deadline exceeded", err)
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("x")); err != nil {
		t.Fatalf("write after the driver cleared its deadline: %v", err)
	}
	if err := writeUntilError(t, conn); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write error = %v, want a deadline exceeded", err)
	}
}
