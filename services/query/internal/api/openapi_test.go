package api

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// loadOpenAPI reads schemas/openapi.json as the service ships it.
func loadOpenAPI(t *testing.T) []byte {
	t.Helper()
	raw, err := schemas.FS.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// openAPIProblems checks an OpenAPI document against the implementation
// and returns every mismatch it finds, one line each (none: the document
// and the service agree). The tests run it on the real document, and on
// deliberately broken copies to show that it reports what it should.
func openAPIProblems(raw []byte) []string {
	var doc openapiDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return []string{"openapi.json: " + err.Error()}
	}
	return append(routeAndParamProblems(doc), responseProblems(doc, raw)...)
}

// routeAndParamProblems: every route the mux serves is in the document
// and vice versa, only GET is documented, and each path's query
// parameters are exactly the ones its parser accepts.
func routeAndParamProblems(doc openapiDoc) []string {
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
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
			report("route %s is served but not in schemas/openapi.json", r)
		}
	}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		ops := doc.Paths[p]
		if !served[p] {
			report("openapi.json documents %s, which the service does not serve", p)
		}
		for method := range ops {
			if method != "get" {
				report("%s %s: the API is read-only (GET)", method, p)
			}
		}
		var names []string
		for _, prm := range ops["get"].Parameters {
			name, in := prm.Name, prm.In
			if prm.Ref != "" {
				c, ok := doc.Components.Parameters[strings.TrimPrefix(prm.Ref, "#/components/parameters/")]
				if !ok {
					report("%s: dangling %s", p, prm.Ref)
					continue
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
			report("%s: documented query parameters %v, the parser takes %v", p, names, want)
		}
	}
	return problems
}

// responseProblems validates real responses, success and error, against
// the document's schemas.
func responseProblems(doc openapiDoc, raw []byte) []string {
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	var root any
	if err := json.Unmarshal(raw, &root); err != nil {
		return []string{"openapi.json: " + err.Error()}
	}
	if err := c.AddResource("openapi.json", root); err != nil {
		return []string{"openapi.json: " + err.Error()}
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
		{"/v1/index", "/v1/index?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-04-05T00:00:00Z&window=2d"},
		{"/v1/annotations", "/v1/annotations?pair=CN-US&from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"},
		{"/v1/annotations", "/v1/annotations?pair=US-CN"},
		{"/v1/index", "/v1/index?pair=CN-US&actor=US&source_type=state_media&lang=zh"},
		{"/v1/leadlag", "/v1/leadlag?pair=CN-US&a=source_type:state_media&b=source_type:government&from=2025-01-01T00:00:00Z&to=2025-04-01T00:00:00Z"},
		{"/v1/leadlag", "/v1/leadlag?pair=CN-US&a=actor:JP&b=all"},
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
			report("%s: status %d is not documented", tc.target, rec.Code)
			continue
		}
		ptr := "openapi.json#/paths/" + strings.ReplaceAll(strings.ReplaceAll(tc.route, "~", "~0"), "/", "~1") + "/get/responses/" + code
		if resp.Ref != "" {
			ptr = "openapi.json" + resp.Ref
		}
		sch, err := c.Compile(ptr + "/content/application~1json/schema")
		if err != nil {
			report("%s: compile %s: %v", tc.target, ptr, err)
			continue
		}
		body, err := jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			report("%s: %d response is not JSON: %v", tc.target, rec.Code, err)
			continue
		}
		if err := sch.Validate(body); err != nil {
			report("%s: %d response does not match the document: %v\n%s", tc.target, rec.Code, err, rec.Body)
		}
	}
	return problems
}

