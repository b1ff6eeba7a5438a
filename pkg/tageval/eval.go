package tageval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tagger"
)

// Labeled is one line of a labelled corpus (docs/tagger-eval.md).
type Labeled struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	Title    string `json:"title"`
	Text     string `json:"text"`
	Category string `json:"category"` // optional: why the article was chosen
	Lang     string `json:"lang"`     // zh-dev.jsonl: "zh" or "zh-Hant"; English files omit it
	Labels   struct {
		Countries []string      `json:"countries"`
		Entities  []LabelEntity `json:"entities"`
		USCN      struct {
			Direction string `json:"direction"`
			Intensity int    `json:"intensity"`
		} `json:"us_cn"`
		Cues   []string `json:"cues"`
		Hedged bool     `json:"hedged"`
	} `json:"labels"`
}

// LabelEntity is a labelled entity.
type LabelEntity struct {
	Text      string `json:"text"`
	Type      string `json:"type"`
	Canonical string `json:"canonical"`
	Country   string `json:"country"`
}

// ArticleResult is the per-article detail of an evaluation.
type ArticleResult struct {
	ID, Category     string
	GoldDir, PredDir string // PredDir: the CN-US dyad's direction, "" without one
	GoldIntensity    int
	Tension          float64
	GoldRel, PredRel bool
	Err              error
	MissedEntities   []string // labelled entities no prediction matched
	ExtraEntities    []string // predicted entities no label matched
	MissedCountries  []string
	ExtraCountries   []string
	Tags             event.Tags
}

// Scores are the counts behind the figures of a set of articles; they add
// up, so a file's, a category's and several files' figures come from the
// same counts.
type Scores struct {
	Articles, Errors               int
	entTP, entFP, entFN            int // entities, matched by type
	anyTP, anyFP, anyFN            int // entities, any type
	ctyTP, ctyFP, ctyFN            int
	relOK                          int
	dirN, dirOK                    int
	tension, intensity             []float64 // labelled-relevant articles
	confusion                      map[string]int
	labelN, labelExact, labelClass map[string]int // by labelled direction: articles, predicted exactly, predicted in the class
}

func newScores() *Scores {
	return &Scores{confusion: map[string]int{}, labelN: map[string]int{}, labelExact: map[string]int{}, labelClass: map[string]int{}}
}

// Add adds o's counts to s.
func (s *Scores) Add(o *Scores) {
	s.Articles += o.Articles
	s.Errors += o.Errors
	s.entTP, s.entFP, s.entFN = s.entTP+o.entTP, s.entFP+o.entFP, s.entFN+o.entFN
	s.anyTP, s.anyFP, s.anyFN = s.anyTP+o.anyTP, s.anyFP+o.anyFP, s.anyFN+o.anyFN
	s.ctyTP, s.ctyFP, s.ctyFN = s.ctyTP+o.ctyTP, s.ctyFP+o.ctyFP, s.ctyFN+o.ctyFN
	s.relOK += o.relOK
	s.dirN, s.dirOK = s.dirN+o.dirN, s.dirOK+o.dirOK
	s.tension = append(s.tension, o.tension...)
	s.intensity = append(s.intensity, o.intensity...)
	for k, v := range o.confusion {
		s.confusion[k] += v
	}
	for k, v := range o.labelN {
		s.labelN[k] += v
	}
	for k, v := range o.labelExact {
		s.labelExact[k] += v
	}
	for k, v := range o.labelClass {
		s.labelClass[k] += v
	}
}

// Figures are the reported metrics, named and rounded as the reference
// scorer prints them (its --json object), plus the recall of each labelled
// direction.
type Figures struct {
	Articles          int                    `json:"articles"`
	Missing           int                    `json:"missing"`
	Errors            int                    `json:"errors"`
	EntityPrecision   float64                `json:"entity_precision"`
	EntityRecall      float64                `json:"entity_recall"`
	EntityF1          float64                `json:"entity_f1"`
	EntityF1AnyType   float64                `json:"entity_f1_any_type"`
	CountryF1         float64                `json:"country_f1"`
	RelevanceAccuracy float64                `json:"relevance_accuracy"`
	DirectionAccuracy float64                `json:"direction_accuracy"`
	Spearman          float64                `json:"spearman"`
	Confusion         map[string]int         `json:"confusion"`
	LabelRecall       map[string]LabelRecall `json:"label_recall,omitempty"`
	Categories        map[string]*Figures    `json:"categories,omitempty"`
	RelevantArticles  int                    `json:"relevant_articles"`
	unrounded         struct{ direction float64 }
}

