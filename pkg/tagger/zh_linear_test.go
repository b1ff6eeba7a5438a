package tagger

import (
	"context"
	"errors"
	"math/rand"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Chinese inputs built to find super-linear paths: one endless sentence,
// text made only of cues, long runs of one character, names and roles back
// to back, every state and its abbreviations, quotes, and mixed scripts.
func zhAdversarial(size int) map[string]string {
	r := rand.New(rand.NewSource(11))
	repeat := func(unit string) string {
		return strings.Repeat(unit, size/len(unit))
	}
	var synth strings.Builder
	for synth.Len() < size {
		synth.WriteString(zhSynthArticle(r))
	}
	endless := strings.NewReplacer("。", "", "，", "", "\n", "", "；", "", "！", "", "？", "").Replace(synth.String())
	var cues, names, states, mixed strings.Builder
	cueWords := []string{"加征关税", "反制", "奉陪到底", "暂停", "谈判", "磋商", "不", "没有", "据悉", "或将", "表示", "称", "被", "对华", "美方", "中方", "联合声明", "实体清单", "暂停对", "取消"}
	for cues.Len() < size {
		cues.WriteString(cueWords[r.Intn(len(cueWords))])
	}
	nameWords := []string{"记者", "教授", "发言人", "王", "李", "张", "晓", "明", "表示", "约翰", "·", "米勒", "研究员", "特朗普", "商务部"}
	for names.Len() < size {
		names.WriteString(nameWords[r.Intn(len(nameWords))])
	}
	stateWords := []string{"中", "美", "欧", "日", "韩", "俄", "英", "法", "德", "加", "澳", "对", "方", "中国", "美国", "北京", "华盛顿", "商务部", "在", "于"}
	for states.Len() < size {
		states.WriteString(stateWords[r.Intn(len(stateWords))])
	}
	mixedWords := []string{"美国", "tariffs", "2025", "。", "关税", "U.S.", "😀", "カタカナ", "한국", "Китай", "＂", "「", "」", "（", "３", "ＡＢＣ", "\u00a0", "\n"}
	for mixed.Len() < size {
		mixed.WriteString(mixedWords[r.Intn(len(mixedWords))])
	}
	return map[string]string{
		"normal":        synth.String()[:validCut(synth.String(), size)],
		"endless":       endless,
		"all cues":      cues.String(),
		"one char 美":    repeat("美"),
		"one char 对":    repeat("对"),
		"one char 不":    repeat("不"),
		"one char 特":    repeat("特"),
		"name dots":     repeat("约·"),
		"roles":         names.String(),
		"states":        states.String(),
		"quotes":        repeat("“中方表示反制”，美方称。"),
		"mixed scripts": mixed.String(),
	}
}

func validCut(s string, n int) int {
	if n >= len(s) {
		return len(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// nsPerByte times the tagger on each text: the best of five runs, the texts
// taken in turn so that a busy moment of the machine hits them all alike.
func nsPerByte(tg *Tagger, texts ...string) []float64 {
	best := make([]time.Duration, len(texts))
	for i := range best {
		best[i] = 1 << 62
	}
	for round := 0; round < 5; round++ {
		for i, text := range texts {
			start := time.Now()
			tg.TagLang("", text, "zh")
			if d := time.Since(start); d < best[i] {
				best[i] = d
			}
		}
	}
	out := make([]float64, len(texts))
	for i := range texts {
		out[i] = float64(best[i].Nanoseconds()) / float64(len(texts[i]))
	}
	return out
}

// TestZHLinearTime: time per byte on every adversarial input stays within
// 3x of ordinary Chinese news text of the same size, and does not grow with
// the size of the input (4x the text, less than 3x the time per byte: a
// quadratic path takes 4x; caches and a shared machine account for the rest). Ratios measured in one run, so a slow
// machine does not fail it, and a super-linear path does.
func TestZHLinearTime(t *testing.T) {
	tg := newTagger(t)
	const size = 1 << 18
	in := zhAdversarial(size)
	small := zhAdversarial(size / 4)
	for name, text := range in {
		if name == "normal" {
			continue
		}
		// the machine is shared: a ratio out of bounds is measured four more times
		// before it counts (a super-linear path is out of bounds every time)
		var base, got, got4 float64
		for try := 0; try < 5; try++ {
			r := nsPerByte(tg, in["normal"], text, small[name])
			base, got, got4 = r[0], r[1], r[2]
			if got <= 3*base && got <= 3*got4 {
				break
			}
		}
		t.Logf("%-14s %6.1f ns/byte (%.2fx of normal text; %.2fx of the same at a quarter of the size)", name, got, got/base, got/got4)
		if got > 3*base {
			t.Errorf("%s: %.1f ns/byte, %.1fx of normal text (%.1f ns/byte)", name, got, got/base, base)
		}
		if got > 3*got4 {
			t.Errorf("%s: %.1f ns/byte on %d bytes, %.1fx the %.1f ns/byte on %d bytes", name, got, len(text), got/got4, got4, len(small[name]))
		}
	}
}

// TestZHAdversarialOffsets: the adversarial inputs give well-formed output.
func TestZHAdversarialOffsets(t *testing.T) {
	tg := newTagger(t)
	for name, text := range zhAdversarial(1 << 14) {
		t.Run(name, func(t *testing.T) {
			checkOffsets(t, "", text, tg.TagLang("", text, "zh"))
		})
	}
}

// zhWorkOf runs the Chinese analyser on text without a budget and returns
// the units of work it counted.
func zhWorkOf(tg *Tagger, text string) int64 {
	d := &zhDoc{doc: doc{lex: tg.zh.lex}, z: tg.zh}
	d.reset("", text)
	d.budget = 1 << 62
	d.run()
	return d.work
}

// TestZHWorkBudget: Chinese news and the adversarial inputs need well under
// the default work budget (a quarter of it), counted work grows with the
// text and not faster; a tiny budget and a done context stop a Chinese
// article with the errors of TagContext.
func TestZHWorkBudget(t *testing.T) {
	tg := newTagger(t)
	large, small := zhAdversarial(1<<18), zhAdversarial(1<<16)
	for name, text := range large {
		wl := float64(zhWorkOf(tg, text)) / float64(len(text))
		ws := float64(zhWorkOf(tg, small[name])) / float64(len(small[name]))
		t.Logf("%-14s %5.1f units per byte at 256 KB, %5.1f at 64 KB", name, wl, ws)
		if wl > DefaultWorkPerByte/4 {
			t.Errorf("%s: %.1f units of work per byte, more than a quarter of the default budget (%d)", name, wl, DefaultWorkPerByte)
		}
		if wl > 1.25*ws+1 {
			t.Errorf("%s: %.1f units per byte at 256 KB but %.1f at 64 KB", name, wl, ws)
		}
	}
	tiny, err := NewWithOptions(Options{WorkPerByte: 1})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("美国宣布对中国商品加征关税，中方表示将坚决反制。", 4000)
	if tags, err := tiny.TagLangContext(context.Background(), "", text, "zh"); !errors.Is(err, ErrWorkBudget) || len(tags.Dyads) != 0 {
		t.Errorf("over budget: err %v, %d dyads; want ErrWorkBudget and none", err, len(tags.Dyads))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tg.TagLangContext(ctx, "", "美国宣布对中国商品加征关税。", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("done context: err %v", err)
	}
}
