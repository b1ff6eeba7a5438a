// Package store is the query service's ClickHouse SQL: the reads behind the
// HTTP API and nothing else. Every value a caller passes reaches ClickHouse
// through the driver's parameter binding (`?`), never through string
// formatting here; the SQL text is constant. Reads follow the table
// contracts in schemas/migrations: index_journal is summed with GROUP BY
// (the merge state is never trusted) and the ReplacingMergeTree raw tables
// are read with ORDER BY version DESC + LIMIT 1 BY, so duplicates that have
// not merged yet are never counted twice. The SQL runs on ClickHouse 18.16
// and 25.x.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/chstore"
)

// Store runs the API's queries on one ClickHouse connection pool.
type Store struct {
	conn    driver.Conn
	timeout time.Duration
}

// New returns a Store on conn. timeout bounds every query on the server
// (max_execution_time, whole seconds, at least 1) as well as on the client
// through the caller's context; 0 means 30s.
func New(conn driver.Conn, timeout time.Duration) *Store {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &Store{conn: conn, timeout: timeout}
}

// Ping checks that ClickHouse answers. The error wraps
// chstore.ErrUnavailable when it does not.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return classify("ping", err)
	}
	return nil
}

// ctx adds the server-side time limit. Only int settings are sent:
// ClickHouse 18.16 rejects string settings from clickhouse-go.
func (s *Store) ctx(ctx context.Context) context.Context {
	secs := int(s.timeout / time.Second)
	if secs < 1 {
		secs = 1
	}
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_execution_time": secs}))
}

// query runs sql with args and calls scan for every row.
func (s *Store) query(ctx context.Context, op, sql string, scan func(driver.Rows) error, args ...any) error {
	rows, err := s.conn.Query(s.ctx(ctx), sql, args...)
	if err != nil {
		return classify(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("store: %s: scan: %w", op, err)
		}
	}
	if err := rows.Err(); err != nil {
		return classify(op, err)
	}
	return nil
}

// unix is how times are bound: toDateTime(?) with whole seconds since the
// epoch is unambiguous whatever the server's time zone, on 18.16 and 25.x.
func unix(t time.Time) int64 { return t.Unix() }

// ClickHouse exception codes that mean "try again later" rather than "this
// query is wrong".
const (
	codeTimeoutExceeded     = 159
	codeTooSlow             = 160
	codeTooManyQueries      = 202
	codeNoFreeConnection    = 203
	codeSocketTimeout       = 209
	codeNetworkError        = 210
	codeMemoryLimitExceeded = 241
	codeQueryWasCancelled   = 394
)

// ErrNotFound is returned when the requested row does not exist.
var ErrNotFound = errors.New("store: not found")

// classify wraps err with the operation, and with chstore.ErrUnavailable
// when the server could not be reached or is overloaded, so the API answers
// 503 rather than 500. It branches on exception codes, never on message
// text. Context errors are passed through as they are.
func classify(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		switch ex.Code {
		case codeTimeoutExceeded, codeTooSlow, codeTooManyQueries, codeNoFreeConnection,
			codeSocketTimeout, codeNetworkError, codeMemoryLimitExceeded, codeQueryWasCancelled:
			return fmt.Errorf("store: %s: %w: %w", op, chstore.ErrUnavailable, err)
		}
		return fmt.Errorf("store: %s: %w", op, err)
	}
	// Not a server exception: the connection failed (dial, EOF, reset,
	// pool exhausted).
	return fmt.Errorf("store: %s: %w: %w", op, chstore.ErrUnavailable, err)
}