// LabelRecall is, for the articles labelled with one direction, the share
// predicted with exactly that direction and the share predicted in its
// class (mixed and neutral are one class).
type LabelRecall struct {
	Articles int     `json:"articles"`
	Exact    float64 `json:"exact"`
	Class    float64 `json:"class"`
}

// Figures computes the metrics from the counts.
func (s *Scores) Figures() *Figures {
	ep, er, ef := prf(s.entTP, s.entFP, s.entFN)
	_, _, eaf := prf(s.anyTP, s.anyFP, s.anyFN)
	_, _, cf := prf(s.ctyTP, s.ctyFP, s.ctyFN)
	f := &Figures{
		Articles: s.Articles, Errors: s.Errors,
		EntityPrecision: round3(ep), EntityRecall: round3(er), EntityF1: round3(ef), EntityF1AnyType: round3(eaf),
		CountryF1:         round3(cf),
		RelevanceAccuracy: round3(ratio(s.relOK, s.Articles)),
		DirectionAccuracy: round3(ratio(s.dirOK, s.dirN)),
		Spearman:          round3(Spearman(s.tension, s.intensity)),
		Confusion:         map[string]int{},
		LabelRecall:       map[string]LabelRecall{},
		RelevantArticles:  s.dirN,
	}
	f.unrounded.direction = ratio(s.dirOK, s.dirN)
	for k, v := range s.confusion {
		f.Confusion[k] = v
	}
	for l, n := range s.labelN {
		f.LabelRecall[l] = LabelRecall{Articles: n, Exact: round3(ratio(s.labelExact[l], n)), Class: round3(ratio(s.labelClass[l], n))}
	}
	return f
}

// FileReport is the evaluation of one labelled file.
type FileReport struct {
	Path       string
	Scores     *Scores
	Categories map[string]*Scores // by the articles' category field, when present
	Results    []ArticleResult
}

// Report is the evaluation of one or more labelled files.
type Report struct {
	Files []FileReport
	All   *Scores // every file together
}

// RunEval tags every article of the labelled files and scores the output
// against the labels with the reference scorer's definitions
// (docs/tagger-eval.md). It prints the figures of each file (with its
// categories, if any) and, for several files, of all together: as text, or
// as one JSON object per file (and one for all) when asJSON.
func RunEval(ctx context.Context, t *tagger.Tagger, paths []string, out io.Writer, asJSON bool) (Report, error) {
	rep := Report{All: newScores()}
	for _, path := range paths {
		fr, err := evalFile(ctx, t, path)
		if err != nil {
			return rep, err
		}
		rep.Files = append(rep.Files, fr)
		rep.All.Add(fr.Scores)
		if err := printFile(out, fr.Path, fr.Scores, fr.Categories, asJSON); err != nil {
			return rep, err
		}
	}
	if len(paths) > 1 {
		if err := printFile(out, strings.Join(paths, " + "), rep.All, nil, asJSON); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func evalFile(ctx context.Context, t *tagger.Tagger, path string) (FileReport, error) {
	fr := FileReport{Path: path, Scores: newScores(), Categories: map[string]*Scores{}}
	f, err := os.Open(path)
	if err != nil {
		return fr, fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), MaxLine)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var a Labeled
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return fr, fmt.Errorf("eval: %s:%d: %w", path, line, err)
		}
		tags, err := t.TagLangContext(ctx, a.Title, a.Text, a.Lang)
		if err != nil && ctx.Err() != nil {
			return fr, fmt.Errorf("eval: %w", err)
		}
		s := newScores()
		res := scoreArticle(&a, tags, err, s)
		fr.Results = append(fr.Results, res)
		fr.Scores.Add(s)
		if a.Category != "" {
			c := fr.Categories[a.Category]
			if c == nil {
				c = newScores()
				fr.Categories[a.Category] = c
			}
			c.Add(s)
		}
	}
	if err := sc.Err(); err != nil {
		return fr, fmt.Errorf("eval: read %s: %w", path, err)
	}
	if fr.Scores.Articles == 0 {
		return fr, fmt.Errorf("eval: %s has no articles", path)
	}
	return fr, nil
}

