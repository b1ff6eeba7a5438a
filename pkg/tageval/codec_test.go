package tageval

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	segjson "github.com/segmentio/encoding/json"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tagger"
)

// refTagLine is RunTag's output for one line as encoding/json makes it: the
// reference for the faster codec RunTag uses.
func refTagLine(t *testing.T, tg *tagger.Tagger, line []byte) (string, bool) {
	var a tagIn
	if err := json.Unmarshal(line, &a); err != nil || a.Text == nil || strings.TrimSpace(*a.Text) == "" {
		return "", false
	}
	tags, err := tg.TagContext(context.Background(), a.Title, *a.Text)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tagOut{ID: echoID(a.ID), ArticleID: articleID(a.URL, *a.Text), TaggerVersion: tagger.Version, Tags: tags}); err != nil {
		t.Fatal(err)
	}
	return b.String(), true
}

// TestRunTagMatchesEncodingJSON: RunTag's codec reads and writes exactly
// what encoding/json does, on the samples and on lines made to exercise
// escapes, invalid UTF-8, surrogates, HTML characters, odd ids, unknown,
// duplicate and differently cased keys; lines encoding/json rejects are
// rejected too.
func TestRunTagMatchesEncodingJSON(t *testing.T) {
	tg, err := tagger.New()
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	f, err := os.Open(filepath.Join("..", "..", "samples", "articles.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	f.Close()
	pieces := []string{"Washington raised tariffs on Chinese goods.", `\"quoted\"`, `\\`, `\n`, `\t`, `\u0000`, `\u001f`, `\u2028`, `\u2029`,
		`<b>&amp;</b>`, `\u00e9`, `\ud83d\ude00`, `\ud800`, `\udc00x`, "\xff", "\xe2\x80", "é", "中国", "\x7f", `\/`, "Beijing’s “reply”"}
	ids := []string{`"a"`, `7`, `-1.5e3`, `{"k":[1,2]}`, `null`, `"\ud800"`, "\"\xff\"", `true`}
	r := rand.New(rand.NewSource(5))
	for i := 0; i < 400; i++ {
		var sb strings.Builder
		for k := r.Intn(12); k >= 0; k-- {
			sb.WriteString(pieces[r.Intn(len(pieces))])
			sb.WriteByte(' ')
		}
		text := sb.String()
		var line string
		switch i % 5 {
		case 0:
			line = fmt.Sprintf(`{"id":%s,"url":"https://x.test/%d","title":"%s","text":"%s"}`, ids[r.Intn(len(ids))], i, pieces[r.Intn(len(pieces))], text)
		case 1:
			line = fmt.Sprintf(`{"Text":"%s","ID":%s,"extra":{"a":[1,{"b":null}]}}`, text, ids[r.Intn(len(ids))])
		case 2:
			line = fmt.Sprintf(`{"text":"first","text":"%s","id":%s}`, text, ids[r.Intn(len(ids))])
		case 3:
			line = fmt.Sprintf(` { "text" : "%s" , "published_at" : "2025-01-01T00:00:00Z" } `, text)
		default:
			line = fmt.Sprintf(`{"text":"%s","id":%s`, text, ids[r.Intn(len(ids))]) // truncated
		}
		lines = append(lines, []byte(line))
	}
	in := bytes.Join(lines, []byte("\n"))
	var out bytes.Buffer
	if err := RunTag(context.Background(), tg, bytes.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	got := strings.SplitAfter(out.String(), "\n")
	if len(got) != len(lines)+1 || got[len(got)-1] != "" {
		t.Fatalf("%d output lines for %d input lines", len(got)-1, len(lines))
	}
	checked := 0
	for i, l := range lines {
		want, ok := refTagLine(t, tg, l)
		isErr := strings.HasPrefix(got[i], `{"id":`) && strings.Contains(got[i], `,"error":"`) || strings.HasPrefix(got[i], `{"error":"`)
		switch {
		case !ok && !isErr:
			t.Errorf("line %d %q: encoding/json rejects it, RunTag wrote %s", i, l, got[i])
		case ok && got[i] != want:
			t.Errorf("line %d %q:\n got %s\nwant %s", i, l, got[i], want)
		case ok:
			checked++
		}
		if !json.Valid([]byte(got[i])) {
			t.Errorf("line %d: output is not valid JSON: %s", i, got[i])
		}
	}
	if checked < 300 {
		t.Errorf("only %d lines compared", checked)
	}
}

// FuzzTagInDecode: any line decodes as segmentio/encoding's decoder (what
// RunTag used before) decodes it: the same article, the same error.
func FuzzTagInDecode(f *testing.F) {
	for _, l := range []string{`{"id":"a","url":"https://x.test/1","title":"T","text":"Washington raised tariffs.","lang":"en"}`,
		`{"id":{ "k" : [1, 2] },"text":"x","labels":{"dyads":[{"pair":"CN-US"}]},"notes":null}`, `{"Text":"x"}`, `{"text":"a","text":"b"}`,
		`{"text":null}`, `{"id":null,"text":"x"}`, `{"text":"\ud800\u00e9"}`, "{\"text\":\"\xff\"}", `{"text":"x"} x`, `{"published_at":1}`,
		`{"publishedat":"x","published-at":"y","PUBLISHED_AT":"z"}`, `[]`, `{"text":"x","id":-1.5e3}`} {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var want tagIn
		wantErr := segjson.Unmarshal(line, &want)
		got, err := decodeTagIn(line)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("%q: error %v, segjson says %v", line, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: decoded %+v, segjson decodes %+v", line, got, want)
		}
	})
}

// FuzzTagLineEncode: output lines are what encoding/json's Encoder writes
// (HTML escaping off), for any strings and ids.
func FuzzTagLineEncode(f *testing.F) {
	f.Add([]byte(`"a"`), "t<&>\u2028\xff", "CN")
	f.Add([]byte(`{ "k" : [1, 2] }`), "\x00\n", "")
	f.Add([]byte(`"us-section-301 memo ~!"`), "x", "y")
	f.Add([]byte(`"a\"b"`), "x", "y")
	f.Fuzz(func(t *testing.T, id []byte, s1, s2 string) {
		if !json.Valid(id) {
			id = nil
		}
		for _, v := range []any{
			tagOut{ID: id, ArticleID: s1, TaggerVersion: s2, Tags: event.Tags{Countries: []string{s2}, Lang: s1,
				Entities: []event.Entity{{Text: s1, Canonical: s2}}, Dyads: []event.Dyad{{Pair: s2, Cues: []event.Cue{{Text: s1}}}}}},
			tagErr{ID: id, Error: s1},
		} {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			got, err := appendLine(nil, v)
			if err != nil || !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("%+v:\n got %s (%v)\nwant %s", v, got, err, want.Bytes())
			}
		}
	})
}

// TestAppendIDPlain: the ids appendID copies without json.Compact are
// those Compact leaves as they are; the rest still go through it.
func TestAppendIDPlain(t *testing.T) {
	for _, id := range []string{`"a"`, `""`, `"us-section-301-memo-china"`, `" spaced id "`, `"~{}[]:,"`, `"a\"b"`, `"a\\b"`,
		`"\u00e9"`, "\"\x7f\"", "\"é\"", "\"\t\"", `7`, `{"k": 1}`, `"a`, `a"`, `"`} {
		plain := plainStringID([]byte(id))
		var want bytes.Buffer
		werr := json.Compact(&want, []byte(id))
		got, err := appendID(nil, []byte(id))
		if werr != nil {
			if plain || err == nil {
				t.Errorf("%s: Compact fails (%v), appendID gave %s, %v (plain %v)", id, werr, got, err, plain)
			}
			continue
		}
		if err != nil || string(got) != `"id":`+want.String()+"," {
			t.Errorf("%s: appendID gave %s, %v; want Compact's %s", id, got, err, want.String())
		}
		if plain && want.String() != id {
			t.Errorf("%s: taken as plain, but Compact changes it to %s", id, want.String())
		}
	}
}
