// Package chstore is the ClickHouse plumbing shared by the services: opening
// a native-protocol connection that works with ClickHouse 18.16 (Debian) and
// 25.x, and applying the numbered migrations in schemas/migrations. The SQL
// that a service runs lives with that service.
package chstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Defaults of the local stack.
const (
	DefaultAddr        = "127.0.0.1:9000"
	DefaultDatabase    = "tension"
	DefaultDialTimeout = 2 * time.Second
	DefaultReadTimeout = 60 * time.Second
)

// Config says where ClickHouse is and who connects. Zero values take the
// local stack's defaults.
type Config struct {
	// Addr is host:port of the native protocol (default 127.0.0.1:9000),
	// or several, comma-separated: the replicas of one shard, tried in
	// order, so every client of a cluster writes to and reads from the
	// first replica that answers (docs/scaling.md).
	Addr     string
	Database string // default "tension"
	Username string // default "tension" (DefaultWriterUser)
	Password string
	// DialTimeout bounds connecting, logging in and waiting for a pooled
	// connection (default 2 s): a stalled server fails fast instead of
	// holding a request for its whole query timeout.
	DialTimeout time.Duration
	// ReadTimeout bounds one read from the server (default 60 s); a
	// running query sends progress packets well within it.
	ReadTimeout time.Duration
	// WriteTimeout bounds one write to the server (default 60 s): a
	// server that stops reading fails the query instead of holding it.
	WriteTimeout time.Duration
	MaxConns     int // default 8
	// Cluster, when set, is the cluster's name in the servers'
	// remote_servers: the migrations then create Replicated*MergeTree tables
	// on every replica it lists (Migrate, ReplicatedDDL).
	Cluster string
	// Compression of the data blocks: CompressionAuto (the default: none
	// when every address is a loopback one, else LZ4), CompressionLZ4,
	// CompressionZSTD or CompressionNone.
	Compression string
	// NoUncompressedCache turns off the server's cache of decompressed
	// blocks for this client's reads (use_uncompressed_cache: on by
	// default here, off in ClickHouse). The services read the same few
	// granules of the newest parts over and over (the sink's ledger,
	// article-key and bucket-state reads of every batch, the query API's
	// recent buckets), and decompressed them again each time; a read of
	// more rows than merge_tree_max_rows_to_use_cache (a million) bypasses
	// the cache, and the server bounds it (uncompressed_cache_size).
	NoUncompressedCache bool
}

func (c *Config) defaults() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.Username == "" {
		c.Username = DefaultWriterUser
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MaxConns == 0 {
		c.MaxConns = 8
	}
}

// ErrLogin wraps a login the server refused (unknown user, wrong or
// missing password): a configuration error, never worth a retry.
var ErrLogin = errors.New("clickhouse refused the login")

// ErrUnavailable wraps failures to reach the server, so callers can answer
// 503 or retry rather than treat the request as bad.
var ErrUnavailable = errors.New("clickhouse unavailable")

// Open connects to cfg.Database, creating it first if it does not exist
// (writers; the reader uses Connect). Settings sent are int or bool only:
// 18.16 rejects string settings from this client.
func Open(ctx context.Context, cfg Config) (driver.Conn, error) {
	cfg.defaults()
	if err := createDatabase(ctx, cfg); err != nil {
		return nil, err
	}
	return Connect(ctx, cfg)
}

// Connect connects to cfg.Database, which must exist, and pings it.
func Connect(ctx context.Context, cfg Config) (driver.Conn, error) {
	cfg.defaults()
	conn, err := open(cfg, cfg.Database)
	if err != nil {
		return nil, err
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, pingError(cfg, err)
	}
	return conn, nil
}

// ClickHouse exception codes Connect explains.
const (
	codeUnknownDatabase      = 81
	codeUnknownUser          = 192
	codeWrongPassword        = 193
	codeRequiredPassword     = 194
	codeAuthenticationFailed = 516
)

