package api_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/services/query/internal/api"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// Articles of the ranked-list fixture.
const (
	t1 = "00000000-0000-5000-8000-0000000000b1" // v1; CN-US
	t2 = "00000000-0000-5000-8000-0000000000b2" // v1; CN-US and EU-US; published on a day boundary
	t3 = "00000000-0000-5000-8000-0000000000b3" // retagged: v1 then v2 (newer), CN-US in both
	t4 = "00000000-0000-5000-8000-0000000000b4" // v1; EU-US only
	t5 = "00000000-0000-5000-8000-0000000000b5" // v1; every row written twice, the second newer
	t6 = "00000000-0000-5000-8000-0000000000b6" // v1; CN-US, published after the range
	t7 = "00000000-0000-5000-8000-0000000000b7" // retagged: CN-US under v1, EU-US only under v2 (newer)
)

// topFixture loads known raw rows for /v1/entities/top and /v1/cues/top:
// retagged articles whose older version must not count in the current
// view, unmerged duplicates in separate parts (newer version and an exact
// replay), rows on other pairs and rows outside the range.
func topFixture(tb testing.TB) *httptest.Server {
	tb.Helper()
	conn, _ := chtest.Open(tb, "tension_test_query")
	t := func(s string) time.Time { return ts(tb, s) }
	art := func(id, ver, pub string, v uint64) []any {
		return []any{id, ver, t(pub), t(pub), t(pub), "https://news.example/" + id[len(id)-2:], "Example News",
			"title " + id[len(id)-2:], "text", uint8(1), []string{"CN", "US"}, []string{}, []string{}, int32(0), int64(v), v}
	}
	exec(tb, conn, insArticle,
		art(t1, "v1", "2025-04-02T10:00:00Z", 1),
		art(t2, "v1", "2025-04-03T00:00:00Z", 1),
		art(t3, "v1", "2025-04-10T08:00:00Z", 1),
		art(t3, "v2", "2025-04-10T08:00:00Z", 2),
		art(t4, "v1", "2025-04-11T08:00:00Z", 1),
		art(t5, "v1", "2025-04-12T08:00:00Z", 1),
		art(t6, "v1", "2025-05-15T08:00:00Z", 1),
		art(t7, "v1", "2025-04-20T08:00:00Z", 1),
		art(t7, "v2", "2025-04-20T08:00:00Z", 2),
	)
	exec(tb, conn, insArticle, art(t5, "v1", "2025-04-12T08:00:00Z", 3)) // newer duplicate, same tagger version

	dyad := func(pair, id, ver, pub string, v uint64) []any {
		return []any{pair, t(pub), id, ver, 0.5, "escalation", 5.0, uint16(1), v}
	}
	exec(tb, conn, insDyad,
		dyad("CN-US", t1, "v1", "2025-04-02T10:00:00Z", 1),
		dyad("CN-US", t2, "v1", "2025-04-03T00:00:00Z", 1),
		dyad("EU-US", t2, "v1", "2025-04-03T00:00:00Z", 1),
		dyad("CN-US", t3, "v1", "2025-04-10T08:00:00Z", 1),
		dyad("CN-US", t3, "v2", "2025-04-10T08:00:00Z", 2),
		dyad("EU-US", t4, "v1", "2025-04-11T08:00:00Z", 1),
		dyad("CN-US", t5, "v1", "2025-04-12T08:00:00Z", 1),
		dyad("CN-US", t6, "v1", "2025-05-15T08:00:00Z", 1),
		dyad("CN-US", t7, "v1", "2025-04-20T08:00:00Z", 1),
		dyad("EU-US", t7, "v2", "2025-04-20T08:00:00Z", 2),
	)
	exec(tb, conn, insDyad, dyad("CN-US", t5, "v1", "2025-04-12T08:00:00Z", 3))

	ent := func(id, ver, pub string, idx uint16, canonical, typ, country string, v uint64) []any {
		return []any{t(pub), id, ver, idx, canonical, typ, canonical, country, uint32(0), uint32(len(canonical)), v}
	}
	t1Entities := [][]any{
		ent(t1, "v1", "2025-04-02T10:00:00Z", 0, "Beijing", "GOV", "CN", 1),
		ent(t1, "v1", "2025-04-02T10:00:00Z", 1, "Washington", "GOV", "US", 1),
		ent(t1, "v1", "2025-04-02T10:00:00Z", 2, "Beijing", "GOV", "CN", 1),
	}
	exec(tb, conn, insEntity, append(t1Entities,
		ent(t2, "v1", "2025-04-03T00:00:00Z", 0, "Beijing", "GOV", "CN", 1),
		ent(t2, "v1", "2025-04-03T00:00:00Z", 1, "Reuters", "MEDIA", "", 1),
		ent(t3, "v1", "2025-04-10T08:00:00Z", 0, "Old Entity", "ORG", "", 1),
		ent(t3, "v2", "2025-04-10T08:00:00Z", 0, "Washington", "GOV", "US", 2),
		ent(t4, "v1", "2025-04-11T08:00:00Z", 0, "Brussels", "GOV", "EU", 1),
		ent(t4, "v1", "2025-04-11T08:00:00Z", 1, "Washington", "GOV", "US", 1),
		ent(t5, "v1", "2025-04-12T08:00:00Z", 0, "Beijing", "GOV", "CN", 1),
		ent(t6, "v1", "2025-05-15T08:00:00Z", 0, "Beijing", "GOV", "CN", 1),
		ent(t6, "v1", "2025-05-15T08:00:00Z", 1, "Late Entity", "ORG", "", 1),
		ent(t7, "v1", "2025-04-20T08:00:00Z", 0, "Putin", "PERSON", "RU", 1),
		ent(t7, "v2", "2025-04-20T08:00:00Z", 0, "Moscow", "GOV", "RU", 2),
	)...)
	// An exact replay of t1's entities and a newer copy of t5's, each in
	// its own part, not merged.
	exec(tb, conn, insEntity, t1Entities...)
	exec(tb, conn, insEntity, ent(t5, "v1", "2025-04-12T08:00:00Z", 0, "Beijing", "GOV", "CN", 3))

	cue := func(pair, id, ver, pub string, idx uint16, text, actor, target string, pol int8, w float64, v uint64) []any {
		return []any{pair, t(pub), id, ver, idx, text, "tariff", int16(0), uint32(0), uint32(len(text)),
			actor, target, pol, w, uint8(0), uint8(0), uint8(0), uint8(0), "ministry", "GOV", v}
	}
	t1Cues := [][]any{
		cue("CN-US", t1, "v1", "2025-04-02T10:00:00Z", 0, "raises tariffs", "US", "CN", 1, 5, 1),
		cue("CN-US", t1, "v1", "2025-04-02T10:00:00Z", 1, "threatens", "US", "CN", 1, 2, 1),
	}
	exec(tb, conn, insCue, append(t1Cues,
		cue("CN-US", t2, "v1", "2025-04-03T00:00:00Z", 0, "raises tariffs", "US", "CN", 1, 3, 1),
		cue("CN-US", t2, "v1", "2025-04-03T00:00:00Z", 1, "raises tariffs", "CN", "US", 1, 1, 1),
		cue("EU-US", t2, "v1", "2025-04-03T00:00:00Z", 0, "slaps duties", "US", "EU", 1, 9, 1),
		cue("CN-US", t3, "v1", "2025-04-10T08:00:00Z", 0, "old cue", "US", "CN", 1, 100, 1),
		cue("CN-US", t3, "v2", "2025-04-10T08:00:00Z", 0, "new cue", "CN", "US", 1, 4, 2),
		cue("CN-US", t5, "v1", "2025-04-12T08:00:00Z", 0, "resume talks", "CN", "US", -1, 1, 1),
		cue("CN-US", t6, "v1", "2025-05-15T08:00:00Z", 0, "raises tariffs", "US", "CN", 1, 40, 1),
		cue("CN-US", t7, "v1", "2025-04-20T08:00:00Z", 0, "stale cue", "US", "CN", 1, 50, 1),
		cue("EU-US", t7, "v2", "2025-04-20T08:00:00Z", 0, "eu cue", "EU", "US", 1, 3, 2),
	)...)
	// Two groups that differ only in category and tie on weight and
	// count: their order must not depend on the server's mood.
	inCategory := func(c []any, category string) []any { c[6] = category; return c }
	exec(tb, conn, insCue,
		inCategory(cue("EU-US", t4, "v1", "2025-04-11T08:00:00Z", 0, "warns", "US", "EU", 1, 2, 1), "trade"),
		inCategory(cue("EU-US", t4, "v1", "2025-04-11T08:00:00Z", 1, "warns", "US", "EU", 1, 2, 1), "defense"),
	)
	exec(tb, conn, insCue, t1Cues...)
	exec(tb, conn, insCue, cue("CN-US", t5, "v1", "2025-04-12T08:00:00Z", 0, "resume talks", "CN", "US", -1, 6, 3))
	writeRollups(tb, conn) // what the sink writes in the journal for these rows

	srv := httptest.NewServer(api.New(store.New(conn, 10*time.Second), api.Config{}))
	tb.Cleanup(srv.Close)
	return srv
}

