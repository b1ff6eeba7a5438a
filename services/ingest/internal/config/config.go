// Package config reads ingest's configuration from flags with environment
// fallbacks (the flag wins, then the variable, then a default that works with
// the local stack), including the bearer tokens from a list or a file.
package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/flagenv"
	"github.com/tension-dev/tension/pkg/kafkax"
)

// Config is everything run needs to wire the service.
type Config struct {
	Addr            string
	Brokers         []string
	Topic           string
	Partitions      int
	Tokens          []string
	InsecureNoAuth  bool
	MaxBody         int64
	MaxBatch        int
	MaxMessageBytes int
	PublishTimeout  time.Duration
	ReadyInterval   time.Duration
	ShutdownGrace   time.Duration
	LogLevel        string
}

// Parse parses args; getenv supplies the environment (os.Getenv in main).
// Usage and errors go to out. It refuses a configuration without tokens
// unless -insecure-no-auth is given.
func Parse(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var c Config
	fs := flagenv.New("ingest", getenv, out)
	addr := fs.String("addr", "INGEST_ADDR", "127.0.0.1:8080", "HTTP listen address")
	brokers := fs.String("brokers", "KAFKA_BROKERS", kafkax.DefaultBrokers, "Kafka bootstrap brokers, comma-separated")
	topic := fs.String("topic", "INGEST_TOPIC", event.TopicRaw, "topic articles are published to")
	partitions := fs.Int("partitions", "KAFKA_PARTITIONS", 6, "partitions of the topics created at start")
	tokens := fs.String("tokens", "TENSION_TOKENS", "", "accepted bearer tokens, comma-separated")
	tokensFile := fs.String("tokens-file", "TENSION_TOKENS_FILE", "", "file of accepted bearer tokens, one per line, # comments")
	maxBody := fs.Int("max-body", "INGEST_MAX_BODY", 8<<20, "largest request body in bytes (413 above)")
	maxBatch := fs.Int("max-batch", "INGEST_MAX_BATCH", 5000, "most articles in one request (413 above)")
	maxMsg := fs.Int("max-message-bytes", "INGEST_MAX_MESSAGE_BYTES", 1_000_000,
		"largest encoded article published to Kafka, and the writer's batch size in bytes; keep it under the broker's message.max.bytes")
	publishTimeout := fs.Duration("publish-timeout", "INGEST_PUBLISH_TIMEOUT", 10*time.Second, "how long a request waits for Kafka to acknowledge (503 after)")
	readyInterval := fs.Duration("ready-interval", "INGEST_READY_INTERVAL", 5*time.Second, "how often /readyz re-checks Kafka")
	grace := fs.Duration("shutdown-grace", "INGEST_SHUTDOWN_GRACE", 20*time.Second, "how long shutdown waits for in-flight requests")
	logLevel := fs.String("log-level", "LOG_LEVEL", "info", "debug, info, warn or error")
	insecure := fs.Bool("insecure-no-auth", false, "accept requests without a token (local experiments only)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	c = Config{
		Addr:            *addr,
		Brokers:         kafkax.Brokers(*brokers),
		Topic:           *topic,
		Partitions:      *partitions,
		InsecureNoAuth:  *insecure,
		MaxBody:         int64(*maxBody),
		MaxBatch:        *maxBatch,
		MaxMessageBytes: *maxMsg,
		PublishTimeout:  *publishTimeout,
		ReadyInterval:   *readyInterval,
		ShutdownGrace:   *grace,
		LogLevel:        *logLevel,
	}
	c.Tokens = splitTokens(*tokens)
	if *tokensFile != "" {
		fromFile, err := ReadTokensFile(*tokensFile)
		if err != nil {
			return c, err
		}
		c.Tokens = append(c.Tokens, fromFile...)
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
	if c.MaxBody < 1 {
		errs = append(errs, errors.New("-max-body: must be positive"))
	}
	if c.MaxBatch < 1 {
		errs = append(errs, errors.New("-max-batch: must be positive"))
	}
	if c.MaxMessageBytes < 1024 {
		errs = append(errs, errors.New("-max-message-bytes: must be at least 1024"))
	}
	if len(c.Tokens) == 0 && !c.InsecureNoAuth {
		errs = append(errs, errors.New("no bearer tokens: set -tokens / TENSION_TOKENS or -tokens-file / TENSION_TOKENS_FILE (or -insecure-no-auth for local experiments)"))
	}
	return c, errors.Join(errs...)
}

func splitTokens(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// ReadTokensFile reads one token per line; blank lines and lines starting
// with # are ignored, surrounding spaces trimmed. A token with inner
// whitespace is an error with the line number (it could never match a
// Bearer header).
func ReadTokensFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.ContainsAny(line, " \t") {
			return nil, fmt.Errorf("tokens file %s:%d: a token must not contain spaces", path, n)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokens file %s: %w", path, err)
	}
	return out, nil
}
