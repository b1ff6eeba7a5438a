// Package config reads ingest's configuration from flags with environment
// fallbacks (the flag wins, then the variable, then a default that works with
// the local stack), including the bearer tokens from a list or a file.
package config

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/flagenv"
	"github.com/tension-dev/tension/pkg/httpapi"
	"github.com/tension-dev/tension/pkg/kafkax"
)

// Config is everything run needs to wire the service.
type Config struct {
	Addr              string
	AdminAddr         string
	AdminTokens       []string
	Brokers           []string
	Topic             string
	Partitions        int
	ReplicationFactor int
	MinInsyncReplicas int
	Tokens            []string
	InsecureNoAuth    bool
	MaxBody           int64
	MaxBatch          int
	MaxMessageBytes   int
	MaxInFlight       int
	PublishTimeout    time.Duration
	ReadyInterval     time.Duration
	ShutdownGrace     time.Duration
	LogLevel          string
	// Memory is the Go runtime's memory settings; run applies them.
	Memory admin.Runtime
}

// DefaultMemoryLimit is ingest's default Go soft memory limit. At its
// default admission (-max-inflight 16 requests of -max-body 8 MiB) ingest
// holds up to ~400 MiB live: the bodies, the decoded articles and their
// records; the limit bounds the heap that GOGC 300 lets grow past that.
// With Go's default GOGC of 100 and no limit, the small heap of ordinary
// requests was collected and returned to the system over and over: page
// faults were a third of ingest's CPU under make bench-e2e.
const DefaultMemoryLimit = 1 << 30

// Parse parses args; getenv supplies the environment (os.Getenv in main).
// Usage and errors go to out. It refuses a configuration without tokens
// unless -insecure-no-auth is given.
func Parse(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flagenv.New("ingest", getenv, out)
	addr := fs.String("addr", "INGEST_ADDR", "127.0.0.1:8080", "HTTP listen address")
	adminFlags := admin.DefineFlags(fs, "INGEST", "127.0.0.1:8084", false)
	brokers := fs.Brokers()
	fs.DeprecatedEnv("TOPIC_RAW", "INGEST_TOPIC")
	topic := fs.TopicRaw()
	fs.DeprecatedFlag("topic", "topic-raw")
	partitions := fs.Partitions()
	replication := fs.ReplicationFactor()
	minISR := fs.MinInsyncReplicas()
	fs.DeprecatedEnv("INGEST_TOKENS", "TENSION_TOKENS")
	fs.DeprecatedEnv("INGEST_TOKENS_FILE", "TENSION_TOKENS_FILE")
	tokens := fs.String("tokens", "INGEST_TOKENS", "", "accepted bearer tokens, comma-separated (16+ characters each; `ingest token` prints a new one)")
	tokensFile := fs.String("tokens-file", "INGEST_TOKENS_FILE", "", "file of accepted bearer tokens, one per line, # comments")
	maxBody := fs.Int("max-body", "INGEST_MAX_BODY", 8<<20, "largest request body in bytes (413 above)")
	maxBatch := fs.Int("max-batch", "INGEST_MAX_BATCH", 5000, "most articles in one request (413 above)")
	maxMsg := fs.Int("max-message-bytes", "INGEST_MAX_MESSAGE_BYTES", event.MaxArticleBytes,
		"largest article record published to Kafka (key, value and record overhead), and the writer's batch size in bytes; at most 500000, half the record limit, so its enriched record fits")
	maxInFlight := fs.Int("max-inflight", "INGEST_MAX_INFLIGHT", 16, "most requests served at once (503 with Retry-After above); bounds the memory bodies take")
	publishTimeout := fs.Duration("publish-timeout", "INGEST_PUBLISH_TIMEOUT", 10*time.Second, "how long a request waits for Kafka to acknowledge (503 after)")
	readyInterval := fs.Duration("ready-interval", "INGEST_READY_INTERVAL", 5*time.Second, "how often /readyz re-checks Kafka")
	grace := fs.Duration("shutdown-grace", "INGEST_SHUTDOWN_GRACE", 20*time.Second, "how long shutdown waits for in-flight requests")
	memory := admin.DefineRuntimeFlags(fs, "INGEST", getenv, DefaultMemoryLimit)
	logLevel := fs.LogLevel()
	insecure := fs.FlagSet.Bool("insecure-no-auth", false, "accept requests without a token (local experiments only; flag only, never from the environment)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	c = Config{
		Addr:              *addr,
		Brokers:           flagenv.List(*brokers),
		Topic:             *topic,
		Partitions:        *partitions,
		ReplicationFactor: *replication,
		MinInsyncReplicas: *minISR,
		InsecureNoAuth:    *insecure,
		MaxBody:           int64(*maxBody),
		MaxBatch:          *maxBatch,
		MaxMessageBytes:   *maxMsg,
		MaxInFlight:       *maxInFlight,
		AdminAddr:         adminFlags.Addr(),
		PublishTimeout:    *publishTimeout,
		ReadyInterval:     *readyInterval,
		ShutdownGrace:     *grace,
		LogLevel:          *logLevel,
		Memory:            memory,
	}
	var err error
	if c.Tokens, err = httpapi.LoadTokens("tokens", *tokens, *tokensFile); err != nil {
		return c, err
	}
	if c.AdminTokens, err = adminFlags.Tokens(); err != nil {
		return c, err
	}
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("-brokers: empty"))
	}
	if c.Topic == "" {
		errs = append(errs, errors.New("-topic: empty"))
	}
	if c.Partitions < 1 {
		errs = append(errs, errors.New("-partitions: must be at least 1"))
	}
	if err := c.Topics().Check(); err != nil {
		errs = append(errs, err)
	}
	if c.MaxBody < 1 {
		errs = append(errs, errors.New("-max-body: must be positive"))
	}
	if c.MaxBatch < 1 {
		errs = append(errs, errors.New("-max-batch: must be positive"))
	}
	if c.MaxInFlight < 1 {
		errs = append(errs, errors.New("-max-inflight: must be at least 1"))
	}
	if c.MaxMessageBytes < 1024 {
		errs = append(errs, errors.New("-max-message-bytes: must be at least 1024"))
	}
	if c.MaxMessageBytes > event.MaxArticleBytes {
		errs = append(errs, fmt.Errorf("-max-message-bytes: must be at most %d: the enriched record of a larger article may not fit the %d-byte record limit", event.MaxArticleBytes, event.MaxRecordBytes))
	}
	if len(c.Tokens) == 0 && !c.InsecureNoAuth {
		errs = append(errs, errors.New("no bearer tokens: set -tokens / INGEST_TOKENS or -tokens-file / INGEST_TOKENS_FILE (or -insecure-no-auth for local experiments)"))
	}
	return c, errors.Join(errs...)
}

// Topics are the settings of the topics ingest creates at start.
func (c Config) Topics() kafkax.TopicSettings {
	return kafkax.TopicSettings{Partitions: c.Partitions, ReplicationFactor: c.ReplicationFactor, MinInsyncReplicas: c.MinInsyncReplicas}
}