// scoreArticle counts one article into s, as the reference scorer does.
func scoreArticle(a *Labeled, tags event.Tags, tagErr error, s *Scores) ArticleResult {
	res := ArticleResult{ID: a.ID, Category: a.Category, GoldDir: a.Labels.USCN.Direction, GoldIntensity: a.Labels.USCN.Intensity, Tags: tags, Err: tagErr}
	s.Articles++
	if tagErr != nil {
		s.Errors++
	}
	// entities: labelled and predicted lists each without duplicates, then
	// each labelled entity takes the first unused predicted one that matches
	var gold, pred []scoredEntity
	for _, e := range a.Labels.Entities {
		gold = append(gold, newScoredEntity(e.Type, e.Text, e.Canonical))
	}
	for _, e := range tags.Entities {
		pred = append(pred, newScoredEntity(e.Type, e.Text, e.Canonical))
	}
	gold, pred = dedupEntities(gold), dedupEntities(pred)
	used := make([]bool, len(pred))
	for _, g := range gold {
		k := firstMatch(g, pred, used, true)
		if k < 0 {
			s.entFN++
			res.MissedEntities = append(res.MissedEntities, g.text+"/"+g.typ)
			continue
		}
		used[k] = true
		s.entTP++
	}
	for k, u := range used {
		if !u {
			s.entFP++
			res.ExtraEntities = append(res.ExtraEntities, pred[k].text+"/"+pred[k].typ)
		}
	}
	used = make([]bool, len(pred))
	for _, g := range gold {
		if k := firstMatch(g, pred, used, false); k >= 0 {
			used[k] = true
			s.anyTP++
		} else {
			s.anyFN++
		}
	}
	for _, u := range used {
		if !u {
			s.anyFP++
		}
	}
	// countries: sets
	gc, pc := map[string]bool{}, map[string]bool{}
	for _, c := range a.Labels.Countries {
		gc[c] = true
	}
	for _, c := range tags.Countries {
		pc[c] = true
	}
	for c := range pc {
		if gc[c] {
			s.ctyTP++
		} else {
			s.ctyFP++
			res.ExtraCountries = append(res.ExtraCountries, c)
		}
	}
	for c := range gc {
		if !pc[c] {
			s.ctyFN++
			res.MissedCountries = append(res.MissedCountries, c)
		}
	}
	sort.Strings(res.ExtraCountries)
	sort.Strings(res.MissedCountries)
	// US-China relevance: the relevant flag and a CN-US dyad
	dy := cnus(tags)
	res.GoldRel = res.GoldDir != "not_relevant"
	res.PredRel = tags.Relevant && dy != nil
	if res.GoldRel == res.PredRel {
		s.relOK++
	}
	if dy != nil {
		res.PredDir, res.Tension = dy.Direction, dy.Tension
	}
	if !res.GoldRel {
		return res
	}
	// direction and intensity on labelled-relevant articles, from the CN-US
	// dyad whatever the relevant flag (none: neutral, tension 0)
	pdir := res.PredDir
	if pdir == "" {
		pdir = event.DirectionNeutral
	}
	gcls, pcls := dirClass(res.GoldDir), dirClass(pdir)
	s.dirN++
	if gcls == pcls {
		s.dirOK++
	}
	s.confusion[gcls+"->"+pcls]++
	s.labelN[res.GoldDir]++
	if pdir == res.GoldDir {
		s.labelExact[res.GoldDir]++
	}
	if gcls == pcls {
		s.labelClass[res.GoldDir]++
	}
	s.tension = append(s.tension, res.Tension)
	s.intensity = append(s.intensity, float64(res.GoldIntensity))
	return res
}

func cnus(tags event.Tags) *event.Dyad {
	for i := range tags.Dyads {
		if p := tags.Dyads[i].Pair; p == "CN-US" || p == "US-CN" {
			return &tags.Dyads[i]
		}
	}
	return nil
}