const april = "from=2025-04-01T00:00:00Z&to=2025-05-01T00:00:00Z"

func entityList(es []api.EntityCount) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.Canonical + "/" + e.Type + "/" + e.Country + " " + utoa(e.Articles) + "/" + utoa(e.Mentions) + "; ")
	}
	return b.String()
}

func cueList(cs []api.CueCount) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.Text + " " + c.Actor + ">" + c.Target + " " + itoa(int64(c.Polarity)) + " " +
			utoa(c.Count) + "/" + utoa(c.Articles) + " " + ftoa(c.TotalWeight) + "/" + ftoa(c.MaxWeight) + "; ")
	}
	return b.String()
}

func checkPage(t *testing.T, what string, limit, offset int, next *int, wantLimit, wantOffset int, wantNext *int) {
	t.Helper()
	if limit != wantLimit || offset != wantOffset {
		t.Errorf("%s: limit %d offset %d, want %d %d", what, limit, offset, wantLimit, wantOffset)
	}
	switch {
	case next == nil && wantNext == nil:
	case next == nil || wantNext == nil || *next != *wantNext:
		t.Errorf("%s: next_offset %s, want %s", what, ptr(next), ptr(wantNext))
	}
}

func TestIntegrationEntitiesTop(t *testing.T) {
	srv := topFixture(t)
	two, four := 2, 4

	cases := []struct {
		name, query string
		want        string
		limit, off  int
		next        *int
	}{
		// Current view: t3 and t7 count under v2 only; t5 and t1 once
		// despite their duplicates; t6 is after the range.
		{"current view", april,
			"Beijing/GOV/CN 3/4; Washington/GOV/US 3/3; Brussels/GOV/EU 1/1; Moscow/GOV/RU 1/1; Reuters/MEDIA/ 1/1; ", 20, 0, nil},
		{"first page", april + "&limit=2",
			"Beijing/GOV/CN 3/4; Washington/GOV/US 3/3; ", 2, 0, &two},
		{"middle page", april + "&limit=2&offset=2",
			"Brussels/GOV/EU 1/1; Moscow/GOV/RU 1/1; ", 2, 2, &four},
		{"last page", april + "&limit=2&offset=4",
			"Reuters/MEDIA/ 1/1; ", 2, 4, nil},
		{"exactly the rest", april + "&limit=5",
			"Beijing/GOV/CN 3/4; Washington/GOV/US 3/3; Brussels/GOV/EU 1/1; Moscow/GOV/RU 1/1; Reuters/MEDIA/ 1/1; ", 5, 0, nil},
		{"past the end", april + "&limit=2&offset=10", "", 2, 10, nil},
		// On CN-US: t4 has no CN-US dyad, and t7 is on CN-US only under
		// v1, not its current v2.
		{"pair", april + "&pair=CN-US",
			"Beijing/GOV/CN 3/4; Washington/GOV/US 2/2; Reuters/MEDIA/ 1/1; ", 20, 0, nil},
		{"pair EU-US", april + "&pair=EU-US",
			"Beijing/GOV/CN 1/1; Brussels/GOV/EU 1/1; Moscow/GOV/RU 1/1; Reuters/MEDIA/ 1/1; Washington/GOV/US 1/1; ", 20, 0, nil},
		{"tagger version v1", april + "&tagger_version=v1",
			"Beijing/GOV/CN 3/4; Washington/GOV/US 2/2; Brussels/GOV/EU 1/1; Old Entity/ORG/ 1/1; Putin/PERSON/RU 1/1; Reuters/MEDIA/ 1/1; ", 20, 0, nil},
		{"tagger version v1 on pair", april + "&tagger_version=v1&pair=CN-US",
			"Beijing/GOV/CN 3/4; Old Entity/ORG/ 1/1; Putin/PERSON/RU 1/1; Reuters/MEDIA/ 1/1; Washington/GOV/US 1/1; ", 20, 0, nil},
		// t7 is not on CN-US under v2.
		{"tagger version v2 on pair", april + "&tagger_version=v2&pair=CN-US",
			"Washington/GOV/US 1/1; ", 20, 0, nil},
		// from is inclusive, to exclusive: t2 sits on 2025-04-03T00:00:00Z.
		{"to is exclusive", "from=2025-04-02T00:00:00Z&to=2025-04-03T00:00:00Z",
			"Beijing/GOV/CN 1/2; Washington/GOV/US 1/1; ", 20, 0, nil},
		{"from is inclusive", "from=2025-04-03T00:00:00Z&to=2025-04-04T00:00:00Z",
			"Beijing/GOV/CN 1/1; Reuters/MEDIA/ 1/1; ", 20, 0, nil},
		{"offset time zone", "from=2025-04-03T02:00:00%2B02:00&to=2025-04-03T20:00:00-04:00",
			"Beijing/GOV/CN 1/1; Reuters/MEDIA/ 1/1; ", 20, 0, nil},
		{"range before the data", "from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z", "", 20, 0, nil},
		{"range between the data", "from=2025-04-21T00:00:00Z&to=2025-05-15T00:00:00Z", "", 20, 0, nil},
		{"unknown pair", april + "&pair=FR-JP", "", 20, 0, nil},
		{"unknown tagger version", april + "&tagger_version=v9", "", 20, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r api.EntitiesResponse
			getJSON(t, srv, "/v1/entities/top?"+tc.query, &r)
			if r.Entities == nil {
				t.Fatalf("entities is null, want a list")
			}
			if got := entityList(r.Entities); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			checkPage(t, tc.name, r.Limit, r.Offset, r.NextOffset, tc.limit, tc.off, tc.next)
		})
	}

	t.Run("header", func(t *testing.T) {
		var r api.EntitiesResponse
		getJSON(t, srv, "/v1/entities/top?pair=CN-US&tagger_version=v1&from=2025-04-01T02:00:00%2B02:00&to=2025-05-01T00:00:00Z", &r)
		if r.Pair != "CN-US" || r.TaggerVersion != "v1" || r.From.Location() != time.UTC ||
			!r.From.Equal(ts(t, "2025-04-01T00:00:00Z")) || !r.To.Equal(ts(t, "2025-05-01T00:00:00Z")) {
			t.Errorf("header: %+v", r)
		}
		code, _, body := get(t, srv, "/v1/entities/top?"+april)
		if code != 200 || !strings.HasPrefix(body, `{"pair":"","from":"2025-04-01T00:00:00Z","to":"2025-05-01T00:00:00Z","tagger_version":"","lang":"","limit":20,"offset":0,"next_offset":null,"entities":[`) {
			t.Errorf("raw JSON: %d %s", code, body)
		}
		code, _, body = get(t, srv, "/v1/entities/top?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z")
		if code != 200 || !strings.HasSuffix(body, `"next_offset":null,"entities":[]}`+"\n") {
			t.Errorf("empty range: %d %s", code, body)
		}
	})

	t.Run("csv", func(t *testing.T) {
		code, ctype, body := get(t, srv, "/v1/entities/top?"+april+"&pair=CN-US&limit=2&offset=1&format=csv")
		want := "rank,canonical,type,country,articles,mentions\n" +
			"2,Washington,GOV,US,2,2\n" +
			"3,Reuters,MEDIA,,1,1\n"
		if code != 200 || ctype != "text/csv; charset=utf-8" || body != want {
			t.Errorf("got %d %q\n%s\nwant\n%s", code, ctype, body, want)
		}
		code, _, body = get(t, srv, "/v1/entities/top?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z&format=csv")
		if code != 200 || body != "rank,canonical,type,country,articles,mentions\n" {
			t.Errorf("empty csv: %d %q", code, body)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, q := range []string{"limit=0", "limit=1001", "offset=-1", "offset=100001", "pair=US-CN",
			"pair=CN-US%27%20OR%201=1", "from=2025-05-01T00:00:00Z&to=2025-04-01T00:00:00Z", "from=yesterday", "sort=articles"} {
			code, _, body := get(t, srv, "/v1/entities/top?"+q)
			if code != 400 || !strings.Contains(body, `"code":"bad_request"`) {
				t.Errorf("%s: %d %s", q, code, body)
			}
		}
	})
}

