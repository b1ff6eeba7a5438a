package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/pkg/flagenv"
	"github.com/tension-dev/tension/pkg/kafkax"
)

// config is the follower's configuration (flags with environment
// fallbacks, see README "Configuration").
type config struct {
	sources         string
	statePath       string
	contactURL      string
	adminAddr       string
	adminTokens     []string
	brokers         []string
	topicRaw        string
	topicDLQ        string
	partitions      int
	replication     int
	minISR          int
	concurrency     int
	hostConcurrency int
	hostInterval    time.Duration
	fetchTimeout    time.Duration
	maxFeedBytes    int
	maxPageBytes    int
	maxRedirects    int
	robotsTTL       time.Duration
	maxBackoff      time.Duration
	minInterval     time.Duration
	defaultInterval time.Duration
	maxItems        int
	pollBudget      time.Duration
	pageAttempts    int
	allowPrivate    bool
	publishTimeout  time.Duration
	readyInterval   time.Duration
	shutdownGrace   time.Duration
	once            bool
	logLevel        string
}

// parseConfig parses args. check is the `follow check` form: only what
// validating the sources file needs is required.
func parseConfig(args []string, getenv func(string) string, out io.Writer, check bool) (config, error) {
	var c config
	name := "follow"
	if check {
		name = "follow check"
	}
	fs := flagenv.New(name, getenv, out)
	sourcesPath := fs.String("sources", "FOLLOW_SOURCES", "", "the sources file: one feed per line, tab-separated (url, name, lang, interval, full_text; see README)")
	minInterval := fs.Duration("min-interval", "FOLLOW_MIN_INTERVAL", time.Minute, "shortest poll interval the sources file may ask for")
	defInterval := fs.Duration("default-interval", "FOLLOW_DEFAULT_INTERVAL", 15*time.Minute, "poll interval of a source whose interval is \"-\"")
	if check {
		if err := fs.Parse(args); err != nil {
			return c, err
		}
		if fs.NArg() == 1 && *sourcesPath == "" {
			*sourcesPath = fs.Arg(0)
		} else if fs.NArg() > 0 {
			return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
		}
		c.sources, c.minInterval, c.defaultInterval = *sourcesPath, *minInterval, *defInterval
		if c.sources == "" {
			return c, errors.New("no sources file: follow check FILE (or -sources / FOLLOW_SOURCES)")
		}
		return c, nil
	}
	statePath := fs.String("state", "FOLLOW_STATE", ".follow-state", "state directory, one file per feed (what was seen, validators, schedule), rewritten atomically after every poll and published batch")
	contact := fs.String("contact-url", "FOLLOW_CONTACT_URL", "", "where site owners reach whoever runs the follower (an http(s) URL or mailto:), sent in the User-Agent; required")
	adminFlags := admin.DefineFlags(fs, "FOLLOW", "127.0.0.1:8086", false)
	brokers := fs.Brokers()
	topicRaw := fs.TopicRaw()
	topicDLQ := fs.TopicDLQ()
	partitions := fs.Partitions()
	replication := fs.ReplicationFactor()
	minISR := fs.MinInsyncReplicas()
	concurrency := fs.Int("concurrency", "FOLLOW_CONCURRENCY", 8, "feeds polled at once")
	hostConc := fs.Int("host-concurrency", "FOLLOW_HOST_CONCURRENCY", 2, "requests in flight to one host at most")
	hostInterval := fs.Duration("host-interval", "FOLLOW_HOST_INTERVAL", time.Second, "least time between two requests to one host (a longer robots.txt Crawl-delay wins, up to 1m)")
	fetchTimeout := fs.Duration("fetch-timeout", "FOLLOW_FETCH_TIMEOUT", 30*time.Second, "time limit of one request, its body included")
	maxFeed := fs.Int("max-feed-bytes", "FOLLOW_MAX_FEED_BYTES", 8<<20, "largest feed document read (larger: an error, nothing read beyond)")
	maxPage := fs.Int("max-page-bytes", "FOLLOW_MAX_PAGE_BYTES", 4<<20, "largest article page read (larger: the feed's text is used)")
	maxRedirects := fs.Int("max-redirects", "FOLLOW_MAX_REDIRECTS", 5, "redirects followed per request")
	robotsTTL := fs.Duration("robots-ttl", "FOLLOW_ROBOTS_TTL", 24*time.Hour, "how long a host's robots.txt is kept")
	maxBackoff := fs.Duration("max-backoff", "FOLLOW_MAX_BACKOFF", 6*time.Hour, "longest wait between polls of a failing feed (the interval doubles per failure up to this)")
	maxItems := fs.Int("max-items", "FOLLOW_MAX_ITEMS", 500, "new items handled per poll (more: the next poll follows at once)")
	pollBudget := fs.Duration("poll-budget", "FOLLOW_POLL_BUDGET", 10*time.Minute, "time after which a poll starts no further item (the rest: the next poll follows at once), so slow pages cannot hold a poll slot for hours")
	pageAttempts := fs.Int("page-attempts", "FOLLOW_PAGE_ATTEMPTS", 3, "polls that try a page failing transiently (5xx, timeout) before the feed's own text is used")
	allowPrivate := fs.Bool("allow-private-addresses", "FOLLOW_ALLOW_PRIVATE_ADDRESSES", false,
		"let pages linked from feeds be fetched from loopback, private and link-local addresses (the hosts of the sources file always may)")
	publishTimeout := fs.Duration("publish-timeout", "FOLLOW_PUBLISH_TIMEOUT", 30*time.Second, "how long a publish waits for Kafka's acknowledgement")
	readyInterval := fs.Duration("ready-interval", "FOLLOW_READY_INTERVAL", 5*time.Second, "how often /readyz re-checks Kafka")
	grace := fs.Duration("shutdown-grace", "FOLLOW_SHUTDOWN_GRACE", 30*time.Second, "how long shutdown waits for polls in flight")
	once := fs.FlagSet.Bool("once", false, "poll every source once, publish, write the state and exit (non-zero when a poll failed); for cron and checks")
	level := fs.LogLevel()
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	c = config{
		sources: *sourcesPath, statePath: *statePath, contactURL: strings.TrimSpace(*contact), adminAddr: adminFlags.Addr(),
		brokers: flagenv.List(*brokers), topicRaw: *topicRaw, topicDLQ: *topicDLQ, partitions: *partitions,
		replication: *replication, minISR: *minISR,
		concurrency: *concurrency, hostConcurrency: *hostConc, hostInterval: *hostInterval, fetchTimeout: *fetchTimeout,
		maxFeedBytes: *maxFeed, maxPageBytes: *maxPage, maxRedirects: *maxRedirects, robotsTTL: *robotsTTL,
		maxBackoff: *maxBackoff, minInterval: *minInterval, defaultInterval: *defInterval, maxItems: *maxItems, pollBudget: *pollBudget,
		pageAttempts: *pageAttempts, allowPrivate: *allowPrivate, publishTimeout: *publishTimeout,
		readyInterval: *readyInterval, shutdownGrace: *grace, once: *once, logLevel: *level,
	}
	var err error
	if c.adminTokens, err = adminFlags.Tokens(); err != nil {
		return c, err
	}
	var errs []error
	if c.sources == "" {
		errs = append(errs, errors.New("-sources: no sources file (FOLLOW_SOURCES); samples/feeds/sources.tsv is an example"))
	}
	if c.statePath == "" {
		errs = append(errs, errors.New("-state: empty"))
	}
	if err := checkContact(c.contactURL); err != nil {
		errs = append(errs, err)
	}
	if len(c.brokers) == 0 {
		errs = append(errs, errors.New("-brokers: empty"))
	}
	if c.topicRaw == "" || c.topicDLQ == "" {
		errs = append(errs, errors.New("-topic-raw and -topic-dlq: must not be empty"))
	}
	if err := c.topics().Check(); err != nil {
		errs = append(errs, err)
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"partitions", c.partitions}, {"concurrency", c.concurrency}, {"host-concurrency", c.hostConcurrency},
		{"max-feed-bytes", c.maxFeedBytes}, {"max-page-bytes", c.maxPageBytes}, {"max-redirects", c.maxRedirects},
		{"max-items", c.maxItems}, {"page-attempts", c.pageAttempts}} {
		if p.v < 1 {
			errs = append(errs, fmt.Errorf("-%s: must be at least 1", p.name))
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"host-interval", c.hostInterval}, {"fetch-timeout", c.fetchTimeout}, {"robots-ttl", c.robotsTTL}, {"max-backoff", c.maxBackoff},
		{"min-interval", c.minInterval}, {"default-interval", c.defaultInterval}, {"publish-timeout", c.publishTimeout},
		{"ready-interval", c.readyInterval}, {"shutdown-grace", c.shutdownGrace}, {"poll-budget", c.pollBudget}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("-%s: must be positive", d.name))
		}
	}
	return c, errors.Join(errs...)
}

// checkContact requires a contact site owners can use: polite crawlers
// say who runs them.
func checkContact(s string) error {
	if s == "" {
		return errors.New("-contact-url: required (FOLLOW_CONTACT_URL): a URL or mailto: where site owners can reach whoever runs this follower; it is sent in the User-Agent")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("-contact-url %q: %w", s, err)
	case u.Scheme == "mailto" && u.Opaque != "":
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
	default:
		return fmt.Errorf("-contact-url %q: want an http(s) URL or mailto:address", s)
	}
	if strings.ContainsAny(s, "()\r\n") {
		return fmt.Errorf("-contact-url %q: no parentheses or line breaks (it goes into the User-Agent header)", s)
	}
	return nil
}

// topics are the topic settings the follower creates its topics with, the
// same as every service's (kafkax.TopicSettings).
func (c config) topics() kafkax.TopicSettings {
	return kafkax.TopicSettings{Partitions: c.partitions, ReplicationFactor: c.replication, MinInsyncReplicas: c.minISR}
}