// dirClass merges mixed into neutral.
func dirClass(d string) string {
	if d == event.DirectionMixed {
		return event.DirectionNeutral
	}
	return d
}

func printFile(out io.Writer, name string, s *Scores, cats map[string]*Scores, asJSON bool) error {
	f := s.Figures()
	if len(cats) > 0 {
		f.Categories = map[string]*Figures{}
		for c, cs := range cats {
			f.Categories[c] = cs.Figures()
		}
	}
	if asJSON {
		b, err := json.Marshal(struct {
			File string `json:"file"`
			*Figures
		}{name, f})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	}
	w := &errWriter{w: out}
	w.printf("tagger %s on %s (%d articles, %d labelled US-China relevant, %d errors)\n", tagger.Version, name, f.Articles, f.RelevantArticles, f.Errors)
	w.printf("entities   P %.3f  R %.3f  F1 %.3f  (F1 any type %.3f)\n", f.EntityPrecision, f.EntityRecall, f.EntityF1, f.EntityF1AnyType)
	w.printf("countries  F1 %.3f\n", f.CountryF1)
	w.printf("relevance  accuracy %.3f (US-China: relevant flag and a CN-US dyad)\n", f.RelevanceAccuracy)
	w.printf("direction  accuracy %.3f (labelled-relevant articles; mixed counts as neutral)\n", f.DirectionAccuracy)
	w.printf("spearman   %.3f (CN-US tension vs labelled intensity, labelled-relevant articles)\n", f.Spearman)
	w.printf("confusion  %s\n", joinCounts(f.Confusion))
	labels := make([]string, 0, len(f.LabelRecall))
	for l := range f.LabelRecall {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		r := f.LabelRecall[l]
		w.printf("recall     %-13s %3d articles: predicted exactly %.3f, in its class %.3f\n", l, r.Articles, r.Exact, r.Class)
	}
	names := make([]string, 0, len(f.Categories))
	for c := range f.Categories {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		cf := f.Categories[c]
		w.printf("category   %-13s %3d articles: direction %.3f  spearman %.3f  relevance %.3f  entity F1 %.3f  country F1 %.3f\n",
			c, cf.Articles, cf.DirectionAccuracy, cf.Spearman, cf.RelevanceAccuracy, cf.EntityF1, cf.CountryF1)
	}
	return w.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func joinCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + strconv.Itoa(m[k])
	}
	return strings.Join(parts, ", ")
}

// round3 rounds to 3 decimals as the reference scorer's round(x, 3) does (on
// the exact binary value, ties to even).
func round3(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 3, 64), 64)
	return v
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// prf is precision, recall and F1 from true positives, false positives and
// false negatives (0 when undefined).
func prf(tp, fp, fn int) (p, r, f float64) {
	p, r = ratio(tp, tp+fp), ratio(tp, tp+fn)
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return p, r, f
}

// Spearman is the rank correlation of x and y: Pearson's correlation of
// their ranks (ties get the average rank); 0 for fewer than 3 pairs or
// when either has no spread.
func Spearman(x, y []float64) float64 {
	if len(x) != len(y) || len(x) < 3 {
		return 0
	}
	rx, ry := ranks(x), ranks(y)
	var mx, my float64
	for i := range rx {
		mx += rx[i]
	}
	for i := range ry {
		my += ry[i]
	}
	mx /= float64(len(rx))
	my /= float64(len(ry))
	var cov, vx, vy float64
	for i := range rx {
		cov += (rx[i] - mx) * (ry[i] - my)
	}
	for i := range rx {
		vx += (rx[i] - mx) * (rx[i] - mx)
	}
	for i := range ry {
		vy += (ry[i] - my) * (ry[i] - my)
	}
	vx, vy = math.Sqrt(vx), math.Sqrt(vy)
	if vx == 0 || vy == 0 {
		return 0
	}
	return cov / (vx * vy)
}

// ranks are 0-based positions in sorted order, ties averaged.
func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			r[idx[k]] = float64(i+j) / 2
		}
		i = j + 1
	}
	return r
}
