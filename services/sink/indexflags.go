package main

import (
	"fmt"
	"log/slog"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/flagenv"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/services/sink/internal/indexpub"
	"github.com/tension-dev/tension/services/sink/internal/sink"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// indexFlags are the flags of the index publisher, shared by `serve` (which
// publishes after every journal block) and `rebuild` (which publishes the
// buckets it corrected), so both publish the same way.
type indexFlags struct {
	topic, baseFrom, baseTo *string
	versions                *bool
}

func defineIndexFlags(fs *flagenv.Set) *indexFlags {
	f := &indexFlags{
		topic:    fs.TopicIndex("compacted topic of index updates (tension.index.v1); \"off\" publishes none"),
		versions: fs.Bool("index-versions", "SINK_INDEX_VERSIONS", false, "also publish each tagger version's own view (keys end in |tagger_version)"),
		baseFrom: fs.String("index-base-from", "SINK_INDEX_BASE_FROM", "", "start of the tension_index base period (YYYY-MM-DD or RFC 3339); without it tension_index is omitted"),
		baseTo:   fs.String("index-base-to", "SINK_INDEX_BASE_TO", "", "end of the tension_index base period, exclusive"),
	}
	fs.DeprecatedFlag("index-topic", "topic-index")
	return f
}

// enabled reports whether index updates are published at all.
func (f *indexFlags) enabled() bool { return *f.topic != "" && *f.topic != "off" }

// config checks the base period and returns the publisher's configuration.
func (f *indexFlags) config() (indexpub.Config, error) {
	cfg := indexpub.Config{Versions: *f.versions}
	if *f.baseFrom == "" && *f.baseTo == "" {
		return cfg, nil
	}
	var err error
	if cfg.BaseFrom, err = event.ParseTime(*f.baseFrom); err != nil {
		return cfg, fmt.Errorf("-index-base-from: %w", err)
	}
	if cfg.BaseTo, err = event.ParseTime(*f.baseTo); err != nil {
		return cfg, fmt.Errorf("-index-base-to: %w", err)
	}
	if !cfg.BaseFrom.Before(cfg.BaseTo) {
		return cfg, fmt.Errorf("-index-base-from %s must be before -index-base-to %s", cfg.BaseFrom, cfg.BaseTo)
	}
	return cfg, nil
}

// publisher returns the index publisher writing to the index topic and a
// function that closes its writer; a nil Index when publishing is off.
func (f *indexFlags) publisher(cfg indexpub.Config, brokers []string, st *store.Store, logger *slog.Logger) (sink.Index, func()) {
	if !f.enabled() {
		return nil, func() {}
	}
	w := kafkax.NewWriter(brokers, *f.topic, 0)
	return indexpub.New(cfg, st, w, logger.With("component", "indexpub")), func() { w.Close() }
}
