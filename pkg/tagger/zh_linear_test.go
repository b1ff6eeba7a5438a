package tagger

import (
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

// nsPerByte times the tagger on text: the best of three runs.
func nsPerByte(tg *Tagger, text string) float64 {
	best := time.Duration(1 << 62)
	for i := 0; i < 3; i++ {
		start := time.Now()
		tg.TagLang("", text, "zh")
		if d := time.Since(start); d < best {
			best = d
		}
	}
	return float64(best.Nanoseconds()) / float64(len(text))
}

// TestZHLinearTime: time per byte on every adversarial input stays within
// 3x of ordinary Chinese news text of the same size, measured in one run (a
// ratio, so a slow machine does not fail it, and a quadratic path does: it
// would be hundreds of times slower at this size).
func TestZHLinearTime(t *testing.T) {
	tg := newTagger(t)
	const size = 1 << 19
	in := zhAdversarial(size)
	base := nsPerByte(tg, in["normal"])
	for name, text := range in {
		if name == "normal" {
			continue
		}
		got := nsPerByte(tg, text)
		t.Logf("%-14s %6.1f ns/byte (%.2fx of normal text, %d bytes)", name, got, got/base, len(text))
		if got > 3*base {
			// one retry against a fresh baseline: the machine is shared
			base2 := nsPerByte(tg, in["normal"])
			if got2 := nsPerByte(tg, text); got2 > 3*base2 {
				t.Errorf("%s: %.1f ns/byte, %.1fx of normal text (%.1f ns/byte)", name, got2, got2/base2, base2)
			}
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
