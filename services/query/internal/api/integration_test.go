package api_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/services/query/internal/api"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// journalRow is one delta row of index_journal.
type journalRow struct {
	kind, key, granularity, pair, version string
	bucket                                string // RFC 3339
	articles, dyad, esc, deesc, mixed     int64
	score, weight                         float64
}

func ts(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t.UTC()
}

// insertJournal writes rows in one INSERT, with the explicit column list
// clickhouse-go needs on 18.16.
func insertJournal(tb testing.TB, conn driver.Conn, rows []journalRow) {
	tb.Helper()
	ctx := context.Background()
	b, err := conn.PrepareBatch(ctx, `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket,
		entries, articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight)`)
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range rows {
		kind, gran := r.kind, r.granularity
		if kind == "" {
			kind = "bucket"
		}
		if err := b.Append(kind, r.key, gran, r.pair, r.version, ts(tb, r.bucket), int64(1),
			r.articles, r.dyad, r.esc, r.deesc, r.mixed, r.score, r.weight); err != nil {
			tb.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		tb.Fatal(err)
	}
}

func exec(tb testing.TB, conn driver.Conn, sql string, rows ...[]any) {
	tb.Helper()
	chtest.Insert(tb, conn, sql, rows...)
}

const (
	a1 = "00000000-0000-5000-8000-000000000001"
	a2 = "00000000-0000-5000-8000-000000000002"
	a3 = "00000000-0000-5000-8000-000000000003"
	a4 = "00000000-0000-5000-8000-000000000004"
	a5 = "00000000-0000-5000-8000-000000000005"
)

const (
	insArticle = chtest.InsertArticles
	insDyad    = chtest.InsertDyads
	insCue     = chtest.InsertCues
	insEntity  = chtest.InsertEntities
)

// fixture loads known rows: journal deltas split over several rows and
// inserts (so nothing relies on merges), other tagger versions and kinds
// that must not leak in, and raw rows with unmerged duplicates.
func fixture(tb testing.TB) *httptest.Server {
	tb.Helper()
	conn, _ := chtest.Open(tb, "tension_test_query")
	insertJournal(tb, conn, []journalRow{
		{granularity: "day", pair: "*", bucket: "2025-04-02T00:00:00Z", articles: 6},
		{granularity: "day", pair: "CN-US", bucket: "2025-04-02T00:00:00Z", dyad: 3, esc: 2, deesc: 1, score: 0.5, weight: 10},
		{granularity: "day", pair: "*", bucket: "2025-04-03T00:00:00Z", articles: 5},
		{granularity: "day", pair: "EU-US", bucket: "2025-04-03T00:00:00Z", dyad: 2, esc: 1, score: 0.4, weight: 3},
		{granularity: "day", pair: "*", bucket: "2025-04-30T00:00:00Z", articles: 2},
		{granularity: "day", pair: "CN-US", bucket: "2025-04-30T00:00:00Z", dyad: 1, esc: 1, score: 0.5, weight: 4},
		{granularity: "day", pair: "*", bucket: "2025-05-12T00:00:00Z", articles: 8},
		{granularity: "day", pair: "CN-US", bucket: "2025-05-12T00:00:00Z", dyad: 4, deesc: 4, score: -2, weight: 20},
		// Cancelled out: must not count or stretch /v1/pairs.
		{granularity: "day", pair: "CN-US", bucket: "2025-06-10T00:00:00Z", dyad: 1, esc: 1, score: 0.3},
		{granularity: "day", pair: "CN-US", bucket: "2025-06-10T00:00:00Z", dyad: -1, esc: -1, score: -0.3},
		// Another tagger version's own view, and an article ledger row.
		{granularity: "day", pair: "*", version: "v2", bucket: "2025-04-02T00:00:00Z", articles: 100},
		{granularity: "day", pair: "CN-US", version: "v2", bucket: "2025-04-02T00:00:00Z", dyad: 50, esc: 50},
		{kind: "article", key: a1, granularity: "none", pair: "*", bucket: "2025-04-02T00:00:00Z", articles: 1},
		// Hours and minutes.
		{granularity: "hour", pair: "*", bucket: "2025-04-02T10:00:00Z", articles: 3},
		{granularity: "hour", pair: "CN-US", bucket: "2025-04-02T10:00:00Z", dyad: 1, esc: 1, score: 0.9},
		{granularity: "hour", pair: "*", bucket: "2025-04-02T11:00:00Z", articles: 2},
		{granularity: "hour", pair: "CN-US", bucket: "2025-04-02T11:00:00Z", dyad: 1, deesc: 1, score: -0.95},
		{granularity: "minute", pair: "*", bucket: "2025-04-02T10:05:00Z", articles: 1},
	})
	// A second insert into the same day: summed at read time.
	insertJournal(tb, conn, []journalRow{
		{granularity: "day", pair: "*", bucket: "2025-04-02T00:00:00Z", articles: 4},
		{granularity: "day", pair: "CN-US", bucket: "2025-04-02T00:00:00Z", dyad: 1, esc: 1, score: 0.7, weight: 2},
	})

	t := func(s string) time.Time { return ts(tb, s) }
	arts := func(id, ver, pub, title string, v uint64) []any {
		return []any{id, ver, t(pub), t(pub), t(pub), "https://news.example/" + id[len(id)-1:], "Example News",
			title, "text of " + title, uint8(1), []string{"CN", "US"}, []string{"tariffs"}, []string{"CN-US"}, int32(0), int64(v), v}
	}
	exec(tb, conn, insArticle,
		arts(a1, "v1", "2025-04-02T10:00:00Z", "US raises tariffs", 1),
		arts(a2, "v1", "2025-04-02T11:00:00Z", "=Talks resume", 1),
		arts(a3, "v1", "2025-04-30T09:00:00Z", "Minor spat", 1),
		arts(a4, "v1", "2025-04-30T12:00:00Z", "Retagged story", 1),
		arts(a4, "v2", "2025-04-30T12:00:00Z", "Retagged story", 2),
		arts(a5, "v1", "2025-04-30T13:00:00Z", "Duplicate story", 1),
	)
	dy := func(id, ver, pub string, tension float64, dir string, v uint64) []any {
		return []any{"CN-US", t(pub), id, ver, tension, dir, math.Abs(tension) * 10, uint16(1), v}
	}
	exec(tb, conn, insDyad,
		dy(a1, "v1", "2025-04-02T10:00:00Z", 0.9, "escalation", 1),
		dy(a2, "v1", "2025-04-02T11:00:00Z", -0.95, "de-escalation", 1),
		dy(a3, "v1", "2025-04-30T09:00:00Z", 0.2, "escalation", 1),
		dy(a4, "v1", "2025-04-30T12:00:00Z", 0.99, "escalation", 1),
		dy(a4, "v2", "2025-04-30T12:00:00Z", 0.1, "neutral", 2),
		dy(a5, "v1", "2025-04-30T13:00:00Z", 0.5, "escalation", 1),
		[]any{"EU-US", t("2025-04-02T10:00:00Z"), a1, "v1", 0.99, "escalation", 9.0, uint16(1), uint64(1)},
	)
	// The newer duplicate of a5 in its own part, not merged.
	exec(tb, conn, insDyad, dy(a5, "v1", "2025-04-30T13:00:00Z", 0.6, "escalation", 2))
	cue := func(id, ver, pub string, idx uint16, text string, pol int8, w float64, v uint64) []any {
		return []any{"CN-US", t(pub), id, ver, idx, text, "tariff", uint16(0), uint32(idx * 10), uint32(idx*10 + 5),
			"US", "CN", pol, w, uint8(0), uint8(0), uint8(0), uint8(0), "ministry", "GOV", v}
	}
	exec(tb, conn, insCue,
		cue(a1, "v1", "2025-04-02T10:00:00Z", 0, "raises tariffs", 1, 7, 1),
		cue(a1, "v1", "2025-04-02T10:00:00Z", 1, "threatens", 1, 4.4, 1),
		cue(a2, "v1", "2025-04-02T11:00:00Z", 0, "resume talks", -1, 7, 1),
		cue(a4, "v1", "2025-04-30T12:00:00Z", 0, "old cue", 1, 8, 1),
		cue(a4, "v2", "2025-04-30T12:00:00Z", 0, "new cue", 1, 1, 2),
	)
	exec(tb, conn, insCue, cue(a1, "v1", "2025-04-02T10:00:00Z", 0, "raises tariffs", 1, 8, 2)) // newer duplicate
	ent := func(id, ver, pub string, idx uint16, text, typ string, v uint64) []any {
		return []any{t(pub), id, ver, idx, text, typ, text, "US", uint32(0), uint32(len(text)), v}
	}
	exec(tb, conn, insEntity,
		ent(a4, "v1", "2025-04-30T12:00:00Z", 0, "Old Entity", "ORG", 1),
		ent(a4, "v2", "2025-04-30T12:00:00Z", 0, "Washington", "GOV", 2),
		ent(a4, "v2", "2025-04-30T12:00:00Z", 1, "Reuters", "MEDIA", 2),
	)

	a := api.New(store.New(conn, 10*time.Second), api.Config{})
	srv := httptest.NewServer(a)
	tb.Cleanup(srv.Close)
	return srv
}

func get(tb testing.TB, srv *httptest.Server, path string) (int, string, string) {
	tb.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func getJSON(tb testing.TB, srv *httptest.Server, path string, v any) {
	tb.Helper()
	code, _, body := get(tb, srv, path)
	if code != http.StatusOK {
		tb.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		tb.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

type wantBucket struct {
	start                             string
	articles, dyad, esc, deesc, mixed int64
	score, net, share, index          float64
}

func checkBuckets(t *testing.T, got []api.IndexBucket, want []wantBucket) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d buckets %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Start.Format(time.RFC3339) != w.start || g.Articles != w.articles || g.DyadArticles != w.dyad ||
			g.Escalating != w.esc || g.Deescalating != w.deesc || g.Mixed != w.mixed ||
			!near(g.SumScore, w.score) || !near(g.NetTension, w.net) || !near(g.TensionShare, w.share) || !near(g.TensionIndex, w.index) {
			t.Errorf("bucket %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestIntegrationIndex(t *testing.T) {
	srv := fixture(t)

	t.Run("day", func(t *testing.T) {
		var r api.IndexResponse
		getJSON(t, srv, "/v1/index?pair=CN-US&interval=day&from=2025-04-01T00:00:00Z&to=2025-06-01T00:00:00Z", &r)
		base := 4.0 / 25.0
		if r.Pair != "CN-US" || r.Interval != api.Day || r.TaggerVersion != "" || !near(r.Base.Share, base) ||
			!r.Base.From.Equal(ts(t, "2025-04-01T00:00:00Z")) || !r.Base.To.Equal(ts(t, "2025-06-01T00:00:00Z")) {
			t.Fatalf("header: %+v", r)
		}
		checkBuckets(t, r.Buckets, []wantBucket{
			{"2025-04-02T00:00:00Z", 10, 4, 3, 1, 0, 1.2, 0.3, 0.3, 100 * 0.3 / base},
			{"2025-04-03T00:00:00Z", 5, 0, 0, 0, 0, 0, 0, 0, 0},
			{"2025-04-30T00:00:00Z", 2, 1, 1, 0, 0, 0.5, 0.5, 0.5, 100 * 0.5 / base},
			{"2025-05-12T00:00:00Z", 8, 4, 0, 4, 0, -2, -0.5, 0, 0},
		})
	})

	t.Run("month", func(t *testing.T) {
		var r api.IndexResponse
		getJSON(t, srv, "/v1/index?pair=CN-US&interval=month&from=2025-04-15T00:00:00Z&to=2025-05-02T00:00:00Z", &r)
		base := 4.0 / 25.0
		if !r.From.Equal(ts(t, "2025-04-01T00:00:00Z")) || !r.To.Equal(ts(t, "2025-06-01T00:00:00Z")) {
			t.Fatalf("range not aligned to months: %v..%v", r.From, r.To)
		}
		checkBuckets(t, r.Buckets, []wantBucket{
			{"2025-04-01T00:00:00Z", 17, 5, 4, 1, 0, 1.7, 1.7 / 5, 4.0 / 17, 100 * (4.0 / 17) / base},
			{"2025-05-01T00:00:00Z", 8, 4, 0, 4, 0, -2, -0.5, 0, 0},
		})
	})

	t.Run("explicit base", func(t *testing.T) {
		var r api.IndexResponse
		getJSON(t, srv, "/v1/index?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-05-01T00:00:00Z&base_from=2025-04-02T00:00:00Z&base_to=2025-04-03T00:00:00Z", &r)
		if !near(r.Base.Share, 0.3) {
			t.Fatalf("base share %v, want 0.3", r.Base.Share)
		}
		checkBuckets(t, r.Buckets, []wantBucket{
			{"2025-04-02T00:00:00Z", 10, 4, 3, 1, 0, 1.2, 0.3, 0.3, 100},
			{"2025-04-03T00:00:00Z", 5, 0, 0, 0, 0, 0, 0, 0, 0},
			{"2025-04-30T00:00:00Z", 2, 1, 1, 0, 0, 0.5, 0.5, 0.5, 100 * 0.5 / 0.3},
		})
	})

	t.Run("base at hour alignment", func(t *testing.T) {
		var r api.IndexResponse
		getJSON(t, srv, "/v1/index?pair=CN-US&interval=hour&from=2025-04-02T10:30:00Z&to=2025-04-02T11:30:00Z&base_from=2025-04-02T10:00:00Z&base_to=2025-04-02T11:00:00Z", &r)
		if !near(r.Base.Share, 1.0/3) {
			t.Fatalf("base share %v, want 1/3", r.Base.Share)
		}
		checkBuckets(t, r.Buckets, []wantBucket{
			{"2025-04-02T10:00:00Z", 3, 1, 1, 0, 0, 0.9, 0.9, 1.0 / 3, 100},
			{"2025-04-02T11:00:00Z", 2, 1, 0, 1, 0, -0.95, -0.95, 0, 0},
		})
	})

	t.Run("minute", func(t *testing.T) {
		var r api.IndexResponse
		getJSON(t, srv, "/v1/index?pair=CN-US&interval=minute&from=2025-04-02T10:00:00Z&to=2025-04-02T10:10:00Z", &r)
		checkBuckets(t, r.Buckets, []wantBucket{{"2025-04-02T10:05:00Z", 1, 0, 0, 0, 0, 0, 0, 0, 0}})
	})

	t.Run("tagger version view", func(t *testing.T) {
		var r api.IndexResponse
		getJSON(t, srv, "/v1/index?pair=CN-US&tagger_version=v2&from=2025-04-01T00:00:00Z&to=2025-05-01T00:00:00Z", &r)
		checkBuckets(t, r.Buckets, []wantBucket{{"2025-04-02T00:00:00Z", 100, 50, 50, 0, 0, 0, 0, 0.5, 100}})
	})

	t.Run("unknown pair has the articles and no dyads", func(t *testing.T) {
		var r api.IndexResponse
		getJSON(t, srv, "/v1/index?pair=FR-JP&from=2025-05-12T00:00:00Z&to=2025-05-13T00:00:00Z", &r)
		checkBuckets(t, r.Buckets, []wantBucket{{"2025-05-12T00:00:00Z", 8, 0, 0, 0, 0, 0, 0, 0, 0}})
	})

	t.Run("csv", func(t *testing.T) {
		code, ctype, body := get(t, srv, "/v1/index?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-04-04T00:00:00Z&format=csv")
		want := "start,articles,dyad_articles,escalating,deescalating,mixed,sum_score,sum_weight,net_tension,tension_share,tension_index\n" +
			"2025-04-02T00:00:00Z,10,4,3,1,0,1.2,12,0.3,0.3,150\n" +
			"2025-04-03T00:00:00Z,5,0,0,0,0,0,0,0,0,0\n"
		if code != 200 || ctype != "text/csv; charset=utf-8" || body != want {
			t.Fatalf("got %d %q\n%s\nwant\n%s", code, ctype, body, want)
		}
	})
}

func TestIntegrationDrivers(t *testing.T) {
	srv := fixture(t)
	var r api.DriversResponse
	getJSON(t, srv, "/v1/drivers?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-05-01T00:00:00Z", &r)
	type driverWant struct {
		id, version, title string
		tension            float64
		cues               []string
	}
	wants := []driverWant{
		{a2, "v1", "=Talks resume", -0.95, []string{"resume talks"}},
		{a1, "v1", "US raises tariffs", 0.9, []string{"raises tariffs", "threatens"}},
		{a5, "v1", "Duplicate story", 0.6, nil},
		{a3, "v1", "Minor spat", 0.2, nil},
		{a4, "v2", "Retagged story", 0.1, []string{"new cue"}},
	}
	if len(r.Drivers) != len(wants) {
		t.Fatalf("got %d drivers: %+v", len(r.Drivers), r.Drivers)
	}
	for i, w := range wants {
		d := r.Drivers[i]
		var cues []string
		for _, c := range d.Cues {
			cues = append(cues, c.Text)
		}
		if d.ArticleID != w.id || d.TaggerVersion != w.version || d.Title != w.title || !near(d.Tension, w.tension) ||
			strings.Join(cues, "|") != strings.Join(w.cues, "|") {
			t.Errorf("driver %d: got %+v, want %+v", i, d, w)
		}
	}
	if c := r.Drivers[1].Cues[0]; c.Weight != 8 || c.Actor != "US" || c.Target != "CN" || c.Polarity != 1 ||
		c.SourceType != "GOV" || c.StartOffset != 0 || c.EndOffset != 5 {
		t.Errorf("cue of the newest duplicate: %+v", c)
	}
	if r.Drivers[0].URL != "https://news.example/2" || r.Drivers[0].Source != "Example News" ||
		!r.Drivers[0].PublishedAt.Equal(ts(t, "2025-04-02T11:00:00Z")) {
		t.Errorf("article fields: %+v", r.Drivers[0])
	}

	getJSON(t, srv, "/v1/drivers?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-05-01T00:00:00Z&limit=2", &r)
	if len(r.Drivers) != 2 || r.Drivers[0].ArticleID != a2 || r.Drivers[1].ArticleID != a1 {
		t.Errorf("limit=2: %+v", r.Drivers)
	}
	getJSON(t, srv, "/v1/drivers?pair=CN-US&tagger_version=v1&from=2025-04-30T00:00:00Z&to=2025-05-01T00:00:00Z&limit=1", &r)
	if len(r.Drivers) != 1 || r.Drivers[0].ArticleID != a4 || r.Drivers[0].TaggerVersion != "v1" || r.Drivers[0].Cues[0].Text != "old cue" {
		t.Errorf("tagger_version=v1: %+v", r.Drivers)
	}
	getJSON(t, srv, "/v1/drivers?pair=CN-US&from=2025-06-01T00:00:00Z&to=2025-07-01T00:00:00Z", &r)
	if r.Drivers == nil || len(r.Drivers) != 0 {
		t.Errorf("empty range: %+v", r.Drivers)
	}

	code, _, body := get(t, srv, "/v1/drivers?pair=CN-US&from=2025-04-02T11:00:00Z&to=2025-04-02T12:00:00Z&format=csv")
	wantCSV := "rank,article_id,tagger_version,published_at,title,url,source,tension,direction,weight,n_cues,cue_text,cue_category,cue_actor,cue_target,cue_polarity,cue_weight,cue_hedged,cue_negated,cue_future,cue_background,cue_source,cue_source_type,cue_sentence,cue_start_offset,cue_end_offset,lang,unsupported,published_at_source\n" +
		"1," + a2 + ",v1,2025-04-02T11:00:00Z,'=Talks resume,https://news.example/2,Example News,-0.95,de-escalation,9.5,1,resume talks,tariff,US,CN,-1,7,false,false,false,false,ministry,GOV,0,0,5,,false,\n"
	if code != 200 || body != wantCSV {
		t.Errorf("csv: %d\n%s\nwant\n%s", code, body, wantCSV)
	}
}

func TestIntegrationArticle(t *testing.T) {
	srv := fixture(t)
	var r api.ArticleResponse
	getJSON(t, srv, "/v1/articles/"+a4, &r)
	if r.ArticleID != a4 || r.TaggerVersion != "v2" || r.Title != "Retagged story" || !r.Relevant ||
		strings.Join(r.Countries, ",") != "CN,US" || !r.PublishedAt.Equal(ts(t, "2025-04-30T12:00:00Z")) {
		t.Fatalf("article: %+v", r)
	}
	if len(r.Entities) != 2 || r.Entities[0].Text != "Washington" || r.Entities[0].Type != "GOV" || r.Entities[1].Type != "MEDIA" {
		t.Errorf("entities: %+v", r.Entities)
	}
	if len(r.Dyads) != 1 || r.Dyads[0].Pair != "CN-US" || r.Dyads[0].Tension != 0.1 || r.Dyads[0].Direction != "neutral" ||
		len(r.Dyads[0].Cues) != 1 || r.Dyads[0].Cues[0].Text != "new cue" {
		t.Errorf("dyads: %+v", r.Dyads)
	}

	getJSON(t, srv, "/v1/articles/"+a1, &r)
	if len(r.Dyads) != 2 || r.Dyads[0].Pair != "CN-US" || len(r.Dyads[0].Cues) != 2 || r.Dyads[1].Pair != "EU-US" {
		t.Errorf("a1 dyads: %+v", r.Dyads)
	}

	code, _, body := get(t, srv, "/v1/articles/00000000-0000-5000-8000-0000000000ff")
	if code != 404 || body != `{"error":{"code":"not_found","message":"not found"}}`+"\n" {
		t.Errorf("unknown id: %d %s", code, body)
	}
	code, _, body = get(t, srv, "/v1/articles/1%27%20OR%201=1")
	if code != 400 || !strings.Contains(body, `"code":"bad_request"`) {
		t.Errorf("bad id: %d %s", code, body)
	}
}

func TestIntegrationPairs(t *testing.T) {
	srv := fixture(t)
	var r api.PairsResponse
	getJSON(t, srv, "/v1/pairs", &r)
	want := []api.Pair{
		{Pair: "CN-US", DyadArticles: 9, First: ts(t, "2025-04-02T00:00:00Z"), Last: ts(t, "2025-05-12T00:00:00Z")},
		{Pair: "EU-US", DyadArticles: 2, First: ts(t, "2025-04-03T00:00:00Z"), Last: ts(t, "2025-04-03T00:00:00Z")},
	}
	if len(r.Pairs) != len(want) {
		t.Fatalf("pairs: %+v", r.Pairs)
	}
	for i := range want {
		g, w := r.Pairs[i], want[i]
		if g.Pair != w.Pair || g.DyadArticles != w.DyadArticles || !g.First.Equal(w.First) || !g.Last.Equal(w.Last) {
			t.Errorf("pair %d: got %+v want %+v", i, g, w)
		}
	}
	code, _, body := get(t, srv, "/v1/pairs?format=csv&tagger_version=v2")
	if code != 200 || body != "pair,dyad_articles,first,last\nCN-US,50,2025-04-02T00:00:00Z,2025-04-02T00:00:00Z\n" {
		t.Errorf("csv v2: %d %s", code, body)
	}
}

func TestIntegrationReady(t *testing.T) {
	srv := fixture(t)
	code, _, body := get(t, srv, "/readyz")
	if code != 200 {
		t.Fatalf("readyz: %d %s", code, body)
	}
	// Hostile input is answered 400 before any query, and the server stays up.
	code, _, _ = get(t, srv, "/v1/index?pair=CN-US%27%20OR%201=1%20--")
	if code != 400 {
		t.Fatalf("hostile pair: %d", code)
	}
	if code, _, _ = get(t, srv, "/v1/pairs"); code != 200 {
		t.Fatalf("after hostile input: %d", code)
	}
}
