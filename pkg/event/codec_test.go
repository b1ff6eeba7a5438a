package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/jsonwire"
)

// codecPieces are the strings the random records are made of: escapes,
// HTML characters, invalid UTF-8, line separators, non-ASCII text.
var codecPieces = []string{"Washington raised tariffs", `"quoted"`, `back\slash`, "\n", "\t", "\r", "\b", "\f", "\x00", "\x1f",
	"\x7f", "\u2028", "\u2029", "<b>&amp;</b>", "é", "中国", "\xff", "\xe2\x80", "\xed\xa0\x80", "😀", "/", "Beijing’s “reply”", ""}

func randString(r *rand.Rand) string {
	var b strings.Builder
	for k := r.IntN(4); k >= 0; k-- {
		b.WriteString(codecPieces[r.IntN(len(codecPieces))])
	}
	return b.String()
}

func randFloat(r *rand.Rand) float64 {
	switch r.IntN(8) {
	case 0:
		return 0
	case 1:
		return math.Copysign(0, -1)
	case 2:
		return r.Float64() * 1e-7
	case 3:
		return r.Float64() * 1e22
	case 4:
		return float64(r.IntN(20))
	case 5:
		return -r.Float64()
	case 6:
		return 1e21
	}
	return r.Float64() * 10
}

func randTime(r *rand.Rand) time.Time {
	switch r.IntN(4) {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(r.Int64N(2e9), 0).UTC()
	case 2:
		return time.Unix(r.Int64N(2e9), r.Int64N(1e9)).In(time.FixedZone("", 3600*(r.IntN(25)-12)))
	}
	return time.Unix(r.Int64N(2e9), r.Int64N(1e9)).UTC()
}

func randStrings(r *rand.Rand) []string {
	switch r.IntN(4) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	var out []string
	for k := r.IntN(4); k >= 0; k-- {
		out = append(out, randString(r))
	}
	return out
}

// randEnriched is a record with every field exercised: empty and set
// optional fields, nil and empty lists, odd strings and floats.
func randEnriched(r *rand.Rand) *Enriched {
	opt := func() string {
		if r.IntN(2) == 0 {
			return ""
		}
		return randString(r)
	}
	e := &Enriched{
		ArticleID: randString(r), EventID: randString(r), URL: opt(), Source: opt(), Title: opt(), Text: randString(r) + randString(r),
		PublishedAt: randTime(r), ReceivedAt: randTime(r), EnrichedAt: randTime(r), TaggerVersion: randString(r), PublishedAtSource: opt(),
	}
	e.Relevant = r.IntN(2) == 0
	e.Countries, e.Topics = randStrings(r), randStrings(r)
	e.Lang, e.Unsupported = opt(), r.IntN(3) == 0
	if r.IntN(3) > 0 {
		e.Entities = []Entity{}
		for k := r.IntN(4); k > 0; k-- {
			e.Entities = append(e.Entities, Entity{Text: randString(r), Type: EntityGov, Canonical: randString(r), Country: opt(), Start: r.IntN(1000), End: r.IntN(1 << 40)})
		}
	}
	if r.IntN(3) > 0 {
		e.Dyads = []Dyad{}
		for k := r.IntN(3); k > 0; k-- {
			d := Dyad{Pair: randString(r), Tension: randFloat(r), Direction: DirectionMixed, CueCount: r.IntN(3) - 1, CueWeight: randFloat(r)}
			if r.IntN(4) > 0 {
				d.Cues = []Cue{}
			}
			for c := r.IntN(3); c > 0 && d.Cues != nil; c-- {
				d.Cues = append(d.Cues, Cue{Text: randString(r), Category: opt(), Sentence: r.IntN(5) - 1, Start: r.IntN(99), End: r.IntN(99),
					Actor: opt(), Target: opt(), Polarity: r.IntN(3) - 1, Weight: randFloat(r), Hedged: r.IntN(2) == 0, Negated: r.IntN(2) == 0,
					Future: r.IntN(2) == 0, Background: r.IntN(2) == 0, Source: opt(), SourceType: opt()})
			}
			e.Dyads = append(e.Dyads, d)
		}
	}
	if r.IntN(3) == 0 {
		e.Cut = &Cut{Entities: r.IntN(9), Cues: r.IntN(9), Dyads: r.IntN(9)}
	}
	return e
}

