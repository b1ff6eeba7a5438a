package sink

import (
	"context"
	"reflect"
	"testing"

	"github.com/segmentio/kafka-go"
)

// sliceFetcher hands out its messages in order.
type sliceFetcher struct{ msgs []kafka.Message }

func (f *sliceFetcher) FetchMessage(context.Context) (kafka.Message, error) {
	m := f.msgs[0]
	f.msgs = f.msgs[1:]
	return m, nil
}

func (f *sliceFetcher) Close() {}

// A batch taken from the decoding fetcher is what decoding it in the flush
// gives, articles and errors alike; a second take (a retried flush) decodes
// afresh, so it gets articles the first flush did not change; and nothing
// is kept once a batch is taken.
func TestDecodingFetcherTakesWhatDecodeAllGives(t *testing.T) {
	batch := []kafka.Message{
		enrichedMessage(t, 0, 0, "0195f2a4-3b5e-7c3e-9a1b-2f3e4d5c6b7a", "tagger-1.2.0"),
		{Topic: "enriched", Partition: 0, Offset: 1, Value: []byte(`{"article_id": 7}`)},
		enrichedMessage(t, 1, 0, "0195f2a4-3b5e-7c3e-9a1b-2f3e4d5c6b7b", "tagger-1.2.0"),
	}
	f := newDecodingFetcher(&sliceFetcher{msgs: append([]kafka.Message(nil), batch...)})
	var fetched []kafka.Message
	for range batch[:2] { // the last one is not fetched ahead: take decodes it
		m, err := f.FetchMessage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		fetched = append(fetched, m)
	}
	if !reflect.DeepEqual(fetched, batch[:2]) {
		t.Fatal("the fetcher changed the messages it handed out")
	}
	wantArts, wantErrs := decodeAll(batch)
	gotArts, gotErrs := f.take(batch)
	if !reflect.DeepEqual(gotArts, wantArts) || !reflect.DeepEqual(gotErrs, wantErrs) {
		t.Fatalf("take = %v, %v; decodeAll = %v, %v", gotArts, gotErrs, wantArts, wantErrs)
	}
	if wantErrs[1] == nil || wantArts[0] == nil || wantArts[2] == nil {
		t.Fatalf("the batch should hold two articles and one undecodable message: %v, %v", wantArts, wantErrs)
	}
	if len(f.decoded) != 0 {
		t.Fatalf("%d decoded messages kept after their batch was taken", len(f.decoded))
	}
	gotArts[0].ArticleID = "changed by the flush"
	again, _ := f.take(batch)
	if again[0] == gotArts[0] || again[0].ArticleID != wantArts[0].ArticleID {
		t.Fatal("a retried batch got the articles the first flush changed")
	}
}
