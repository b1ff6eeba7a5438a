package chstore

import (
	"context"
	"net"
	"sync/atomic"
	"time"
)

// DefaultWriteTimeout bounds one write to the server (Config.WriteTimeout).
const DefaultWriteTimeout = 60 * time.Second

// writeBoundedConn is a connection to the server on which every write must
// finish within timeout. clickhouse-go interrupts a write only when an
// INSERT's Send or a query's context ends, and sets no write deadline
// otherwise: the blocks an INSERT sends before its Send (Batch.Flush) would
// wait, on a server that stopped reading, until TCP gave up (minutes), and
// a shutdown with them. A deadline the driver sets itself (from a context's
// deadline) still holds when it is sooner.
type writeBoundedConn struct {
	net.Conn
	timeout time.Duration
	// driverDeadline is the write deadline the driver set, in Unix
	// nanoseconds; 0 for none. Atomic: the driver may set it from
	// another goroutine than the one writing.
	driverDeadline atomic.Int64
}

// dialWriteBounded dials addr within dialTimeout (and ctx) and bounds the
// connection's writes to writeTimeout.
func dialWriteBounded(ctx context.Context, addr string, dialTimeout, writeTimeout time.Duration) (net.Conn, error) {
	conn, err := (&net.Dialer{Timeout: dialTimeout}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &writeBoundedConn{Conn: conn, timeout: writeTimeout}, nil
}

func (c *writeBoundedConn) Write(p []byte) (int, error) {
	deadline := time.Now().Add(c.timeout)
	if d := c.driverDeadline.Load(); d != 0 && d < deadline.UnixNano() {
		deadline = time.Unix(0, d)
	}
	if err := c.Conn.SetWriteDeadline(deadline); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

func (c *writeBoundedConn) SetDeadline(t time.Time) error {
	c.remember(t)
	return c.Conn.SetDeadline(t)
}

func (c *writeBoundedConn) SetWriteDeadline(t time.Time) error {
	c.remember(t)
	return c.Conn.SetWriteDeadline(t)
}

func (c *writeBoundedConn) remember(t time.Time) {
	if t.IsZero() {
		c.driverDeadline.Store(0)
		return
	}
	c.driverDeadline.Store(t.UnixNano())
}
