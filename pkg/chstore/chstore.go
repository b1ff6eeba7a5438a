// Package chstore is the ClickHouse plumbing shared by the services: opening
// a native-protocol connection that works with ClickHouse 18.16 (Debian) and
// 25.x, and applying the numbered migrations in schemas/migrations. The SQL
// that a service runs lives with that service.
package chstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Config says where ClickHouse is. Zero values take the local stack's
// defaults.
type Config struct {
	Addr        string // host:port of the native protocol; default 127.0.0.1:9000
	Database    string // default "tension"
	Username    string // default "default"
	Password    string
	DialTimeout time.Duration // default 5s
	MaxConns    int           // default 8
}

func (c *Config) defaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:9000"
	}
	if c.Database == "" {
		c.Database = "tension"
	}
	if c.Username == "" {
		c.Username = "default"
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.MaxConns == 0 {
		c.MaxConns = 8
	}
}

// ErrUnavailable wraps failures to reach the server, so callers can answer
// 503 or retry rather than treat the request as bad.
var ErrUnavailable = errors.New("clickhouse unavailable")

// Open connects to cfg.Database, creating it first if it does not exist.
// Settings sent are int or bool only: 18.16 rejects string settings from
// this client.
func Open(ctx context.Context, cfg Config) (driver.Conn, error) {
	cfg.defaults()
	if err := createDatabase(ctx, cfg); err != nil {
		return nil, err
	}
	conn, err := open(cfg, cfg.Database)
	if err != nil {
		return nil, err
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w: ping %s: %w", ErrUnavailable, cfg.Addr, err)
	}
	return conn, nil
}

func open(cfg Config, database string) (driver.Conn, error) {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:             []string{cfg.Addr},
		Auth:             clickhouse.Auth{Database: database, Username: cfg.Username, Password: cfg.Password},
		DialTimeout:      cfg.DialTimeout,
		MaxOpenConns:     cfg.MaxConns,
		MaxIdleConns:     cfg.MaxConns,
		ConnMaxLifetime:  time.Hour,
		Compression:      &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
		ReadTimeout:      60 * time.Second,
		BlockBufferSize:  4,
		ConnOpenStrategy: clickhouse.ConnOpenInOrder,
		// Bound parameters are spliced client-side into the query text, so
		// a batch's IN list can pass the 256 KiB default. Int settings are
		// the only kind 18.16 accepts from this client.
		Settings: clickhouse.Settings{"max_query_size": 64 << 20},
	})
	if err != nil {
		return nil, fmt.Errorf("chstore: open %s: %w", cfg.Addr, err)
	}
	return conn, nil
}

func createDatabase(ctx context.Context, cfg Config) error {
	conn, err := open(cfg, "default")
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("%w: ping %s: %w (start it with `make up`)", ErrUnavailable, cfg.Addr, err)
	}
	if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(cfg.Database)); err != nil {
		return fmt.Errorf("chstore: create database %s: %w", cfg.Database, err)
	}
	return nil
}

// quoteIdent quotes an identifier that comes from configuration, never from
// a request.
func quoteIdent(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '`')
	for i := 0; i < len(s); i++ {
		if s[i] == '`' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(append(b, '`'))
}
