// Package reprocess re-enriches stored articles: it reads the articles of a
// time range from ClickHouse (the text is stored with every article), tags
// them with the current tagger and publishes enriched events to
// articles.enriched.v1, shaped like the enricher's. The sink counts each
// article once in the current view, under the newest tagger version (its
// Recounted path), and keeps each version's own view, so two versions can
// be compared on the same history. Re-running with the same version adds
// nothing: the sink sees duplicates.
package reprocess

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/tension-dev/tension/pkg/event"
)

// Tagger tags one article in a language ("" detects it from the script);
// safe for concurrent use. An error is permanent for that article (over the
// tagger's work budget): it is skipped and counted like any other
// permanent error.
type Tagger interface {
	TagLangContext(ctx context.Context, title, text, lang string) (event.Tags, error)
}

// Writer publishes to the enriched topic (the writer's topic).
type Writer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Config of one reprocessing run.
type Config struct {
	From, To      time.Time // published_at in [From, To)
	TaggerVersion string    // stamped on every output; the tagger's own version by default
	Workers       int       // tagging goroutines; default GOMAXPROCS
	Batch         int       // messages per Kafka write; default 2000
	Window        time.Duration
	// ScoreScale multiplies every dyad's tension (clamped to [-1, 1]):
	// a test-only stand-in for a changed tagger. 0 or 1 leaves scores alone.
	ScoreScale float64
	Now        func() time.Time
}

// Stats of a run.
type Stats struct {
	Read      int64
	Published int64
	Skipped   int64 // articles the contract refuses (event.Enrich): logged, not published
}

// Run reprocesses [From, To) window by window.
func Run(ctx context.Context, cfg Config, conn driver.Conn, t Tagger, out Writer, logger *slog.Logger) (Stats, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 2000
	}
	if cfg.Window <= 0 {
		cfg.Window = 30 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var st Stats
	for from := cfg.From; from.Before(cfg.To); from = from.Add(cfg.Window) {
		to := from.Add(cfg.Window)
		if to.After(cfg.To) {
			to = cfg.To
		}
		n, p, skipped, err := window(ctx, cfg, conn, t, out, logger, from, to)
		st.Read += n
		st.Published += p
		st.Skipped += skipped
		if err != nil {
			return st, err
		}
		logger.Info("window reprocessed", "from", from, "to", to, "articles", n, "total", st.Published)
	}
	return st, nil
}

type stored struct {
	id, url, source, title, text string
	published, received          time.Time
	lang                         string // as stored (Tags.Lang of the newest enrichment)
}

func window(ctx context.Context, cfg Config, conn driver.Conn, t Tagger, out Writer, logger *slog.Logger, from, to time.Time) (int64, int64, int64, error) {
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan stored, 256)
	results := make(chan kafka.Message, 256)
	var read, published, skipped atomic.Int64
	g.Go(func() error {
		defer close(jobs)
		// The newest stored row of each article: the text is the same in
		// every version, the metadata of the newest wins.
		rows, err := conn.Query(gctx, `SELECT toString(article_id), argMax(url, version), argMax(source, version),
				argMax(title, version), argMax(text, version), argMax(published_at, version), argMax(received_at, version),
				argMax(lang, version)
			FROM articles WHERE published_at >= toDateTime(?) AND published_at < toDateTime(?)
			GROUP BY article_id`, uint32(from.Unix()), uint32(to.Unix()))
		if err != nil {
			return fmt.Errorf("reprocess: read articles [%s, %s): %w", from, to, err)
		}
		defer rows.Close()
		for rows.Next() {
			var s stored
			if err := rows.Scan(&s.id, &s.url, &s.source, &s.title, &s.text, &s.published, &s.received, &s.lang); err != nil {
				return fmt.Errorf("reprocess: scan article: %w", err)
			}
			read.Add(1)
			select {
			case jobs <- s:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return rows.Err()
	})
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Add(1)
		g.Go(func() error {
			defer wg.Done()
			for s := range jobs {
				m, err := enrich(cfg, t, s)
				if err != nil {
					skipped.Add(1)
					logger.Warn("article skipped", "article_id", s.id, "err", err)
					continue
				}
				select {
				case results <- m:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	go func() { wg.Wait(); close(results) }()
	g.Go(func() error {
		batch := make([]kafka.Message, 0, cfg.Batch)
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			if err := out.WriteMessages(gctx, batch...); err != nil {
				return fmt.Errorf("reprocess: publish %d enriched: %w", len(batch), err)
			}
			published.Add(int64(len(batch)))
			batch = batch[:0]
			return nil
		}
		for m := range results {
			batch = append(batch, m)
			if len(batch) >= cfg.Batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
	err := g.Wait()
	return read.Load(), published.Load(), skipped.Load(), err
}

// tagLang is the language a stored article is tagged in again: the one it
// was read as (its own lang, or what the tagger detected), so a Chinese
// article stays Chinese and an article whose producer said "fr" stays
// unsupported. Rows stored before languages were recorded ("") and
// detections that found no language ("und", "und-Latn" …) are detected
// again: a newer tagger may read them.
func tagLang(stored string) string {
	if stored == "und" || strings.HasPrefix(stored, "und-") {
		return ""
	}
	return stored
}

// enrich builds the enriched event with the enricher's own constructor
// (event.Enrich: tags cut to the record limit, checked as the sink checks
// them), from the stored article. Its errors are permanent: the article is
// skipped and counted, the run goes on.
func enrich(cfg Config, t Tagger, s stored) (kafka.Message, error) {
	tags, err := t.TagLangContext(context.Background(), s.title, s.text, tagLang(s.lang))
	if err != nil {
		return kafka.Message{}, fmt.Errorf("reprocess: article %s: tag: %w", s.id, err)
	}
	if cfg.ScoreScale != 0 && cfg.ScoreScale != 1 {
		for i := range tags.Dyads {
			d := &tags.Dyads[i]
			d.Tension = math.Round(math.Max(-1, math.Min(1, d.Tension*cfg.ScoreScale))*1000) / 1000
		}
	}
	a := event.Article{ArticleID: s.id, URL: s.url, Source: s.source, Title: s.title, Text: s.text,
		PublishedAt: s.published.UTC(), ReceivedAt: s.received.UTC()}
	_, rec, err := event.Enrich(&a, tags, cfg.TaggerVersion, cfg.Now())
	if err != nil {
		return kafka.Message{}, fmt.Errorf("reprocess: article %s: %w", s.id, err)
	}
	return kafka.Message{Key: rec.Key, Value: rec.Value}, nil
}
