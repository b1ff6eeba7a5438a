package api_test

import (
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/services/query/internal/api"
	"github.com/tension-dev/tension/services/query/internal/store"
)

const insArticleLang = `INSERT INTO articles (article_id, tagger_version, published_at, received_at, enriched_at, url, source,
	title, text, relevant, countries, topics, pairs, src_partition, src_offset, version, lang, unsupported)`

// langFixture: a1 Simplified Chinese, a2 English, a3 Swahili (unsupported,
// no dyad), a4 read as English by v1 and as Chinese by its newest version
// v2, a5 stored before languages were recorded (lang ”). All on CN-US in
// April 2025 but a3.
func langFixture(tb testing.TB) *httptest.Server {
	tb.Helper()
	conn, _ := chtest.Open(tb, "tension_test_query_lang")
	t := func(s string) time.Time { return ts(tb, s) }
	art := func(id, ver, pub, lang string, unsupported uint8, v uint64) []any {
		return []any{id, ver, t(pub), t(pub), t(pub), "https://news.example/" + id[len(id)-1:], "src-" + id[len(id)-1:],
			"title " + id[len(id)-1:], "text", uint8(1), []string{"CN", "US"}, []string{}, []string{"CN-US"}, int32(0), int64(v), v,
			lang, unsupported}
	}
	exec(tb, conn, insArticleLang,
		art(a1, "v1", "2025-04-02T10:00:00Z", "zh-Hans", 0, 1),
		art(a2, "v1", "2025-04-02T11:00:00Z", "en", 0, 1),
		art(a3, "v1", "2025-04-02T12:00:00Z", "sw", 1, 1),
		art(a4, "v1", "2025-04-03T12:00:00Z", "en", 0, 1),
		art(a4, "v2", "2025-04-03T12:00:00Z", "zh", 0, 2),
	)
	exec(tb, conn, insArticle, []any{a5, "v1", t("2025-04-04T10:00:00Z"), t("2025-04-04T10:00:00Z"), t("2025-04-04T10:00:00Z"),
		"", "src-5", "title 5", "text", uint8(1), []string{"CN", "US"}, []string{}, []string{"CN-US"}, int32(0), int64(1), uint64(1)})
	dy := func(id, ver, pub string, tension float64, v uint64) []any {
		return []any{"CN-US", t(pub), id, ver, tension, "escalation", 1.0, uint32(1), v}
	}
	exec(tb, conn, insDyad,
		dy(a1, "v1", "2025-04-02T10:00:00Z", 0.9, 1),
		dy(a2, "v1", "2025-04-02T11:00:00Z", 0.8, 1),
		dy(a4, "v1", "2025-04-03T12:00:00Z", 0.7, 1),
		dy(a4, "v2", "2025-04-03T12:00:00Z", 0.6, 2),
		dy(a5, "v1", "2025-04-04T10:00:00Z", 0.5, 1),
	)
	cue := func(id, ver, pub, text string, v uint64) []any {
		return []any{"CN-US", t(pub), id, ver, uint32(0), text, "tariff", int32(0), uint32(0), uint32(4),
			"US", "CN", int8(1), 5.0, uint8(0), uint8(0), uint8(0), uint8(0), "", "NEWS", v}
	}
	exec(tb, conn, insCue,
		cue(a1, "v1", "2025-04-02T10:00:00Z", "加征关税", 1),
		cue(a2, "v1", "2025-04-02T11:00:00Z", "raised tariffs", 1),
		cue(a4, "v1", "2025-04-03T12:00:00Z", "old english cue", 1),
		cue(a4, "v2", "2025-04-03T12:00:00Z", "反制", 2),
	)
	ent := func(id, ver, pub, name string, v uint64) []any {
		return []any{t(pub), id, ver, uint32(0), name, "GOV", name, "CN", uint32(0), uint32(3), v}
	}
	exec(tb, conn, insEntity,
		ent(a1, "v1", "2025-04-02T10:00:00Z", "MOFCOM", 1),
		ent(a2, "v1", "2025-04-02T11:00:00Z", "USTR", 1),
		ent(a4, "v2", "2025-04-03T12:00:00Z", "Chinese government", 2),
	)
	writeRollups(tb, conn)
	srv := httptest.NewServer(api.New(store.New(conn, 10*time.Second), api.Config{}))
	tb.Cleanup(srv.Close)
	return srv
}

