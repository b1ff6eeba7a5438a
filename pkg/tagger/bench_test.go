package tagger

import (
	"math/rand"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/tension-dev/tension/pkg/testenv"
)

// Synthetic news text for benchmarks, written for this project: templates
// filled with states, officials, firms, outlets and cue phrases, mixed with
// plain filler so that cue density looks like real wire copy.
var (
	benchActors  = []string{"Washington", "Beijing", "the United States", "China", "the Trump administration", "China's Ministry of Commerce", "the European Commission", "Tokyo", "U.S. Trade Representative Jamieson Greer", "Vice Premier He Lifeng", "the Commerce Department", "Chinese officials", "President Xi Jinping", "Treasury Secretary Scott Bessent"}
	benchTargets = []string{"Chinese goods", "American soybeans", "U.S. chipmakers", "Huawei", "Beijing", "Washington", "European cars", "Japanese steel", "Nvidia", "rare earth exports"}
	benchActs    = []string{"raised tariffs on", "imposed new export controls on", "threatened retaliation against", "agreed to cut tariffs on", "reached out to", "suspended duties on", "added to the entity list", "criticised", "held talks with", "signed a trade deal with", "refused to negotiate with", "eased restrictions on"}
	benchSays    = []string{"said on Tuesday", "according to people familiar with the matter", "Xinhua reported", "said Mara Ilves, chief economist at Baltic Ridge Securities", "the ministry said in a statement", "a spokesperson told reporters"}
	benchFiller  = []string{
		"Stocks in Asia fell in early trading as investors weighed the outlook for growth.",
		"The yuan weakened slightly against the dollar, while bond yields edged higher.",
		"Factory output rose for a third month, helped by stronger demand for electronics.",
		"Shipping rates across the Pacific have climbed since the start of the year.",
		"Retailers warned that consumers could see higher prices before the holidays.",
		"Economists expect the central bank to keep interest rates unchanged next month.",
		"Farmers in the Midwest have been watching the negotiations closely.",
		"The figures were released by the statistics bureau on Wednesday morning.",
	}
)

func synthArticle(r *rand.Rand) string {
	var sb strings.Builder
	n := 10 + r.Intn(10)
	for i := 0; i < n; i++ {
		if r.Intn(3) == 0 {
			sb.WriteString(benchFiller[r.Intn(len(benchFiller))])
		} else {
			sb.WriteString(benchActors[r.Intn(len(benchActors))])
			sb.WriteByte(' ')
			sb.WriteString(benchActs[r.Intn(len(benchActs))])
			sb.WriteByte(' ')
			sb.WriteString(benchTargets[r.Intn(len(benchTargets))])
			if r.Intn(2) == 0 {
				sb.WriteString(", ")
				sb.WriteString(benchSays[r.Intn(len(benchSays))])
			}
			sb.WriteByte('.')
		}
		if r.Intn(3) == 0 {
			sb.WriteString("\n\n")
		} else {
			sb.WriteByte(' ')
		}
	}
	return sb.String()
}

func benchArticles() ([]string, int) {
	r := rand.New(rand.NewSource(1))
	var arts []string
	total := 0
	for i := 0; i < 64; i++ {
		a := synthArticle(r)
		arts = append(arts, a)
		total += len(a)
	}
	return arts, total
}

func runBench(b *testing.B, arts []string, total int, fn func(string)) {
	b.SetBytes(int64(total))
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	n := 0
	cpu0 := testenv.SelfCPU()
	for b.Loop() {
		for _, a := range arts {
			fn(a)
		}
		n++
	}
	cpu := testenv.SelfCPU() - cpu0
	runtime.ReadMemStats(&ms1)
	if cpu > 0 {
		b.ReportMetric(float64(total)*float64(n)/cpu.Seconds()/1e6, "MB/cpu-s")
	}
	if n > 0 {
		b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(n*len(arts)), "allocs/article")
		b.ReportMetric(float64(n*len(arts))/b.Elapsed().Seconds(), "articles/s")
	}
}

// BenchmarkTag measures the whole tagger on synthetic articles.
func BenchmarkTag(b *testing.B) {
	tg := newTagger(b)
	arts, total := benchArticles()
	runBench(b, arts, total, func(a string) { tg.Tag("", a) })
}

// BenchmarkBaselineRegexp is the naive matcher the tagger must beat by 10x: a
// Go regexp alternation over the same lexicon (every alias, cue anchor and
// function word), case-insensitive, on the same articles. It only finds the
// matches; the tagger does everything else too.
func BenchmarkBaselineRegexp(b *testing.B) {
	tg := newTagger(b)
	re := baselineRegexp(tg)
	arts, total := benchArticles()
	runBench(b, arts, total, func(a string) { re.FindAllStringIndex(a, -1) })
}

func baselineRegexp(tg *Tagger) *regexp.Regexp {
	alts := make([]string, 0, len(tg.lex.patterns))
	for _, p := range tg.lex.patterns {
		// normalised patterns separate tokens by one space; allow any run of
		// spaces or punctuation between words in the raw text
		words := strings.Fields(p)
		for i, w := range words {
			words[i] = regexp.QuoteMeta(w)
		}
		alts = append(alts, strings.Join(words, `[\s\p{P}]+`))
	}
	// longest first so the alternation prefers longer matches
	sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	return regexp.MustCompile(`(?i)\b(?:` + strings.Join(alts, "|") + `)\b`)
}

// BenchmarkTagSamples runs the tagger on the repository's sample articles
// (real-world length and style, written for this project).
func BenchmarkTagSamples(b *testing.B) {
	tg := newTagger(b)
	var arts []string
	total := 0
	for _, a := range sampleInputs(b) {
		arts = append(arts, a[1])
		total += len(a[1])
	}
	runBench(b, arts, total, func(a string) { tg.Tag("", a) })
}
