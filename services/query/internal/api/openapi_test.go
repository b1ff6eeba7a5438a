package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/schemas"

	"github.com/tension-dev/tension/services/query/internal/store"
)

// openapiDoc is the part of schemas/openapi.json the test reads.
type openapiDoc struct {
	Paths map[string]map[string]struct {
		Parameters []struct {
			Ref  string `json:"$ref"`
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"parameters"`
		Responses map[string]struct {
			Ref     string                     `json:"$ref"`
			Content map[string]json.RawMessage `json:"content"`
		} `json:"responses"`
	} `json:"paths"`
	Components struct {
		Parameters map[string]struct {
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"parameters"`
	} `json:"components"`
}

func loadOpenAPI(t *testing.T) (openapiDoc, []byte) {
	t.Helper()
	raw, err := schemas.FS.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc openapiDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc, raw
}

// TestOpenAPIRoutesAndParams: every route the mux serves is in the
// document and vice versa, and each path's query parameters are exactly
// the ones its parser accepts.
func TestOpenAPIRoutesAndParams(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	a := New(&fakeStore{}, Config{})
	served := map[string]bool{}
	for _, r := range a.Routes() {
		switch r {
		case "/assets/", "/": // static files; the catch-all 404
			continue
		case "/{$}":
			r = "/"
		}
		served[r] = true
		if _, ok := doc.Paths[r]; !ok {
			t.Errorf("route %s is served but not in schemas/openapi.json", r)
		}
	}
	for p, ops := range doc.Paths {
		if !served[p] {
			t.Errorf("openapi.json documents %s, which the service does not serve", p)
		}
		for method := range ops {
			if method != "get" {
				t.Errorf("%s %s: the API is read-only (GET)", method, p)
			}
		}
		var names []string
		for _, prm := range ops["get"].Parameters {
			name, in := prm.Name, prm.In
			if prm.Ref != "" {
				c, ok := doc.Components.Parameters[strings.TrimPrefix(prm.Ref, "#/components/parameters/")]
				if !ok {
					t.Fatalf("%s: dangling %s", p, prm.Ref)
				}
				name, in = c.Name, c.In
			}
			if in == "query" {
				names = append(names, name)
			}
		}
		want := append([]string(nil), Params[p]...)
		sort.Strings(names)
		sort.Strings(want)
		if !slices.Equal(names, want) {
			t.Errorf("%s: documented query parameters %v, the parser takes %v", p, names, want)
		}
	}
}

// TestOpenAPIResponses validates real responses, success and error,
// against the document's schemas.
func TestOpenAPIResponses(t *testing.T) {
	doc, raw := loadOpenAPI(t)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	var root any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("openapi.json", root); err != nil {
		t.Fatal(err)
	}
	id := uuid.MustParse("5f0c3a4e-8c1d-5b2a-9e7f-0a1b2c3d4e5f")
	fs := &fakeStore{
		buckets: []store.Bucket{{Start: mustTime("2025-04-02T00:00:00Z"), Parts: tension.Parts{Articles: 10, DyadArticles: 4, Escalating: 3, Deescalating: 1, SumScore: 1.2, SumWeight: 12}}},
		drivers: []store.Driver{{ArticleID: id, TaggerVersion: "v1", PublishedAt: mustTime("2025-04-02T10:00:00Z"), Title: "t", Tension: 0.5,
			Direction: "escalation", NCues: 1, Cues: []store.Cue{{Text: "raised tariffs", Polarity: 1, Sentence: -1,
				Context: &store.CueContext{Before: "US ", Match: "raised tariffs", After: "."}}}}},
		article: &store.Article{ArticleID: id, PublishedAt: mustTime("2025-04-02T10:00:00Z"), Entities: []store.Entity{{Text: "Beijing", Type: "GOV"}},
			Dyads: []store.Dyad{{Pair: "CN-US", Direction: "escalation", Cues: []store.Cue{{Text: "x", Polarity: -1}}}}},
		pairs:    []store.PairSummary{{Pair: "CN-US", DyadArticles: 3, First: mustTime("2025-04-02T00:00:00Z"), Last: mustTime("2025-04-03T00:00:00Z")}},
		entities: []store.EntityCount{{Canonical: "Beijing", Type: "GOV", Country: "CN", Articles: 2, Mentions: 3}},
		cues:     []store.CueCount{{Text: "raised tariffs", Polarity: 1, Actor: "US", Target: "CN", Count: 2, Articles: 2, TotalWeight: 9, MaxWeight: 5}},
	}
	cases := []struct{ route, target string }{
		{"/v1/index", "/v1/index?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-04-05T00:00:00Z"},
		{"/v1/index", "/v1/index?pair=CN-US&interval=week"},
		{"/v1/drivers", "/v1/drivers?pair=CN-US&limit=1"},
		{"/v1/drivers", "/v1/drivers?pair=CN-US&offset=x"},
		{"/v1/entities/top", "/v1/entities/top?limit=5"},
		{"/v1/entities/top", "/v1/entities/top?pair=US-CN"},
		{"/v1/cues/top", "/v1/cues/top?pair=CN-US"},
		{"/v1/cues/top", "/v1/cues/top"},
		{"/v1/articles/{id}", "/v1/articles/" + id.String()},
		{"/v1/articles/{id}", "/v1/articles/" + uuid.NewString()},
		{"/v1/articles/{id}", "/v1/articles/nope"},
		{"/v1/pairs", "/v1/pairs"},
		{"/healthz", "/healthz"},
		{"/readyz", "/readyz"},
	}
	a := New(fs, Config{Now: func() time.Time { return testNow }})
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.target, nil))
		code := strconv.Itoa(rec.Code)
		resp, ok := doc.Paths[tc.route]["get"].Responses[code]
		if !ok {
			t.Errorf("%s: status %d is not documented", tc.target, rec.Code)
			continue
		}
		ptr := "openapi.json#/paths/" + strings.ReplaceAll(strings.ReplaceAll(tc.route, "~", "~0"), "/", "~1") + "/get/responses/" + code
		if resp.Ref != "" {
			ptr = "openapi.json" + resp.Ref
		}
		sch, err := c.Compile(ptr + "/content/application~1json/schema")
		if err != nil {
			t.Fatalf("%s: compile %s: %v", tc.target, ptr, err)
		}
		body, err := jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatalf("%s: %v", tc.target, err)
		}
		if err := sch.Validate(body); err != nil {
			t.Errorf("%s: %d response does not match the document: %v\n%s", tc.target, rec.Code, err, rec.Body)
		}
	}
}
