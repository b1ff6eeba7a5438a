package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
)

// TestIntegrationLanguages sends a Simplified Chinese article (no lang:
// detected), a Traditional one (lang zh-Hant), an English one and a Swahili
// one (lang sw: no analyser) through the whole pipeline (issue 14), then
// checks the stored lang and unsupported flag, the API's fields and lang=
// filter, the enricher's metric, and that reprocessing keeps each
// article's language instead of detecting it again.
func TestIntegrationLanguages(t *testing.T) {
	s := newStack(t)
	s.startAll()

	articles := []map[string]string{
		{"id": "lang-zh", "source": "lang-zh", "title": "商务部：对美加征关税坚决反制",
			"text": "商务部新闻发言人5月2日表示，美国对中国商品加征关税，中方将坚决反制，奉陪到底。"},
		{"id": "lang-zh-hant", "source": "lang-zh-hant", "lang": "zh-Hant", "title": "商務部：對美加徵關稅堅決反制",
			"text": "商務部新聞發言人表示，美國對中國商品加徵關稅，中方將堅決反制。"},
		{"id": "lang-en", "source": "lang-en", "title": "US raises tariffs on Chinese goods",
			"text": "The United States raised tariffs on Chinese goods, and Beijing vowed to retaliate against Washington."},
		{"id": "lang-sw", "source": "lang-sw", "lang": "sw", "title": "China yajibu ushuru wa Marekani",
			"text": "Wizara ya biashara ya China ilisema itaweka ushuru kwa bidhaa za Marekani."},
	}
	var body []byte
	for _, a := range articles {
		a["published_at"] = "2025-05-02T08:00:00Z"
		line, _ := json.Marshal(a)
		body = append(append(body, line...), '\n')
	}
	if code, resp := s.post(body, "application/x-ndjson"); code != http.StatusAccepted {
		t.Fatalf("POST: %d %s", code, resp)
	}
	from, to := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 5, 3, 0, 0, 0, 0, time.UTC)
	s.waitVisible("CN-US", "day", from, to, int64(len(articles)), 2*time.Minute)

	// Stored: lang as read, and the flag.
	stored := s.storedLangs()
	want := map[string]storedLang{
		"lang-zh": {lang: "zh"}, "lang-zh-hant": {lang: "zh-Hant"}, "lang-en": {lang: "en"},
		"lang-sw": {lang: "sw", unsupported: true},
	}
	for src, w := range want {
		if got := stored[src]; got.lang != w.lang || got.unsupported != w.unsupported {
			t.Errorf("%s stored as lang %q unsupported %v, want %q %v", src, got.lang, got.unsupported, w.lang, w.unsupported)
		}
	}

	// /v1/articles/{id}
	for src, w := range want {
		var art struct {
			Lang        string `json:"lang"`
			Unsupported bool   `json:"unsupported"`
		}
		if code := s.getJSON("/v1/articles/"+stored[src].id, &art); code != 200 || art.Lang != w.lang || art.Unsupported != w.unsupported {
			t.Errorf("/v1/articles of %s: %d, lang %q unsupported %v", src, code, art.Lang, art.Unsupported)
		}
	}

	// lang= on drivers, top entities and top cues.
	span := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	get := func(path string, q url.Values, v any) {
		t.Helper()
		for k, vs := range span {
			q[k] = vs
		}
		if code := s.getJSON(path+"?"+q.Encode(), v); code != 200 {
			t.Fatalf("GET %s?%s: %d", path, q.Encode(), code)
		}
	}
	var drivers struct {
		Drivers []struct {
			Source      string `json:"source"`
			Lang        string `json:"lang"`
			Unsupported bool   `json:"unsupported"`
		} `json:"drivers"`
	}
	get("/v1/drivers", url.Values{"pair": {"CN-US"}, "lang": {"zh"}}, &drivers)
	var sources []string
	for _, d := range drivers.Drivers {
		sources = append(sources, d.Source+"="+d.Lang)
	}
	if got := strings.Join(sources, ","); got != "lang-zh=zh,lang-zh-hant=zh-Hant" && got != "lang-zh-hant=zh-Hant,lang-zh=zh" {
		t.Errorf("drivers lang=zh: %s, want the two Chinese articles", got)
	}
	get("/v1/drivers", url.Values{"pair": {"CN-US"}, "lang": {"ZH-hant"}}, &drivers)
	if len(drivers.Drivers) != 1 || drivers.Drivers[0].Source != "lang-zh-hant" {
		t.Errorf("drivers lang=ZH-hant: %+v, want the Traditional article", drivers.Drivers)
	}
	get("/v1/drivers", url.Values{"pair": {"CN-US"}}, &drivers)
	if len(drivers.Drivers) != 3 {
		t.Errorf("drivers without lang: %+v, want 3 (the Swahili article has no dyad: it was not read)", drivers.Drivers)
	}

	var entities struct {
		Lang     string `json:"lang"`
		Entities []struct {
			Canonical string `json:"canonical"`
			Articles  int    `json:"articles"`
		} `json:"entities"`
	}
	get("/v1/entities/top", url.Values{"lang": {"zh"}}, &entities)
	mofcom := 0
	for _, e := range entities.Entities {
		if e.Canonical == "MOFCOM" {
			mofcom = e.Articles
		}
	}
	if entities.Lang != "zh" || mofcom != 2 {
		t.Errorf("entities lang=zh: %+v, want MOFCOM in 2 articles", entities)
	}
	get("/v1/entities/top", url.Values{"lang": {"sw"}}, &entities)
	if len(entities.Entities) != 0 {
		t.Errorf("entities lang=sw: %+v, want none (not read)", entities.Entities)
	}

	var cues struct {
		Cues []struct {
			Text string `json:"text"`
		} `json:"cues"`
	}
	for _, lang := range []string{"en", "zh"} {
		get("/v1/cues/top", url.Values{"pair": {"CN-US"}, "lang": {lang}}, &cues)
		if len(cues.Cues) == 0 {
			t.Errorf("cues lang=%s: none", lang)
		}
		for _, c := range cues.Cues {
			if han := strings.IndexFunc(c.Text, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0; han != (lang == "zh") {
				t.Errorf("cues lang=%s include %q", lang, c.Text)
			}
		}
	}
	if code := s.getJSON("/v1/drivers?pair=CN-US&lang=zh_CN", nil); code != http.StatusBadRequest {
		t.Errorf("lang=zh_CN: %d, want 400", code)
	}

	// The enricher's metric.
	for name, w := range map[string]float64{
		`tension_enricher_articles_total{lang="zh",supported="true"}`:     2,
		`tension_enricher_articles_total{lang="en",supported="true"}`:     1,
		`tension_enricher_articles_total{lang="other",supported="false"}`: 1,
	} {
		if got := s.metric("enricher", name); got != w {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}

	// Reprocessing tags each article in its stored language: zh-Hant and
	// sw stay (detection would read und-Latn and zh).
	recounted := s.metric("sink", `tension_sink_messages_total{outcome="recounted"}`)
	out, err := s.runBackfill("reprocess", "-from", "2025-05-01", "-to", "2025-05-03", "-tagger-version", "tagger-test-9")
	if err != nil {
		t.Fatalf("reprocess: %v\n%s", err, out)
	}
	t.Logf("reprocess: %s", strings.TrimSpace(tail(out, 300)))
	s.waitMetric("sink", `tension_sink_messages_total{outcome="recounted"}`, recounted+float64(len(articles)), 3*time.Minute)
	again := s.storedLangsOf("tagger-test-9")
	for src, w := range want {
		if got := again[src]; got.lang != w.lang || got.unsupported != w.unsupported {
			t.Errorf("reprocessed %s: lang %q unsupported %v, want %q %v", src, got.lang, got.unsupported, w.lang, w.unsupported)
		}
	}
}

type storedLang struct {
	id, lang    string
	unsupported bool
}

// storedLangs reads lang and unsupported of every article by source (the
// newest enrichment).
func (s *stack) storedLangs() map[string]storedLang { return s.storedLangsOf("") }

// storedLangsOf is storedLangs for one tagger version ("" any).
func (s *stack) storedLangsOf(version string) map[string]storedLang {
	s.t.Helper()
	rows, err := s.ch.Query(context.Background(), `SELECT source, toString(article_id), argMax(lang, version), argMax(unsupported, version)
		FROM articles WHERE ? = '' OR tagger_version = ? GROUP BY source, article_id`, version, version)
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]storedLang{}
	for rows.Next() {
		var (
			src string
			l   storedLang
			u   uint8
		)
		if err := rows.Scan(&src, &l.id, &l.lang, &u); err != nil {
			s.t.Fatal(err)
		}
		l.unsupported = u != 0
		out[src] = l
	}
	if err := rows.Err(); err != nil {
		s.t.Fatal(err)
	}
	return out
}
