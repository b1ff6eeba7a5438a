package chstore

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/tension-dev/tension/pkg/flagenv"
)

// Role says which ClickHouse user a service connects as: writers (sink,
// backfill reprocess, sink rebuild) create, migrate and insert; the reader
// (query) only reads, as a user whose profile is read-only.
type Role int

const (
	Writer Role = iota
	Reader
)

// Default user names, as the local platform (platform/clickhouse) and
// docker-compose.yml create them.
const (
	DefaultWriterUser = "tension"
	DefaultReaderUser = "tension_query"
)

// Flags are the ClickHouse connection settings, defined the same way in
// every service that connects. The reader's credentials have their own
// variables (CLICKHOUSE_READ_*), so one environment can hold both.
type Flags struct {
	addr, db, user, password, passwordFile, cluster, compression *string
	dialTimeout                                                  *time.Duration
	uncompressedCache                                            *bool
	role                                                         Role
}

// DefineFlags defines -clickhouse, -database, -clickhouse-user,
// -clickhouse-password, -clickhouse-password-file, -clickhouse-cluster,
// -clickhouse-compression, -clickhouse-dial-timeout and
// -clickhouse-uncompressed-cache on fs.
func DefineFlags(fs *flagenv.Set, role Role) *Flags {
	userEnv, pwEnv, pwFileEnv, user := "CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD", "CLICKHOUSE_PASSWORD_FILE", DefaultWriterUser
	if role == Reader {
		userEnv, pwEnv, pwFileEnv, user = "CLICKHOUSE_READ_USER", "CLICKHOUSE_READ_PASSWORD", "CLICKHOUSE_READ_PASSWORD_FILE", DefaultReaderUser
	}
	return &Flags{
		role:         role,
		addr:         fs.String("clickhouse", "CLICKHOUSE_ADDR", DefaultAddr, "ClickHouse native-protocol host:port"),
		db:           fs.String("database", "CLICKHOUSE_DB", DefaultDatabase, "ClickHouse database"),
		user:         fs.String("clickhouse-user", userEnv, user, "ClickHouse user"),
		password:     fs.String("clickhouse-password", pwEnv, "", "ClickHouse password (prefer -clickhouse-password-file: a flag shows in the process list)"),
		passwordFile: fs.String("clickhouse-password-file", pwFileEnv, "", "file holding the ClickHouse password (first line)"),
		cluster: fs.String("clickhouse-cluster", "CLICKHOUSE_CLUSTER", "",
			"cluster name in the servers' remote_servers: migrations create replicated tables on its every replica (empty: one server)"),
		compression: fs.String("clickhouse-compression", "CLICKHOUSE_COMPRESSION", CompressionAuto,
			"compression of the data sent to and from ClickHouse: lz4, zstd, none, or auto (none when every -clickhouse address is a loopback one, as clickhouse-client does; lz4 otherwise)"),
		dialTimeout: fs.Duration("clickhouse-dial-timeout", "CLICKHOUSE_DIAL_TIMEOUT", DefaultDialTimeout,
			"time limit to connect and log in to ClickHouse, and to get a pooled connection; keep it far below query timeouts so a stalled server is noticed fast"),
		uncompressedCache: fs.Bool("clickhouse-uncompressed-cache", "CLICKHOUSE_UNCOMPRESSED_CACHE", true,
			"let ClickHouse serve this service's small reads from its cache of decompressed blocks (use_uncompressed_cache; the server bounds the cache with uncompressed_cache_size)"),
	}
}

// Config returns the connection settings, reading the password file.
func (f *Flags) Config() (Config, error) {
	c := Config{Addr: *f.addr, Database: *f.db, Username: *f.user, Password: *f.password, DialTimeout: *f.dialTimeout,
		Cluster: *f.cluster, Compression: *f.compression, NoUncompressedCache: !*f.uncompressedCache}
	if _, err := compression(c); err != nil {
		return c, fmt.Errorf("-clickhouse-compression: %w", err)
	}
	if *f.passwordFile != "" {
		if *f.password != "" {
			return c, errors.New("-clickhouse-password and -clickhouse-password-file: set one, not both")
		}
		pw, err := ReadPasswordFile(*f.passwordFile)
		if err != nil {
			return c, err
		}
		c.Password = pw
	}
	if c.DialTimeout <= 0 {
		return c, errors.New("-clickhouse-dial-timeout: must be positive")
	}
	return c, nil
}

// ReadPasswordFile returns the first line of path, without surrounding
// spaces; an empty password is an error (a file that is there to be used
// must hold one).
func ReadPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("clickhouse password file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pw := strings.TrimSpace(line)
	if pw == "" {
		return "", fmt.Errorf("clickhouse password file %s: empty", path)
	}
	return pw, nil
}
