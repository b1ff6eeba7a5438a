package api

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tension-dev/tension/services/query/internal/annotations"
)

func TestAnnotations(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mine.tsv")
	if err := os.WriteFile(file, []byte("2025-04-10\t*\tother\t=Desk note\n2025-04-10\tEU-US\tother\tEU only\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := annotations.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := serve(t, &fakeStore{}, Config{Annotations: set}, "GET",
		"/v1/annotations?pair=CN-US&from=2025-04-01T00:00:00Z&to=2025-05-01T00:00:00Z")
	var r AnnotationsResponse
	if err := json.Unmarshal([]byte(body), &r); resp.StatusCode != 200 || err != nil {
		t.Fatalf("%d %v %s", resp.StatusCode, err, body)
	}
	var user, project int
	for _, a := range r.Annotations {
		if a.Pair != "CN-US" && a.Pair != "*" || a.Date < "2025-04-01" || a.Date >= "2025-05-01" {
			t.Errorf("outside the request: %+v", a)
		}
		if a.Origin == "user" {
			user++
		} else {
			project++
		}
	}
	if user != 1 || project < 3 {
		t.Fatalf("user %d, project %d events in April 2025 for CN-US: %s", user, project, body)
	}
	_, csv := serve(t, &fakeStore{}, Config{Annotations: set}, "GET", "/v1/annotations?pair=EU-US&format=csv")
	if csv != "date,pair,kind,label,origin\n2025-04-10,*,other,'=Desk note,user\n2025-04-10,EU-US,other,EU only,user\n" {
		t.Fatalf("csv:\n%s", csv)
	}
	// Without a user file: the project's milestones.
	_, body = serve(t, &fakeStore{}, Config{}, "GET", "/v1/annotations")
	if !strings.Contains(body, `"origin":"project"`) || strings.Contains(body, `"origin":"user"`) {
		t.Fatalf("default set: %.300s", body)
	}
	resp, body = serve(t, &fakeStore{}, Config{}, "GET", "/v1/annotations?pair=US-CN")
	if resp.StatusCode != 400 || !strings.Contains(body, "CN-US") {
		t.Fatalf("unsorted pair: %d %s", resp.StatusCode, body)
	}
}
