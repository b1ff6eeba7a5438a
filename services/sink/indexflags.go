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
	topic, cellsTopic, baseFrom, baseTo *string
	versions, cells                     *bool
}

func defineIndexFlags(fs *flagenv.Set) *indexFlags {
	f := &indexFlags{
		topic:      fs.TopicIndex("compacted topic of index updates (tension.index.v1); \"off\" publishes none"),
		versions:   fs.Bool("index-versions", "SINK_INDEX_VERSIONS", false, "also publish each tagger version's own view (keys end in |tagger_version)"),
		cells:      fs.Bool("index-cells", "SINK_INDEX_CELLS", false, "also publish the index split's cells (acting side, source type, language) to -topic-index-cells"),
		cellsTopic: fs.String("topic-index-cells", "TOPIC_INDEX_CELLS", event.TopicIndexCells, "compacted topic of the split's cell updates (with -index-cells)"),
		baseFrom:   fs.String("index-base-from", "SINK_INDEX_BASE_FROM", "", "start of the tension_index base period (YYYY-MM-DD or RFC 3339); without it tension_index is omitted"),
		baseTo:     fs.String("index-base-to", "SINK_INDEX_BASE_TO", "", "end of the tension_index base period, exclusive"),
	}
	fs.DeprecatedFlag("index-topic", "topic-index")
	return f
}

// enabled reports whether index updates are published at all.
func (f *indexFlags) enabled() bool { return *f.topic != "" && *f.topic != "off" }

// cellsEnabled reports whether cell updates are published too.
func (f *indexFlags) cellsEnabled() bool { return f.enabled() && *f.cells }

// topics are the specs of the topics the publisher writes.
func (f *indexFlags) topics(ts kafkax.TopicSettings) []kafkax.TopicSpec {
	var specs []kafkax.TopicSpec
	if f.enabled() {
		specs = append(specs, ts.Topic(kafkax.Index, *f.topic))
	}
	if f.cellsEnabled() {
		specs = append(specs, ts.Topic(kafkax.IndexCells, *f.cellsTopic))
	}
	return specs
}

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
	if !f.cellsEnabled() {
		return indexpub.New(cfg, st, w, nil, logger.With("component", "indexpub")), func() { w.Close() }
	}
	cw := kafkax.NewWriter(brokers, *f.cellsTopic, 0)
	return indexpub.New(cfg, st, w, cw, logger.With("component", "indexpub")), func() { w.Close(); cw.Close() }
}