func TestIntegrationLangFilter(t *testing.T) {
	srv := langFixture(t)
	const april = "from=2025-04-01T00:00:00Z&to=2025-05-01T00:00:00Z"
	drivers := func(q string) string {
		t.Helper()
		var r api.DriversResponse
		getJSON(t, srv, "/v1/drivers?pair=CN-US&"+april+q, &r)
		var out []string
		for _, d := range r.Drivers {
			out = append(out, d.Source+":"+d.TaggerVersion+":"+d.Lang)
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	for _, tt := range []struct{ q, want string }{
		{"", "src-1:v1:zh-Hans src-2:v1:en src-4:v2:zh src-5:v1:"},
		{"&lang=zh", "src-1:v1:zh-Hans src-4:v2:zh"},
		{"&lang=ZH-hans", "src-1:v1:zh-Hans"},
		{"&lang=zh-Hant", ""},
		// The newest enrichment's language decides, whatever the version shown.
		{"&lang=en", "src-2:v1:en"},
		{"&lang=zh&tagger_version=v1", "src-1:v1:zh-Hans src-4:v1:zh"},
		{"&lang=en&tagger_version=v1", "src-2:v1:en"},
		{"&lang=sw", ""},
	} {
		if got := drivers(tt.q); got != tt.want {
			t.Errorf("drivers%s: %q, want %q", tt.q, got, tt.want)
		}
	}

	var es api.EntitiesResponse
	getJSON(t, srv, "/v1/entities/top?lang=zh&"+april, &es)
	var names []string
	for _, e := range es.Entities {
		names = append(names, e.Canonical)
	}
	sort.Strings(names)
	if got := strings.Join(names, ","); got != "Chinese government,MOFCOM" || es.Lang != "zh" {
		t.Errorf("entities lang=zh: %s (lang %q), want Chinese government,MOFCOM", got, es.Lang)
	}
	getJSON(t, srv, "/v1/entities/top?pair=CN-US&lang=en&tagger_version=v1&"+april, &es)
	if len(es.Entities) != 1 || es.Entities[0].Canonical != "USTR" {
		t.Errorf("entities lang=en v1 on CN-US: %+v, want USTR", es.Entities)
	}

	cues := func(q string) string {
		t.Helper()
		var cs api.CuesResponse
		getJSON(t, srv, "/v1/cues/top?pair=CN-US&"+april+q, &cs)
		var texts []string
		for _, c := range cs.Cues {
			texts = append(texts, c.Text)
		}
		sort.Strings(texts)
		return strings.Join(texts, ",")
	}
	if got := cues("&lang=zh"); got != "加征关税,反制" {
		t.Errorf("cues lang=zh: %s, want 加征关税,反制", got)
	}
	if got := cues("&lang=zh&tagger_version=v1"); got != "old english cue,加征关税" {
		t.Errorf("cues lang=zh v1: %s, want old english cue,加征关税", got)
	}

	for id, want := range map[string]string{a1: `"lang":"zh-Hans","unsupported":false`, a3: `"lang":"sw","unsupported":true`,
		a4: `"lang":"zh","unsupported":false`, a5: `"lang":"","unsupported":false`} {
		if code, _, body := get(t, srv, "/v1/articles/"+id); code != 200 || !strings.Contains(body, want) {
			t.Errorf("article %s: %d %s, want %s", id, code, body, want)
		}
	}
	if code, _, body := get(t, srv, "/v1/cues/top?pair=CN-US&lang=zh%25"); code != 400 || !strings.Contains(body, "lang:") {
		t.Errorf("lang=zh%%: %d %s, want 400", code, body)
	}
}
