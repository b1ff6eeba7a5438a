package event_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/synth"
	"github.com/tension-dev/tension/pkg/tagger"
	"github.com/tension-dev/tension/pkg/testenv"
)

// benchRecords are enriched records as the enricher writes them, of
// synthetic articles (the records `make bench-sink` reads).
func benchRecords(b *testing.B) ([]*event.Enriched, [][]byte, int) {
	b.Helper()
	tg, err := tagger.New()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	gen := synth.New(7, now.Add(-24*time.Hour), now)
	var es []*event.Enriched
	var values [][]byte
	size := 0
	for range 500 {
		raw, err := json.Marshal(gen.Next())
		if err != nil {
			b.Fatal(err)
		}
		a, err := event.DecodeArticle(raw, event.DecodeOptions{Now: now})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := event.EncodeArticle(&a, now, 0); err != nil {
			b.Fatal(err)
		}
		e, rec, err := event.Enrich(&a, tg.Tag(a.Title, a.Text), tagger.Version, now)
		if err != nil {
			b.Fatal(err)
		}
		es, values = append(es, e), append(values, rec.Value)
		size += len(rec.Value)
	}
	return es, values, size
}

// reportCPU reports MB of records per CPU-second beside the wall-time MB/s.
func reportCPU(b *testing.B, cpu0 float64, size int) {
	if cpu := testenv.SelfCPU().Seconds() - cpu0; cpu > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/cpu/1e6, "MB/cpu-s")
	}
}

// benchCodec runs one codec over the records: MB/s and MB/cpu-s of
// records.
func benchCodec(b *testing.B, name string, size int, codec func() error) {
	b.Run(name, func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		cpu0 := testenv.SelfCPU().Seconds()
		for b.Loop() {
			if err := codec(); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu0, size)
	})
}

// BenchmarkDecodeEnriched: the sink's decode of an enriched record (decode
// and validate), against encoding/json's decode of the same records.
func BenchmarkDecodeEnriched(b *testing.B) {
	_, values, size := benchRecords(b)
	benchCodec(b, "jsonwire", size, func() error {
		for _, v := range values {
			if _, err := event.DecodeEnriched(v); err != nil {
				return err
			}
		}
		return nil
	})
	benchCodec(b, "encoding_json", size, func() error {
		for _, v := range values {
			var e event.Enriched
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			if err := event.ValidateEnriched(&e); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkEncodeEnriched: the enricher's encode of an enriched record
// (FitTags: the tags fit), against json.Marshal of the same records.
func BenchmarkEncodeEnriched(b *testing.B) {
	es, _, size := benchRecords(b)
	benchCodec(b, "jsonwire", size, func() error {
		for _, e := range es {
			if _, err := event.FitTags(e, []byte(e.ArticleID), event.MaxRecordBytes); err != nil {
				return err
			}
		}
		return nil
	})
	benchCodec(b, "encoding_json", size, func() error {
		for _, e := range es {
			if _, err := json.Marshal(e); err != nil {
				return err
			}
		}
		return nil
	})
}
