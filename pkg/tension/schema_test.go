package tension_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/schemas"
)

func compileSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	raw, err := schemas.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	loc := "https://tension.dev/schemas/" + name
	if err := c.AddResource(loc, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, v any) error {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(doc)
}

// The messages the sink publishes conform to the topics' schemas:
// tension.index.v1's updates and tension.index.cells.v1's cell updates.
func TestUpdatesMatchTheirSchemas(t *testing.T) {
	start := time.Date(2025, 4, 9, 13, 0, 0, 0, time.UTC)
	parts := tension.Parts{DyadArticles: 3, Escalating: 2, Deescalating: 1, SumScore: 0.4, SumWeight: 12}
	index := compileSchema(t, "index.v1.json")
	for _, u := range []tension.Update{
		tension.NewUpdate("CN-US", tension.Hour, start, "", 2, parts, 10, 0, start),
		tension.NewUpdate("CN-US", tension.Day, start.Truncate(24*time.Hour), "tagger-1.2.0", 7, parts, 10, 0.1, start),
		tension.NewUpdate(tension.AllPair, tension.Minute, start, "", 1, tension.Parts{Articles: 10}, 10, 0, start),
	} {
		if err := validate(t, index, u); err != nil {
			t.Errorf("%s: %v", u.Key(), err)
		}
	}
	cells := compileSchema(t, "index-cell.v1.json")
	for _, u := range []tension.CellUpdate{
		tension.NewCellUpdate("CN-US", tension.Cell{Actor: "US", Source: tension.SourceGovernment, Lang: "en"}, tension.Hour, start, "", 3, parts, start),
		tension.NewCellUpdate("CN-US", tension.Cell{Source: tension.SourceStateMedia, Lang: "zh-Hant"}, tension.Day, start, "v2", 1, parts, start),
		tension.NewCellUpdate(tension.AllPair, tension.Cell{Lang: tension.UndLang}, tension.Minute, start, "", 1, tension.Parts{Articles: 4}, start),
	} {
		if err := validate(t, cells, u); err != nil {
			t.Errorf("%s: %v", u.Key(), err)
		}
	}
	// The schemas are not vacuous: a pair's update is no cell update.
	if err := validate(t, cells, tension.NewUpdate("CN-US", tension.Hour, start, "", 2, parts, 10, 0, start)); err == nil {
		t.Error("an index update passes as a cell update")
	}
}
