package tageval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"unicode"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tagger"
)

// Labeled is one line of a labelled corpus (docs/tagger-eval.md).
type Labeled struct {
	ID     string `json:"id"`
	URL    string `json:"url"`
	Title  string `json:"title"`
	Text   string `json:"text"`
	Lang   string `json:"lang"` // zh-dev.jsonl: "zh" or "zh-Hant"; English files omit it
	Labels struct {
		Countries []string `json:"countries"`
		Entities  []struct {
			Text      string `json:"text"`
			Type      string `json:"type"`
			Canonical string `json:"canonical"`
			Country   string `json:"country"`
		} `json:"entities"`
		USCN struct {
			Direction string `json:"direction"`
			Intensity int    `json:"intensity"`
		} `json:"us_cn"`
		Cues   []string `json:"cues"`
		Hedged bool     `json:"hedged"`
	} `json:"labels"`
}

// ArticleResult is the per-article detail of an evaluation.
type ArticleResult struct {
	ID               string
	GoldDir, PredDir string
	GoldIntensity    int
	Tension          float64
	GoldRel, PredRel bool
	MissedEntities   []string // gold entities no prediction matched
	ExtraEntities    []string // predicted entities no gold matched
	MissedCountries  []string
	ExtraCountries   []string
	Tags             event.Tags
}

// Report holds the figures `eval` prints.
type Report struct {
	Articles                      int
	EntityP, EntityR, EntityF1    float64
	CountryP, CountryR, CountryF1 float64
	RelevanceAcc                  float64
	DirectionAcc                  float64 // on relevant articles: escalation / de-escalation / neutral+mixed
	RelevantArticles              int
	Spearman                      float64 // tension of the CN-US dyad (0 if none) vs labeled intensity, all articles
	SpearmanRelevant              float64 // the same on relevant articles only
	Results                       []ArticleResult
}

