package tagger

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzTagZH: the Chinese analyser never panics on any input (it is forced,
// whatever the script), offsets give the text they name, tensions stay in
// [-1, 1] and the output is valid JSON.
func FuzzTagZH(f *testing.F) {
	for _, s := range []string{
		"美国对中国商品加征关税，中方表示将坚决反制，奉陪到底。",
		"美國總統川普宣布對中國輸美商品加徵關稅；商務部：堅決反對！",
		"（记者王晓明）据知情人士透露，美方或将暂停对华加征24%的关税。“我们不怕。”他说。",
		"专家约翰·米勒指出", "对华为", "对美元", "中美元首", "·", "。。。", "不得不", "\xe4\xb8", "\xff\xfe",
		"美美美美美美", "新华社北京3月4日电", "",
	} {
		f.Add("", s)
		f.Add(s, s)
	}
	tg, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, title, text string) {
		if len(text) > 1<<16 || len(title) > 1<<12 {
			return
		}
		tags := tg.TagLang(title, text, "zh")
		checkOffsets(t, title, text, tags)
		for _, d := range tags.Dyads {
			if d.Tension < -1 || d.Tension > 1 {
				t.Fatalf("tension %v out of range", d.Tension)
			}
		}
		b, err := json.Marshal(tags)
		if err != nil || !json.Valid(b) {
			t.Fatalf("invalid JSON: %v", err)
		}
		if utf8.ValidString(text) && utf8.ValidString(title) && !utf8.Valid(b) {
			t.Fatalf("output not UTF-8")
		}
	})
}