// TestOpenAPIRoutesAndParams: the shipped document lists exactly the
// routes served and, per route, exactly the query parameters its parser
// takes.
func TestOpenAPIRoutesAndParams(t *testing.T) {
	var doc openapiDoc
	if err := json.Unmarshal(loadOpenAPI(t), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	for _, p := range routeAndParamProblems(doc) {
		t.Error(p)
	}
}

// TestOpenAPIResponses: real responses, success and error, validate
// against the shipped document's schemas.
func TestOpenAPIResponses(t *testing.T) {
	raw := loadOpenAPI(t)
	var doc openapiDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	for _, p := range responseProblems(doc, raw) {
		t.Error(p)
	}
}

// TestOpenAPICheckerCatchesBrokenDocs shows the checker can fail: each
// copy of the real document is broken in one way, and the problems
// reported must name that break (and the unbroken document has none).
func TestOpenAPICheckerCatchesBrokenDocs(t *testing.T) {
	raw := loadOpenAPI(t)
	if ps := openAPIProblems(raw); len(ps) != 0 {
		t.Fatalf("the shipped document already has problems: %q", ps)
	}
	type obj = map[string]any
	at := func(v any, keys ...string) obj {
		for _, k := range keys {
			v = v.(obj)[k]
		}
		return v.(obj)
	}
	cases := []struct {
		name   string
		mutate func(doc obj)
		want   []string // substrings that must each be in some reported problem
	}{
		{"route missing from the doc", func(doc obj) {
			delete(at(doc, "paths"), "/v1/cues/top")
		}, []string{
			"route /v1/cues/top is served but not in schemas/openapi.json",
			"/v1/cues/top?pair=CN-US: status 200 is not documented",
		}},
		{"path documented but not served", func(doc obj) {
			at(doc, "paths")["/v1/stats"] = at(doc, "paths", "/v1/pairs")
		}, []string{"openapi.json documents /v1/stats, which the service does not serve"}},
		{"method other than GET", func(doc obj) {
			at(doc, "paths", "/v1/pairs")["post"] = at(doc, "paths", "/v1/pairs", "get")
		}, []string{"post /v1/pairs: the API is read-only (GET)"}},
		{"parameter missing", func(doc obj) {
			get := at(doc, "paths", "/v1/drivers", "get")
			var kept []any
			for _, p := range get["parameters"].([]any) {
				if p.(obj)["$ref"] != "#/components/parameters/offset" {
					kept = append(kept, p)
				}
			}
			get["parameters"] = kept
		}, []string{"/v1/drivers: documented query parameters [format from lang limit pair tagger_version to], the parser takes [format from lang limit offset pair tagger_version to]"}},
		{"parameter the parser does not take", func(doc obj) {
			get := at(doc, "paths", "/v1/pairs", "get")
			get["parameters"] = append(get["parameters"].([]any), obj{"name": "sort", "in": "query", "schema": obj{"type": "string"}})
		}, []string{"/v1/pairs: documented query parameters [format sort tagger_version]"}},
		{"dangling parameter reference", func(doc obj) {
			delete(at(doc, "components", "parameters"), "limit")
		}, []string{"/v1/entities/top: dangling #/components/parameters/limit"}},
		{"response schema the real response violates", func(doc obj) {
			at(doc, "components", "schemas", "EntityCount", "properties", "articles")["type"] = "string"
		}, []string{"/v1/entities/top?limit=5: 200 response does not match the document"}},
		{"error envelope the real errors violate", func(doc obj) {
			e := at(doc, "components", "schemas", "Error", "properties", "error")
			e["required"] = append(e["required"].([]any), "request_id")
		}, []string{
			"/v1/index?pair=CN-US&interval=week: 400 response does not match the document",
			"/v1/articles/nope: 400 response does not match the document",
		}},
		{"status code not documented", func(doc obj) {
			delete(at(doc, "paths", "/v1/articles/{id}", "get", "responses"), "404")
		}, []string{": status 404 is not documented"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var doc obj
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			tc.mutate(doc)
			broken, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			problems := openAPIProblems(broken)
			if len(problems) == 0 {
				t.Fatal("the broken document passed the check")
			}
			for _, w := range tc.want {
				found := false
				for _, p := range problems {
					found = found || strings.Contains(p, w)
				}
				if !found {
					t.Errorf("no problem mentions %q; got:\n%s", w, strings.Join(problems, "\n"))
				}
			}
		})
	}
}