// pingError says what a failed first ping means: a login the server
// refused is a configuration error (not ErrUnavailable, so nobody retries
// it); anything else is the server being unreachable.
func pingError(cfg Config, err error) error {
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		switch ex.Code {
		case codeUnknownUser, codeWrongPassword, codeRequiredPassword, codeAuthenticationFailed:
			return fmt.Errorf("chstore: %w: ClickHouse at %s refused user %q: %w (set -clickhouse-user and -clickhouse-password-file)", ErrLogin, cfg.Addr, cfg.Username, err)
		case codeUnknownDatabase:
			return fmt.Errorf("chstore: database %s does not exist on %s: %w (the sink creates and migrates it)", cfg.Database, cfg.Addr, err)
		}
		return fmt.Errorf("chstore: ping %s: %w", cfg.Addr, err)
	}
	return fmt.Errorf("%w: ping %s: %w (start it with `make up`)", ErrUnavailable, cfg.Addr, err)
}

// ReadOnly reports whether the connection's user may not write (its profile
// sets readonly): such a user reads a migrated database and never runs DDL.
func ReadOnly(ctx context.Context, conn driver.Conn) (bool, error) {
	var v string
	if err := conn.QueryRow(ctx, "SELECT value FROM system.settings WHERE name = 'readonly'").Scan(&v); err != nil {
		return false, fmt.Errorf("chstore: read the readonly setting: %w", err)
	}
	return v != "0", nil
}

func open(cfg Config, database string) (driver.Conn, error) {
	compress, err := compression(cfg)
	if err != nil {
		return nil, err
	}
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        Addrs(cfg.Addr),
		Auth:        clickhouse.Auth{Database: database, Username: cfg.Username, Password: cfg.Password},
		DialTimeout: cfg.DialTimeout,
		DialContext: func(ctx context.Context, addr string) (net.Conn, error) {
			return dialWriteBounded(ctx, addr, cfg.DialTimeout, cfg.WriteTimeout)
		},
		ReadTimeout:     cfg.ReadTimeout,
		MaxOpenConns:    cfg.MaxConns,
		MaxIdleConns:    cfg.MaxConns,
		ConnMaxLifetime: time.Hour,
		Compression:     compress,
		BlockBufferSize: 4,
		// A connection otherwise keeps its largest encode and compression
		// buffers for life: after inserts of 1 MB articles every pooled
		// connection held ~2 × the largest block (measured: the sink's
		// peak RSS 548 MiB → see make bench-memory).
		FreeBufOnConnRelease: true,
		// An INSERT's block is compressed and sent whenever the encoded
		// columns reach this size, and the buffer is reused for the next
		// ones: at the 10 MiB default it grew, by doubling, to hold several
		// columns of a batch (~6 % of the sink's CPU copying); now it holds
		// about the largest column.
		MaxCompressionBuffer: 1 << 20,
		ConnOpenStrategy:     clickhouse.ConnOpenInOrder,
		Settings:             settings(cfg),
	})
	if err != nil {
		return nil, fmt.Errorf("chstore: open %s: %w", cfg.Addr, err)
	}
	return conn, nil
}

// settings are the query settings sent with every query of a connection.
// Bound parameters are spliced client-side into the query text, so a
// batch's IN list can pass the 256 KiB default of max_query_size. Int
// settings are the only kind 18.16 accepts from this client.
func settings(cfg Config) clickhouse.Settings {
	cache := 1
	if cfg.NoUncompressedCache {
		cache = 0 // said outright: a profile may turn it on
	}
	return clickhouse.Settings{"max_query_size": 64 << 20, "use_uncompressed_cache": cache}
}

// Addrs splits a comma-separated address list.
func Addrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func createDatabase(ctx context.Context, cfg Config) error {
	conn, err := open(cfg, "default")
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Ping(ctx); err != nil {
		return pingError(cfg, err)
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
