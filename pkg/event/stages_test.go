package event_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tagger"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/schemas"
)

// The property across the stage boundaries (issue 8): for any article
// ingest accepts, the enricher produces an enriched record that fits its
// topic and the sink's validation accepts it: never the DLQ, never a retry
// loop. The stages below are the real per-message functions each service
// runs (ingest: DecodeArticle + EncodeArticle; enricher: DecodeArticle of
// the topic form + the tagger + Enrich; sink: DecodeEnriched), in process.

var loadTagger = sync.OnceValues(tagger.New)

// enrichedSchema is schemas/enriched.v1.json, compiled once.
var enrichedSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	raw, err := schemas.FS.ReadFile("enriched.v1.json")
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const loc = "https://tension.dev/schemas/enriched.v1.json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	return c.Compile(loc)
})

func enrichedSchemaValid(t testing.TB, data []byte) error {
	t.Helper()
	sch, err := enrichedSchema()
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

func theTagger(t testing.TB) *tagger.Tagger {
	t.Helper()
	tg, err := loadTagger()
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// ingestStage is what ingest (and backfill) do with one client article.
func ingestStage(body []byte, now time.Time) (event.Record, bool) {
	a, err := event.DecodeArticle(body, event.DecodeOptions{Now: now})
	if err != nil {
		return event.Record{}, false
	}
	rec, err := event.EncodeArticle(&a, now, 0)
	return rec, err == nil
}

// enricherStage is the enricher's per-message path (enrich.enrichOne).
func enricherStage(tg *tagger.Tagger, raw event.Record, at time.Time) (*event.Enriched, event.Record, event.Tags, error) {
	if n := raw.Size(); n > event.MaxRecordBytes {
		return nil, event.Record{}, event.Tags{}, fmt.Errorf("raw record %d bytes", n)
	}
	a, err := event.DecodeArticle(raw.Value, event.DecodeOptions{FromTopic: true})
	if err != nil {
		return nil, event.Record{}, event.Tags{}, err
	}
	tags := tg.Tag(a.Title, a.Text)
	full := tags
	full.Dyads = append([]event.Dyad(nil), tags.Dyads...)
	e, rec, err := event.Enrich(&a, tags, tagger.Version, at)
	return e, rec, full, err
}

// checkStages runs one client article through the stages and fails when an
// admitted article does not make it through. It reports whether ingest
// admitted it and whether its tags were cut.
func checkStages(t testing.TB, tg *tagger.Tagger, body []byte, now time.Time) (admitted, cut bool) {
	t.Helper()
	raw, ok := ingestStage(body, now)
	if !ok {
		return false, false
	}
	if raw.Size() > event.MaxArticleBytes {
		t.Fatalf("ingest admitted a %d-byte record", raw.Size())
	}
	e, rec, full, err := enricherStage(tg, raw, now.Add(time.Second))
	if err != nil {
		t.Fatalf("the enricher dead-letters an admitted article (%d bytes): %v", raw.Size(), err)
	}
	if n := rec.Size(); n > event.MaxRecordBytes {
		t.Fatalf("enriched record is %d bytes: the write would be refused and retried forever", n)
	}
	got, err := event.DecodeEnriched(rec.Value)
	if err != nil {
		t.Fatalf("the sink dead-letters an admitted article: %v", err)
	}
	if err := enrichedSchemaValid(t, rec.Value); err != nil {
		t.Fatalf("the enriched record breaks schemas/enriched.v1.json: %v", err)
	}
	if got.ArticleID != string(raw.Key) || string(rec.Key) != got.ArticleID || got.EventID != e.EventID {
		t.Fatalf("ids: raw key %s, enriched key %s, article %s", raw.Key, rec.Key, got.ArticleID)
	}
	// The index counts what the tagger found, cut or not.
	if len(got.Dyads)+cutDyads(got) != len(full.Dyads) {
		t.Fatalf("%d dyads + %d cut, tagger found %d", len(got.Dyads), cutDyads(got), len(full.Dyads))
	}
	for _, d := range got.Dyads {
		for _, f := range full.Dyads {
			if f.Pair == d.Pair && math.Abs(tension.DyadContribution(d).SumWeight-tension.DyadContribution(f).SumWeight) > 1e-9 {
				t.Fatalf("dyad %s counts weight %v, tagger found %v", d.Pair, tension.DyadContribution(d).SumWeight,
					tension.DyadContribution(f).SumWeight)
			}
		}
	}
	return true, got.Cut != nil
}

func cutDyads(e *event.Enriched) int {
	if e.Cut == nil {
		return 0
	}
	return e.Cut.Dyads
}

// Text units that make the tagger's output large: cues, entities, names,
// and characters that grow when JSON-encoded.
var units = []string{
	"Washington raised tariffs on Chinese goods and Beijing retaliated against the United States, Xinhua said. ",
	"The US slapped sanctions on China; China imposed export controls on the United States. ",
	"Xinhua USTR MOFCOM Treasury Reuters Huawei ",
	"Xi Jinping met Donald Trump and Ursula von der Leyen in Brussels. ",
	"Japan and South Korea agreed to resume talks, officials said, easing tensions with China. ",
	"<b>Tariffs</b> & \"duties\" \\ rose\u0001\u001f\t",
	"中国和美国 Россия и Европа ü é 😀 ",
	"India threatened to ban imports from Pakistan. Brazil warned Argentina. Canada condemned Mexico. ",
}

// genArticle generates a client article. With size > 0 its raw record is
// padded to exactly that many bytes.
func genArticle(r *rand.Rand, now time.Time, size int) []byte {
	// PublishedAtSource (a source follower's articles) only on articles
	// not padded to a size, whose padding leaves it out.
	var c event.Submission
	if r.IntN(2) == 0 {
		c.ID = fmt.Sprintf("wire-%d-\u00e9<%d>", r.IntN(1e6), r.IntN(9))
	}
	if r.IntN(3) > 0 {
		c.URL = fmt.Sprintf("https://news.example.com/%d/a?id=%d&utm_source=x", r.IntN(1e9), r.IntN(1e9))
	}
	if r.IntN(2) == 0 {
		c.Source = "Example Wire"
	}
	if r.IntN(2) == 0 {
		c.Title = strings.Repeat(units[r.IntN(len(units))], 1+r.IntN(20))
		c.Title = string([]rune(c.Title)[:min(len([]rune(c.Title)), 2000)])
	}
	if r.IntN(2) == 0 {
		c.Lang = "en"
	}
	span := now.Add(event.MaxAhead).Sub(event.MinEventTime)
	switch r.IntN(4) {
	case 0:
	case 1:
		c.PublishedAt = event.MinEventTime.Add(time.Duration(r.Int64N(int64(span)))).Format(time.DateOnly)
	default:
		c.PublishedAt = event.MinEventTime.Add(time.Duration(r.Int64N(int64(span)))).Format(time.RFC3339Nano)
	}
	if size == 0 && r.IntN(3) == 0 {
		c.PublishedAtSource = event.PublishedAtNone
		if c.PublishedAt != "" {
			c.PublishedAtSource = []string{event.PublishedAtFromFeed, event.PublishedAtFromPage}[r.IntN(2)]
		}
	}
	var b strings.Builder
	unit := units[r.IntN(len(units))]
	mixed := r.IntN(3) == 0
	target := 1 + r.IntN(4000)
	if size > 0 {
		target = size
	}
	for b.Len() < target {
		if mixed {
			unit = units[r.IntN(len(units))]
		}
		b.WriteString(unit)
	}
	c.Text = b.String()
	if size > 0 {
		c.Text = padTo(c.Text, size, func(text string) int {
			a := event.Article{ID: c.ID, URL: c.URL, Source: c.Source, Title: c.Title, Text: text, Lang: c.Lang}
			rec, err := event.EncodeArticle(&a, now, event.MaxRecordBytes)
			var se *event.SizeError
			if errors.As(err, &se) {
				return se.Size
			}
			return rec.Size()
		})
	}
	body, _ := json.Marshal(c)
	return body
}

// padTo shortens or lengthens text (cutting whole characters, padding with
// "x") until size(text) == want.
func padTo(text string, want int, size func(string) int) string {
	for {
		n := size(text)
		switch {
		case n == want:
			return text
		case n < want:
			text += strings.Repeat("x", want-n)
		default:
			rs := []rune(text)
			cut := max(1, min(len(rs)-1, (n-want)/6))
			text = string(rs[:len(rs)-cut])
		}
	}
}

func TestPropertyAdmittedArticlesFlowThroughEveryStage(t *testing.T) {
	tg := theTagger(t)
	now := time.Now().UTC()
	r := rand.New(rand.NewPCG(8, uint64(now.UnixNano()))) // a new sample every run
	seed := r.Uint64()
	r = rand.New(rand.NewPCG(8, seed))
	t.Logf("seed %d (set it in the test to replay)", seed)

	admitted, cut := 0, 0
	// Small and medium articles, every shape.
	for range 200 {
		a, c := checkStages(t, tg, genArticle(r, now, 0), now)
		admitted += b2i(a)
		cut += b2i(c)
	}
	// Articles at exactly the limit, each dense in another way: cues with
	// entities, entities alone, characters that grow when encoded, cues on
	// several dyads.
	for _, i := range []int{0, 2, 5, 7} {
		body := genArticle(rand.New(rand.NewPCG(uint64(i), seed)), now, 0)
		a, isCut := checkStages(t, tg, atLimit(t, body, units[i], now), now)
		if !a {
			t.Fatalf("an article of exactly the limit (unit %d) was not admitted", i)
		}
		admitted++
		cut += b2i(isCut)
	}
	if admitted < 200 || cut == 0 {
		t.Fatalf("admitted %d, cut %d: the generators no longer reach the limits", admitted, cut)
	}
	t.Logf("%d articles admitted and carried through, %d with tags cut to fit", admitted, cut)
}

// atLimit rewrites body's text to repeat unit and pads the article so its
// raw record is exactly MaxArticleBytes.
func atLimit(t testing.TB, body []byte, unit string, now time.Time) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	size := func(text string) int {
		m["text"] = text
		b, _ := json.Marshal(m)
		a, err := event.DecodeArticle(b, event.DecodeOptions{Now: now})
		if err != nil {
			t.Fatalf("generated article is invalid: %v", err)
		}
		rec, err := event.EncodeArticle(&a, now, event.MaxRecordBytes)
		var se *event.SizeError
		if errors.As(err, &se) {
			return se.Size
		}
		return rec.Size()
	}
	m["text"] = padTo(strings.Repeat(unit, event.MaxArticleBytes/len(unit)), event.MaxArticleBytes, size)
	out, _ := json.Marshal(m)
	if raw, ok := ingestStage(out, now); !ok || raw.Size() != event.MaxArticleBytes {
		t.Fatalf("could not build an article of exactly the limit (%d bytes)", raw.Size())
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FuzzStages: any client article the fuzzer finds that ingest admits flows
// through the enricher and the sink. scale repeats the text to reach the
// size limit, where the tags are cut.
func FuzzStages(f *testing.F) {
	for i, u := range units {
		f.Add(u, "", uint16(i))
	}
	f.Add(units[0], units[1], uint16(60_000)) // near the limit: tags cut
	f.Add("\u0000", "", uint16(0))
	f.Add("a\uFFFD", "\u200b", uint16(1))
	tg := theTagger(f)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, text, title string, scale uint16) {
		if len(text) == 0 || len(text) > 4096 || len(title) > 2000 {
			return
		}
		text = strings.Repeat(text, 1+int(scale)%(event.MaxArticleBytes/len(text)+1))
		body, err := json.Marshal(map[string]string{"text": text, "title": title, "published_at": "2025-05-12"})
		if err != nil {
			return
		}
		checkStages(t, tg, body, now)
	})
}
