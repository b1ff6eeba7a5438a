package tageval

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tagger"
	"github.com/tension-dev/tension/pkg/tension"
)

// TestSamplesHistory tags the project's sample articles (samples/, English
// and Chinese) and computes the monthly CN-US tension index the way the sink
// and the query API do (escalating CN-US articles over all articles of the
// month, against the share over the whole set): the escalation months of
// samples/README.md stand above 100 and the truce months below.
func TestSamplesHistory(t *testing.T) {
	tg, err := tagger.New()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("..", "..", "samples", "articles.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, esc := map[string]int64{}, map[string]int64{}
	var nAll, nEsc int64
	langs := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var a struct {
			Title       string    `json:"title"`
			Text        string    `json:"text"`
			PublishedAt time.Time `json:"published_at"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		tags := tg.Tag(a.Title, a.Text)
		langs[tags.Lang]++
		m := a.PublishedAt.UTC().Format("2006-01")
		all[m]++
		nAll++
		for _, d := range tags.Dyads {
			if d.Pair == "CN-US" && d.Direction == event.DirectionEscalation {
				esc[m]++
				nEsc++
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if langs["zh"] < 10 || langs["en"] < 100 {
		t.Errorf("languages %v: want the English and the Chinese samples", langs)
	}
	base := tension.TensionShare(nEsc, nAll)
	index := func(m string) float64 { return tension.TensionIndex(tension.TensionShare(esc[m], all[m]), base) }
	for _, m := range []string{"2018-03", "2018-07", "2019-05", "2019-08", "2022-10", "2024-05", "2025-04"} {
		if v := index(m); v <= 100 {
			t.Errorf("escalation month %s: index %.0f, want above 100 (%d of %d articles escalating)", m, v, esc[m], all[m])
		}
	}
	for _, m := range []string{"2018-12", "2019-06", "2019-12", "2020-01", "2025-05", "2025-08"} {
		if v := index(m); v >= 100 {
			t.Errorf("truce month %s: index %.0f, want below 100 (%d of %d articles escalating)", m, v, esc[m], all[m])
		}
	}
}