// TestMarshalEnrichedMatchesEncodingJSON: the encoder writes json.Marshal's
// bytes, and the decoder reads them back as json.Unmarshal does, on the
// fast path.
func TestMarshalEnrichedMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		e := randEnriched(r)
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := marshalEnriched(e)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("record %d:\n got %s\nwant %s", i, got, want)
		}
		var ref Enriched
		if err := json.Unmarshal(want, &ref); err != nil {
			t.Fatal(err)
		}
		var back Enriched
		if !readEnriched(jsonwire.NewReader(want), &back) {
			t.Fatalf("record %d: the fast path gave up on the encoder's output %s", i, want)
		}
		if !reflect.DeepEqual(back, ref) {
			t.Fatalf("record %d: decoded\n%+v\nencoding/json decodes\n%+v", i, back, ref)
		}
	}
}

// TestMarshalEnrichedRefuses: what json.Marshal cannot encode is an error
// here too.
func TestMarshalEnrichedRefuses(t *testing.T) {
	for name, e := range map[string]*Enriched{
		"NaN tension": {Tags: Tags{Dyads: []Dyad{{Tension: math.NaN()}}}},
		"Inf weight":  {Tags: Tags{Dyads: []Dyad{{Cues: []Cue{{Weight: math.Inf(1)}}}}}},
		"year 10000":  {PublishedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if _, err := json.Marshal(e); err == nil {
			t.Fatalf("%s: encoding/json encodes it", name)
		}
		if _, err := marshalEnriched(e); err == nil {
			t.Errorf("%s: encoded", name)
		}
	}
}

// decodeVariants are documents around a valid record that the fast path
// must decode as encoding/json does, or leave to it.
func decodeVariants(valid string) []string {
	body := strings.TrimSuffix(strings.TrimPrefix(valid, "{"), "}")
	return []string{
		valid,
		" \t\n" + valid + "\r\n ",
		valid + "x",
		valid + "{}",
		"{" + body + `,"extra":{"a":[1,2.5e3,"s",true,false,null,{}]}}`,
		"{" + body + `,"Extra":[]}`,
		"{" + body + `,"Article_ID":"x"}`,
		"{" + body + `,"TEXT":"y"}`,
		"{" + body + `,"taggerversion":"y"}`,
		"{" + body + `,"tagger-version":"y"}`,
		"{" + body + `,"Tagger_Version":"y"}`,
		"{" + body + `,"sourcetype":"y"}`,
		"{" + body + `,"dyads":[{"pair":"CN-US","cuecount":3,"Cue_Weight":2}]}`,
		"{" + body + `,"ſource":"z"}`,
		"{" + body + `,"text":"again"}`,
		"{" + body + `,"cut":null}`,
		"{" + body + `,"cut":{}}`,
		"{" + body + `,"cut":{"entities":1.0}}`,
		"{" + body + `,"cut":{"entities":1e2}}`,
		"{" + body + `,"cut":{"entities":-0}}`,
		"{" + body + `,"cut":{"entities":99999999999999999999}}`,
		"{" + body + `,"cut":{"entities":9223372036854775807}}`,
		"{" + body + `,"cut":{"Entities":3}}`,
		"{" + body + `,"cut":{"entities":3,"entities":4}}`,
		"{" + body + `,"lang":null}`,
		"{" + body + `,"lang":"\u0065n"}`,
		"{" + body + `,"lang":"\ud800"}`,
		"{" + body + `,"lang":"\ud83d\ude00"}`,
		"{" + body + `,"lang":"` + "\xff" + `"}`,
		"{" + body + `,"lang":"` + "\x01" + `"}`,
		"{" + body + `,"lang":"\x"}`,
		"{" + body + `,"unsupported":null}`,
		"{" + body + `,"unsupported":"true"}`,
		"{" + body + `,"relevant":1}`,
		"{" + body + `,"topics":["a",null]}`,
		"{" + body + `,"topics":[]}`,
		"{" + body + `,"topics":null}`,
		"{" + body + `,"topics":["a",]}`,
		"{" + body + `,"countries":"CN"}`,
		"{" + body + `,"entities":[{"start":1,"end":2,"type":"GOV","text":"t","canonical":"c","country":"CN","x":[]}]}`,
		"{" + body + `,"entities":[{"START":1}]}`,
		"{" + body + `,"entities":[null]}`,
		"{" + body + `,"dyads":[{"pair":"CN-US","tension":1e400,"direction":"mixed"}]}`,
		"{" + body + `,"dyads":[{"pair":"CN-US","tension":-0.0,"direction":"mixed","cues":null}]}`,
		"{" + body + `,"dyads":[{"pair":"CN-US","tension":.5}]}`,
		"{" + body + `,"dyads":[{"pair":"CN-US","tension":01}]}`,
		"{" + body + `,"dyads":[{"pair":"CN-US","tension":1.}]}`,
		"{" + body + `,"dyads":[{"pair":"CN-US","cues":[{"weight":1E+2,"sentence":-1,"hedged":true,"future":false}]}]}`,
		"{" + body + `,"published_at":"2025-01-01T00:00:00Z"}`,
		"{" + body + `,"published_at":"2025-01-01T00:00:00+01:00"}`,
		"{" + body + `,"published_at":"2025-01-01"}`,
		"{" + body + `,"published_at":null}`,
		"{" + body + `,"published_at":"2025-01-01T00:00:00\u005a"}`,
		"{" + body + `,"published_at":1}`,
		"{" + body + `,"extra":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
		"{" + body,
		"{" + body + ",}",
		"{" + body + `,"x"}`,
		`{}`,
		`null`,
		`[]`,
		``,
		`"s"`,
	}
}

// TestDecodeEnrichedMatchesEncodingJSON: on valid records and on every kind
// of oddity around them, the decoder returns json.Unmarshal's value and
// error.
func TestDecodeEnrichedMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	fast := 0
	for i := 0; i < 200; i++ {
		valid, err := json.Marshal(randEnriched(r))
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range decodeVariants(string(valid)) {
			checkDecodeEnriched(t, []byte(doc))
			var e Enriched
			if readEnriched(jsonwire.NewReader([]byte(doc)), &e) {
				fast++
			}
		}
	}
	if fast < 200*10 {
		t.Errorf("the fast path took only %d documents", fast)
	}
}

func checkDecodeEnriched(t *testing.T, doc []byte) {
	t.Helper()
	var want Enriched
	wantErr := json.Unmarshal(doc, &want)
	got, err := decodeEnrichedJSON(doc)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("%q: error %v, encoding/json says %v", doc, err, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decoded\n%+v\nencoding/json decodes\n%+v", doc, got, want)
	}
}

// FuzzDecodeEnrichedJSON: on any input, the decoder agrees with
// json.Unmarshal (value and error).
func FuzzDecodeEnrichedJSON(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 5; i++ {
		valid, _ := json.Marshal(randEnriched(r))
		for _, doc := range decodeVariants(string(valid)) {
			f.Add([]byte(doc))
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkDecodeEnriched(t, doc)
	})
}

// FuzzMarshalEnriched: any strings and numbers encode as json.Marshal
// encodes them.
func FuzzMarshalEnriched(f *testing.F) {
	f.Add("text", "title", "CN-US", 0.5, 3, int64(0))
	f.Add("<&>\u2028\xff", "\x00\x1f", "", 1e-7, -1, int64(1e18))
	f.Fuzz(func(t *testing.T, s1, s2, s3 string, x float64, n int, sec int64) {
		e := &Enriched{ArticleID: s1, Text: s2, Title: s3, EnrichedAt: time.Unix(sec, int64(n)),
			Tags: Tags{Countries: []string{s3}, Entities: []Entity{{Text: s1, Start: n}},
				Dyads: []Dyad{{Pair: s3, Tension: x, Cues: []Cue{{Text: s2, Weight: x, Sentence: n}}, CueWeight: x}}}}
		want, wantErr := json.Marshal(e)
		got, err := marshalEnriched(e)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("error %v, encoding/json says %v", err, wantErr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}

// FuzzMarshalArticle: the raw record is written as encoding/json writes it.
func FuzzMarshalArticle(f *testing.F) {
	f.Add("0b9a6a4c-0000-5000-8000-000000000011", "", "https://example.com/a", "Example", "<b>T</b>", "text \"q\" \n\xff\u2028", "en", "", int64(0), int64(1e9), 0)
	f.Add("", "id", "", "", "", "", "", "feed", int64(-62135596800), int64(253402300799), 999999999)
	f.Fuzz(func(t *testing.T, id, sid, url, source, title, text, lang, pas string, pub, rec int64, nsec int) {
		a := &Article{ArticleID: id, ID: sid, URL: url, Source: source, Title: title, Text: text, Lang: lang,
			PublishedAtSource: pas, PublishedAt: time.Unix(pub, int64(nsec)).UTC(), ReceivedAt: time.Unix(rec, 0).In(time.FixedZone("x", 3600))}
		if pub == 0 {
			a.PublishedAt = time.Time{}
		}
		want, wantErr := json.Marshal(a)
		got, err := marshalArticle(a)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("error %v, encoding/json says %v", err, wantErr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}
