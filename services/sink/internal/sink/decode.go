package sink

import (
	"context"
	"runtime"
	"sync"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
)

// decodingFetcher decodes each message as it is fetched, on the goroutine
// that collects the next batch while the one before it is written: the
// flush then finds its messages decoded, and the CPU of decoding overlaps
// the wait on ClickHouse instead of adding to it.
type decodingFetcher struct {
	Fetcher
	mu      sync.Mutex
	decoded map[messageRef]decodeResult // fetched and not yet taken by a flush
}

type messageRef struct {
	partition int
	offset    int64
}

type decodeResult struct {
	e   *event.Enriched
	err error
}

func newDecodingFetcher(f Fetcher) *decodingFetcher {
	return &decodingFetcher{Fetcher: f, decoded: map[messageRef]decodeResult{}}
}

// FetchMessage fetches the next message and decodes it.
func (d *decodingFetcher) FetchMessage(ctx context.Context) (kafka.Message, error) {
	m, err := d.Fetcher.FetchMessage(ctx)
	if err != nil {
		return m, err
	}
	e, derr := decodeEnriched(m.Value)
	d.mu.Lock()
	d.decoded[messageRef{m.Partition, m.Offset}] = decodeResult{e, derr}
	d.mu.Unlock()
	return m, nil
}

// take returns the batch decoded: what FetchMessage decoded, which it
// forgets (a flush changes the articles it counts, so a retry of the batch
// decodes afresh), and the rest decoded now.
func (d *decodingFetcher) take(batch []kafka.Message) ([]*event.Enriched, []error) {
	decoded, errs := make([]*event.Enriched, len(batch)), make([]error, len(batch))
	var missing []int
	d.mu.Lock()
	for i, m := range batch {
		ref := messageRef{m.Partition, m.Offset}
		r, ok := d.decoded[ref]
		if !ok {
			missing = append(missing, i)
			continue
		}
		delete(d.decoded, ref)
		decoded[i], errs[i] = r.e, r.err
	}
	d.mu.Unlock()
	decodeEach(batch, missing, decoded, errs)
	return decoded, errs
}

// decodeAll decodes and validates every message of the batch, on all
// cores: the article at index i, or the reason it is not one.
func decodeAll(batch []kafka.Message) ([]*event.Enriched, []error) {
	decoded, errs := make([]*event.Enriched, len(batch)), make([]error, len(batch))
	all := make([]int, len(batch))
	for i := range all {
		all[i] = i
	}
	decodeEach(batch, all, decoded, errs)
	return decoded, errs
}

// decodeEach decodes the messages of batch at the indexes given, on all
// cores, into decoded and errs.
func decodeEach(batch []kafka.Message, indexes []int, decoded []*event.Enriched, errs []error) {
	workers := min(runtime.GOMAXPROCS(0), (len(indexes)+255)/256)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := w; k < len(indexes); k += workers {
				i := indexes[k]
				decoded[i], errs[i] = decodeEnriched(batch[i].Value)
			}
		})
	}
	wg.Wait()
}