// RunEval tags every article of the labeled file at path and scores the
// output against the labels. Entity matching: per article, a predicted
// entity (grouped by type and canonical name) matches a labeled one of the
// same type when one surface form equals the other or contains it as whole
// words ("President Donald Trump" / "Donald Trump"); precision counts
// predicted groups, recall labeled entities. Countries: micro F1 over
// (article, code). Relevance: the label's us_cn direction is not
// "not_relevant" versus the tagger's relevant flag with a CN-US dyad.
// Direction: on labeled-relevant articles, three classes (escalation,
// de-escalation, neutral or mixed) of the CN-US dyad. Spearman: the CN-US
// tension (0 without the dyad) against the labeled intensity.
func RunEval(t *tagger.Tagger, path string, out io.Writer) (Report, error) {
	var rep Report
	f, err := os.Open(path)
	if err != nil {
		return rep, fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), MaxLine)
	var eTPp, eP, eTPg, eG int
	var cTP, cP, cG int
	var relOK, dirOK, dirN int
	var xs, ys, xr, yr []float64
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var a Labeled
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return rep, fmt.Errorf("eval: %s:%d: %w", path, line, err)
		}
		tags := t.TagLang(a.Title, a.Text, a.Lang)
		res := ArticleResult{ID: a.ID, GoldDir: a.Labels.USCN.Direction, GoldIntensity: a.Labels.USCN.Intensity, Tags: tags}
		// entities
		type group struct {
			typ   string
			forms []string
			hit   bool
		}
		var groups []*group
		gi := map[string]*group{}
		for _, e := range tags.Entities {
			k := e.Type + "|" + e.Canonical
			g := gi[k]
			if g == nil {
				g = &group{typ: e.Type}
				gi[k] = g
				groups = append(groups, g)
			}
			g.forms = append(g.forms, e.Text)
		}
		for _, ge := range a.Labels.Entities {
			matched := false
			for _, g := range groups {
				if g.typ != ge.Type {
					continue
				}
				for _, s := range g.forms {
					if sameName(s, ge.Text) {
						g.hit = true
						matched = true
						break
					}
				}
			}
			if matched {
				eTPg++
			} else {
				res.MissedEntities = append(res.MissedEntities, ge.Text+"/"+ge.Type)
			}
		}
		eG += len(a.Labels.Entities)
		for _, g := range groups {
			if g.hit {
				eTPp++
			} else {
				res.ExtraEntities = append(res.ExtraEntities, g.forms[0]+"/"+g.typ)
			}
		}
		eP += len(groups)
		// countries
		gold := map[string]bool{}
		for _, c := range a.Labels.Countries {
			gold[c] = true
		}
		pred := map[string]bool{}
		for _, c := range tags.Countries {
			pred[c] = true
			if gold[c] {
				cTP++
			} else {
				res.ExtraCountries = append(res.ExtraCountries, c)
			}
		}
		for c := range gold {
			if !pred[c] {
				res.MissedCountries = append(res.MissedCountries, c)
			}
		}
		cP += len(pred)
		cG += len(gold)
		// relevance, direction, intensity
		var dy *event.Dyad
		for i := range tags.Dyads {
			if tags.Dyads[i].Pair == "CN-US" {
				dy = &tags.Dyads[i]
			}
		}
		res.GoldRel = a.Labels.USCN.Direction != "not_relevant" && a.Labels.USCN.Direction != ""
		res.PredRel = tags.Relevant && dy != nil
		if res.GoldRel == res.PredRel {
			relOK++
		}
		res.PredDir = "neutral"
		if dy != nil && res.PredRel {
			res.PredDir = dy.Direction
			res.Tension = dy.Tension
		}
		if res.GoldRel {
			dirN++
			if dirClass(res.PredDir) == dirClass(res.GoldDir) {
				dirOK++
			}
			xr = append(xr, res.Tension)
			yr = append(yr, float64(res.GoldIntensity))
		}
		xs = append(xs, res.Tension)
		ys = append(ys, float64(res.GoldIntensity))
		rep.Results = append(rep.Results, res)
		rep.Articles++
	}
	if err := sc.Err(); err != nil {
		return rep, fmt.Errorf("eval: read %s: %w", path, err)
	}
	if rep.Articles == 0 {
		return rep, fmt.Errorf("eval: %s has no articles", path)
	}
	rep.EntityP, rep.EntityR = ratio(eTPp, eP), ratio(eTPg, eG)
	rep.EntityF1 = f1(rep.EntityP, rep.EntityR)
	rep.CountryP, rep.CountryR = ratio(cTP, cP), ratio(cTP, cG)
	rep.CountryF1 = f1(rep.CountryP, rep.CountryR)
	rep.RelevanceAcc = ratio(relOK, rep.Articles)
	rep.DirectionAcc = ratio(dirOK, dirN)
	rep.RelevantArticles = dirN
	rep.Spearman = Spearman(xs, ys)
	rep.SpearmanRelevant = Spearman(xr, yr)
	fmt.Fprintf(out, "tagger %s on %s (%d articles, %d relevant)\n", tagger.Version, path, rep.Articles, dirN)
	fmt.Fprintf(out, "entities   P %.3f  R %.3f  F1 %.3f\n", rep.EntityP, rep.EntityR, rep.EntityF1)
	fmt.Fprintf(out, "countries  P %.3f  R %.3f  F1 %.3f\n", rep.CountryP, rep.CountryR, rep.CountryF1)
	fmt.Fprintf(out, "relevance  accuracy %.3f\n", rep.RelevanceAcc)
	fmt.Fprintf(out, "direction  accuracy %.3f (relevant articles; escalation / de-escalation / neutral+mixed)\n", rep.DirectionAcc)
	fmt.Fprintf(out, "spearman   %.3f (CN-US tension vs intensity, all articles); %.3f on relevant articles\n", rep.Spearman, rep.SpearmanRelevant)
	return rep, nil
}

func dirClass(d string) string {
	switch d {
	case "escalation", "de-escalation":
		return d
	}
	return "neutral"
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// nameTokens lower-cases a name and splits it into words, dropping
// punctuation and possessives.
func nameTokens(s string) []string {
	s = strings.NewReplacer("’s", "", "'s", "", ".", "").Replace(s)
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func sameName(a, b string) bool {
	ta, tb := nameTokens(a), nameTokens(b)
	if len(ta) == 0 || len(tb) == 0 {
		return false
	}
	return containsSeq(ta, tb) || containsSeq(tb, ta)
}

func containsSeq(long, short []string) bool {
	for i := 0; i+len(short) <= len(long); i++ {
		ok := true
		for j := range short {
			if long[i+j] != short[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Spearman is the rank correlation of x and y (average ranks for ties).
func Spearman(x, y []float64) float64 {
	if len(x) != len(y) || len(x) < 2 {
		return 0
	}
	rx, ry := ranks(x), ranks(y)
	var mx, my float64
	for i := range rx {
		mx += rx[i]
		my += ry[i]
	}
	mx /= float64(len(rx))
	my /= float64(len(ry))
	var sxy, sxx, syy float64
	for i := range rx {
		dx, dy := rx[i]-mx, ry[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0
	}
	return sxy / math.Sqrt(sxx*syy)
}

func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}