func TestIntegrationCuesTop(t *testing.T) {
	srv := topFixture(t)
	one, two := 1, 2
	all := "raises tariffs US>CN 1 2/2 8/5; resume talks CN>US -1 1/1 6/6; new cue CN>US 1 1/1 4/4; " +
		"threatens US>CN 1 1/1 2/2; raises tariffs CN>US 1 1/1 1/1; "

	cases := []struct {
		name, query string
		want        string
		limit, off  int
		next        *int
	}{
		// Current view: t3's v1 "old cue" and t7's v1 "stale cue" are
		// not current; t1's replay and t5's older copy count once; the
		// EU-US cues and t6 (after the range) are out.
		{"current view", april + "&pair=CN-US", all, 20, 0, nil},
		{"first page", april + "&pair=CN-US&limit=2",
			"raises tariffs US>CN 1 2/2 8/5; resume talks CN>US -1 1/1 6/6; ", 2, 0, &two},
		{"next pages", april + "&pair=CN-US&limit=1&offset=2",
			"new cue CN>US 1 1/1 4/4; ", 1, 2, intp(3)},
		{"last page", april + "&pair=CN-US&limit=2&offset=4",
			"raises tariffs CN>US 1 1/1 1/1; ", 2, 4, nil},
		{"past the end", april + "&pair=CN-US&offset=5", "", 20, 5, nil},
		{"other pair", april + "&pair=EU-US",
			"slaps duties US>EU 1 1/1 9/9; eu cue EU>US 1 1/1 3/3; warns US>EU 1 1/1 2/2; warns US>EU 1 1/1 2/2; ", 20, 0, nil},
		{"tagger version v1", april + "&pair=CN-US&tagger_version=v1",
			"old cue US>CN 1 1/1 100/100; stale cue US>CN 1 1/1 50/50; raises tariffs US>CN 1 2/2 8/5; " +
				"resume talks CN>US -1 1/1 6/6; threatens US>CN 1 1/1 2/2; raises tariffs CN>US 1 1/1 1/1; ", 20, 0, nil},
		{"tagger version v2", april + "&pair=CN-US&tagger_version=v2&limit=1",
			"new cue CN>US 1 1/1 4/4; ", 1, 0, nil},
		{"to is exclusive", "pair=CN-US&from=2025-04-02T00:00:00Z&to=2025-04-03T00:00:00Z",
			"raises tariffs US>CN 1 1/1 5/5; threatens US>CN 1 1/1 2/2; ", 20, 0, nil},
		{"from is inclusive", "pair=CN-US&from=2025-04-03T00:00:00Z&to=2025-04-04T00:00:00Z&limit=1",
			"raises tariffs US>CN 1 1/1 3/3; ", 1, 0, &one},
		{"range after the data", "pair=CN-US&from=2025-06-01T00:00:00Z&to=2025-07-01T00:00:00Z", "", 20, 0, nil},
		{"range before the data", "pair=CN-US&from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z", "", 20, 0, nil},
		{"unknown pair", april + "&pair=FR-JP", "", 20, 0, nil},
		{"unknown tagger version", april + "&pair=CN-US&tagger_version=v9", "", 20, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r api.CuesResponse
			getJSON(t, srv, "/v1/cues/top?"+tc.query, &r)
			if r.Cues == nil {
				t.Fatalf("cues is null, want a list")
			}
			if got := cueList(r.Cues); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			checkPage(t, tc.name, r.Limit, r.Offset, r.NextOffset, tc.limit, tc.off, tc.next)
		})
	}

	t.Run("ties by category", func(t *testing.T) {
		code, _, body := get(t, srv, "/v1/cues/top?"+april+"&pair=EU-US&offset=2&format=csv")
		want := "rank,text,category,polarity,actor,target,count,articles,total_weight,max_weight\n" +
			"3,warns,defense,1,US,EU,1,1,2,2\n" +
			"4,warns,trade,1,US,EU,1,1,2,2\n"
		if code != 200 || body != want {
			t.Errorf("got %d\n%s\nwant\n%s", code, body, want)
		}
	})

	t.Run("paging walks the whole list", func(t *testing.T) {
		var got strings.Builder
		off := 0
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("next_offset never ends")
			}
			var r api.CuesResponse
			getJSON(t, srv, "/v1/cues/top?"+april+"&pair=CN-US&limit=2&offset="+itoa(int64(off)), &r)
			got.WriteString(cueList(r.Cues))
			if r.NextOffset == nil {
				break
			}
			off = *r.NextOffset
		}
		if got.String() != all {
			t.Errorf("pages joined:\n got %s\nwant %s", got.String(), all)
		}
	})

	t.Run("header", func(t *testing.T) {
		code, _, body := get(t, srv, "/v1/cues/top?pair=CN-US&from=2025-06-01T00:00:00Z&to=2025-07-01T00:00:00Z")
		want := `{"pair":"CN-US","from":"2025-06-01T00:00:00Z","to":"2025-07-01T00:00:00Z","tagger_version":"","lang":"","limit":20,"offset":0,"next_offset":null,"cues":[]}` + "\n"
		if code != 200 || body != want {
			t.Errorf("empty range: %d %s\nwant %s", code, body, want)
		}
	})

	t.Run("csv", func(t *testing.T) {
		code, ctype, body := get(t, srv, "/v1/cues/top?"+april+"&pair=CN-US&limit=2&offset=1&format=csv")
		want := "rank,text,category,polarity,actor,target,count,articles,total_weight,max_weight\n" +
			"2,resume talks,tariff,-1,CN,US,1,1,6,6\n" +
			"3,new cue,tariff,1,CN,US,1,1,4,4\n"
		if code != 200 || ctype != "text/csv; charset=utf-8" || body != want {
			t.Errorf("got %d %q\n%s\nwant\n%s", code, ctype, body, want)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, q := range []string{"", april, april + "&pair=US-CN", april + "&pair=CN-US&limit=abc",
			april + "&pair=CN-US&pair=EU-US", "pair=CN-US&from=2025-04-01T00:00:00", "pair=CN-US&from=1900-01-01T00:00:00Z"} {
			code, _, body := get(t, srv, "/v1/cues/top?"+q)
			if code != 400 || !strings.Contains(body, `"code":"bad_request"`) {
				t.Errorf("%q: %d %s", q, code, body)
			}
		}
	})
}

func intp(n int) *int { return &n }

func ptr(n *int) string {
	if n == nil {
		return "null"
	}
	return itoa(int64(*n))
}

func itoa(n int64) string   { return strconv.FormatInt(n, 10) }
func utoa(n uint64) string  { return strconv.FormatUint(n, 10) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// writeRollups writes the ranked lists' rollup rows the raw rows imply
// (migration 0010), as the sink writes them: whole days are read there.
func writeRollups(tb testing.TB, conn driver.Conn) {
	tb.Helper()
	for _, sql := range chtest.RollupSQL(time.Unix(0, 0), time.Unix(1<<32-1, 0)) {
		if err := conn.Exec(context.Background(), sql); err != nil {
			tb.Fatal(err)
		}
	}
}
