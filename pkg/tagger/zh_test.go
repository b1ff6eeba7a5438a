package tagger

import (
	"errors"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tension-dev/tension/pkg/event"
)

// Table tests of the Chinese analyser, one table per phenomenon. Every
// sentence here was written for these tests.

func TestDetectLang(t *testing.T) {
	tests := []struct {
		name, title, text, want string
	}{
		{"english", "", "Washington raised tariffs on Chinese goods to 125 percent, the White House said on Wednesday.", "en"},
		{"english headline only", "Trump Tariffs China", "", "en"},
		{"simplified", "", "美国总统宣布对中国商品加征关税，中方表示将坚决反制。", "zh"},
		{"traditional", "", "美國總統宣布對中國商品加徵關稅，中方表示將堅決反制。", "zh"},
		{"chinese with latin names", "", "美国贸易代表办公室（USTR）周五表示，将对华为（Huawei）实施出口管制。", "zh"},
		{"english quoting chinese", "", "The account Yuyuan Tantian (玉渊谭天) said on Weibo that Beijing was in no hurry to negotiate with Washington.", "en"},
		{"japanese", "", "日本政府は米国の関税措置について協議する方針を示した。", "ja"},
		{"korean", "", "한국 정부는 미국의 관세 조치에 대해 협상할 방침이다.", "ko"},
		{"russian", "", "Министерство торговли Китая заявило о введении ответных пошлин против США.", "und-Cyrl"},
		{"french", "", "Le ministère chinois du Commerce a annoncé des droits de douane de rétorsion sur les produits américains, selon un communiqué publié mercredi à Pékin.", "und-Latn"},
		{"no letters", "", "2025 — 12 / 34 %", "und"},
		{"empty", "", "", "und"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectLang(tc.title, tc.text); got != tc.want {
				t.Errorf("DetectLang = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTagLangRouting(t *testing.T) {
	tg := newTagger(t)
	zh := "美国对中国商品加征关税，中方宣布反制。"
	tests := []struct {
		name, text, lang string
		wantLang         string
		unsupported      bool
		wantCountries    int
	}{
		{"detected zh", zh, "", "zh", false, 2},
		{"given zh-Hant", "美國對中國商品加徵關稅，中方宣布反制。", "zh-Hant", "zh-Hant", false, 2},
		{"given zh-CN", zh, "zh-CN", "zh-CN", false, 2},
		{"given en on chinese text is read as english", zh, "en", "en", false, 0},
		{"given fr is unsupported", "La Chine riposte aux droits de douane américains.", "fr", "fr", true, 0},
		{"detected russian is unsupported", "Китай ввёл ответные пошлины против США.", "", "und-Cyrl", true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tags := tg.TagLang("", tc.text, tc.lang)
			if tags.Lang != tc.wantLang || tags.Unsupported != tc.unsupported {
				t.Fatalf("lang %q unsupported %v, want %q %v", tags.Lang, tags.Unsupported, tc.wantLang, tc.unsupported)
			}
			if len(tags.Countries) != tc.wantCountries {
				t.Errorf("countries %v, want %d", tags.Countries, tc.wantCountries)
			}
			if tags.Countries == nil || tags.Entities == nil || tags.Topics == nil || tags.Dyads == nil {
				t.Errorf("nil arrays in %+v: the contract wants empty arrays", tags)
			}
		})
	}
	// Tag keeps its signature and detects
	if got := tg.Tag("", zh).Lang; got != "zh" {
		t.Errorf("Tag: lang %q", got)
	}
	if got := tg.Tag("", "China retaliated against U.S. tariffs on Friday.").Lang; got != "en" {
		t.Errorf("Tag: lang %q", got)
	}
}

// zhTag tags Chinese text and checks the offsets of everything it returns.
func zhTag(t *testing.T, tg *Tagger, title, text string) event.Tags {
	t.Helper()
	tags := tg.TagLang(title, text, "zh")
	checkOffsets(t, title, text, tags)
	return tags
}

func findEntity(tags event.Tags, text string) *event.Entity {
	for i := range tags.Entities {
		if tags.Entities[i].Text == text {
			return &tags.Entities[i]
		}
	}
	return nil
}

func TestZHEntities(t *testing.T) {
	tg := newTagger(t)
	tests := []struct {
		name, text string
		want       [][3]string // text, type, canonical
		absent     []string    // texts that must not be entities
	}{
		{"ministry alone is MOFCOM", "商务部新闻发言人周四表示，中方将密切关注事态发展。",
			[][3]string{{"商务部", "GOV", "MOFCOM"}, {"中方", "GOV", "Chinese government"}}, nil},
		{"ministry with its country", "美国商务部周五宣布新的出口管制规则。",
			[][3]string{{"美国商务部", "GOV", "US Department of Commerce"}}, nil},
		{"ministry after a US subject", "美国总统签署命令，授权商务部限制相关交易。",
			[][3]string{{"商务部", "GOV", "US Department of Commerce"}}, nil},
		{"ministry reading carries over", "美国总统签署命令，授权商务部限制相关交易。随后，商务部宣布了名单。",
			[][3]string{{"商务部", "GOV", "US Department of Commerce"}}, nil},
		{"chinese ministry with prefix", "中国商务部和中国外交部先后发表声明。",
			[][3]string{{"中国商务部", "GOV", "MOFCOM"}, {"中国外交部", "GOV", "Ministry of Foreign Affairs of China"}}, nil},
		{"sides and governments", "美方希望与中方对话，欧方则保持沉默，日本政府尚未表态。",
			[][3]string{{"美方", "GOV", "US government"}, {"中方", "GOV", "Chinese government"}, {"欧方", "GOV", "European Union"}, {"日本政府", "GOV", "Japanese government"}}, nil},
		{"capital as government", "北京对华盛顿的最新举措作出回应。",
			[][3]string{{"北京", "GOV", "Chinese government"}, {"华盛顿", "GOV", "US government"}}, nil},
		{"capital as place", "双方代表在北京举行会谈。", nil, []string{"北京"}},
		{"dateline", "新华社北京3月4日电 国务院关税税则委员会发布公告。",
			[][3]string{{"新华社", "MEDIA", "Xinhua"}, {"国务院关税税则委员会", "GOV", "State Council Tariff Commission"}}, []string{"北京"}},
		{"traditional and taiwan forms", "川普與習近平通話，白宮隨後發表聲明。",
			[][3]string{{"川普", "PERSON", "Donald Trump"}, {"習近平", "PERSON", "Xi Jinping"}, {"白宮", "GOV", "White House"}}, nil},
		{"officials", "美国财长贝森特与中国国务院副总理何立峰在日内瓦会面。",
			[][3]string{{"贝森特", "PERSON", "Scott Bessent"}, {"何立峰", "PERSON", "He Lifeng"}}, nil},
		{"state media accounts", "央视旗下账号玉渊谭天和人民日报、环球时报均发表评论。",
			[][3]string{{"央视", "MEDIA", "CCTV"}, {"玉渊谭天", "MEDIA", "Yuyuan Tantian"}, {"人民日报", "MEDIA", "People's Daily"}, {"环球时报", "MEDIA", "Global Times"}}, nil},
		{"unknown reporter after a role", "（记者王晓明）据报道，双方将继续磋商。",
			[][3]string{{"王晓明", "PERSON", "王晓明"}}, nil},
		{"unknown scholar, found again", "北方大学教授林志远表示，关税对双方都不利。林志远认为，谈判仍有空间。",
			[][3]string{{"林志远", "PERSON", "林志远"}}, nil},
		{"dotted foreign name", "智库研究员约翰·米勒指出，这项措施影响深远。",
			[][3]string{{"约翰·米勒", "PERSON", "约翰·米勒"}}, nil},
		{"weekdays and common words are no names", "周三，文章称双方将在周五举行会谈。", nil, []string{"周三", "文章", "周五"}},
		{"firms", "华为和中芯国际被列入实体清单。", [][3]string{{"华为", "ORG", "Huawei"}, {"中芯国际", "ORG", "SMIC"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tags := zhTag(t, tg, "", tc.text)
			for _, w := range tc.want {
				e := findEntity(tags, w[0])
				if e == nil {
					t.Errorf("no entity %q in %+v", w[0], tags.Entities)
					continue
				}
				if e.Type != w[1] || e.Canonical != w[2] {
					t.Errorf("%q: %s %q, want %s %q", w[0], e.Type, e.Canonical, w[1], w[2])
				}
			}
			for _, a := range tc.absent {
				if e := findEntity(tags, a); e != nil {
					t.Errorf("%q should not be an entity: %+v", a, e)
				}
			}
		})
	}
}

func TestZHCountries(t *testing.T) {
	tg := newTagger(t)
	tests := []struct {
		name, text string
		want       []string
	}{
		{"pair compound", "中美经贸磋商周二结束，中美双方同意继续沟通。", []string{"CN", "US"}},
		{"abbreviation after a preposition", "美方再次对华加征关税，对华出口也受到限制。", []string{"CN", "US"}},
		{"dollar is not the US", "人民币对美元汇率周一小幅走高，美元指数回落。", []string{}},
		{"huawei is not china by its first character", "华为发布了新手机，华为股价上涨。", []string{}},
		{"traditional names", "澳洲與紐西蘭的代表在會上批評南韓的做法，澳洲政府表示將再議。", []string{"AU", "KR"}},
		{"eu and canada", "欧盟宣布对美国钢铁加征报复性关税，欧盟表示将与加拿大协调。美国对欧盟的反制作出回应。", []string{"EU", "US"}},
		{"places are not actors", "中美代表在瑞典斯德哥尔摩举行会谈，双方同意延长休战。", []string{"CN", "US"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tags := zhTag(t, tg, "", tc.text)
			if strings.Join(tags.Countries, ",") != strings.Join(tc.want, ",") {
				t.Errorf("countries %v, want %v", tags.Countries, tc.want)
			}
		})
	}
}

func cnusCues(tags event.Tags) []event.Cue {
	for _, d := range tags.Dyads {
		if d.Pair == "CN-US" {
			return d.Cues
		}
	}
	return nil
}

func findZHCue(cues []event.Cue, text string) *event.Cue {
	for i := range cues {
		if strings.Contains(cues[i].Text, text) {
			return &cues[i]
		}
	}
	return nil
}

func TestZHCues(t *testing.T) {
	tg := newTagger(t)
	type want struct {
		cue           string
		actor, target string
		polarity      int
		hedged        bool
		negated       bool
		future        bool
		sourceType    string
	}
	tests := []struct {
		name, text string
		want       want
	}{
		{"sanction with object after a preposition", "美国对中国进口商品加征关税。",
			want{"加征关税", "US", "CN", 1, false, false, false, "NEWS"}},
		{"object inside a long phrase", "美国总统周四宣布对三千亿美元的中国进口商品加征百分之十的关税。",
			want{"加征", "US", "CN", 1, false, false, false, "GOV"}},
		{"retaliation, future, government speaker", "针对美方加征关税，商务部新闻发言人表示，中方将坚决反制。",
			want{"坚决反制", "CN", "US", 1, false, false, true, "GOV"}},
		{"negation flips", "美国最终没有对中国商品加征关税，市场松了一口气。",
			want{"加征关税", "US", "CN", -1, false, true, false, "NEWS"}},
		{"no negation inside 不得不", "中方表示，美方若一意孤行，中方将不得不采取必要的反制措施。",
			want{"反制", "CN", "US", 1, false, false, true, "GOV"}},
		{"firm refusal is not negated", "中方绝不让步，将奉陪到底。美国继续对中国施压。",
			want{"奉陪到底", "CN", "US", 1, false, false, true, "NEWS"}},
		{"hedge and unnamed sources", "据知情人士透露，美方或将暂停对中国商品加征关税。",
			want{"暂停", "US", "CN", -1, true, false, true, "ANON"}},
		{"passive: the agent after 被 acts", "华为被美国列入实体清单，中国对此表示强烈不满。",
			want{"列入实体清单", "US", "CN", 1, false, false, false, "NEWS"}},
		{"according to an outlet", "据路透社报道，美国与中国达成了一项贸易协议。",
			want{"达成", "", "", -1, false, false, false, "MEDIA"}},
		{"state media are hedged", "玉渊谭天指出，美方主动与中方接触，希望就关税问题进行谈判。",
			want{"接触", "US", "CN", -1, true, false, false, "MEDIA"}},
		{"reversal: suspend the tariffs", "美方宣布暂停对中国商品加征24%的关税，为期90天。中国对此表示欢迎。",
			want{"暂停", "US", "CN", -1, false, false, false, "GOV"}},
		{"truce and joint statement", "中美双方在日内瓦发表联合声明。",
			want{"联合声明", "", "", -1, false, false, false, "NEWS"}},
		{"traditional text", "美國對中國輸美商品加徵關稅，中方宣布反制。",
			want{"加徵關稅", "US", "CN", 1, false, false, false, "NEWS"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tags := zhTag(t, tg, "", tc.text)
			c := findZHCue(cnusCues(tags), tc.want.cue)
			if c == nil {
				t.Fatalf("no CN-US cue %q in %+v", tc.want.cue, tags.Dyads)
			}
			w := tc.want
			if w.actor == "" { // either way round: the pair is what matters
				w.actor, w.target = c.Actor, c.Target
			}
			if c.Actor != w.actor || c.Target != w.target || c.Polarity != w.polarity || c.Hedged != w.hedged ||
				c.Negated != w.negated || c.Future != w.future || c.SourceType != w.sourceType {
				t.Errorf("cue %q: %s→%s pol %d hedged %v negated %v future %v source %s %q; want %s→%s pol %d hedged %v negated %v future %v source %s",
					c.Text, c.Actor, c.Target, c.Polarity, c.Hedged, c.Negated, c.Future, c.SourceType, c.Source,
					w.actor, w.target, w.polarity, w.hedged, w.negated, w.future, w.sourceType)
			}
		})
	}
}

func TestZHDirection(t *testing.T) {
	tg := newTagger(t)
	tests := []struct {
		name, text, want string
	}{
		{"escalation", "美国宣布对中国商品加征百分之二十五的关税。中国商务部表示，中方将坚决反制，奉陪到底。", event.DirectionEscalation},
		{"de-escalation", "中美双方在伦敦举行经贸磋商，同意暂停加征关税九十天，并发表联合声明。双方一致认为会谈富有成果。", event.DirectionDeescalation},
		{"not relevant without trade words", "中国和美国的游客人数均有所增加，两地旅游业恢复。", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tags := zhTag(t, tg, "", tc.text)
			got := ""
			for _, d := range tags.Dyads {
				if d.Pair == "CN-US" && tags.Relevant {
					got = d.Direction
				}
			}
			if got != tc.want {
				t.Errorf("direction %q, want %q (%+v)", got, tc.want, tags)
			}
		})
	}
}

// Traditional and Simplified versions of one text give the same reading.
func TestZHTraditionalSameAsSimplified(t *testing.T) {
	tg := newTagger(t)
	simp := "美国贸易代表办公室宣布，将对华为等中国企业实施出口管制。中国外交部发言人回应称，中方坚决反对，将采取必要措施。双方仍将继续谈判。"
	trad := "美國貿易代表辦公室宣布，將對華為等中國企業實施出口管制。中國外交部發言人回應稱，中方堅決反對，將採取必要措施。雙方仍將繼續談判。"
	a, b := zhTag(t, tg, "", simp), zhTag(t, tg, "", trad)
	canon := func(tags event.Tags) string {
		var sb strings.Builder
		for _, e := range tags.Entities {
			sb.WriteString(e.Type + ":" + e.Canonical + " ")
		}
		for _, d := range tags.Dyads {
			sb.WriteString(d.Pair + ":" + d.Direction + " ")
			for _, c := range d.Cues {
				sb.WriteString(c.Category + " ")
			}
		}
		return strings.Join(tags.Countries, ",") + " " + sb.String()
	}
	if canon(a) != canon(b) {
		t.Errorf("simplified: %s\ntraditional: %s", canon(a), canon(b))
	}
	if len(a.Dyads) == 0 {
		t.Errorf("no dyad: %+v", a)
	}
}

func TestZHSentencesAndTitle(t *testing.T) {
	tg := newTagger(t)
	text := "美国宣布加征关税！中方表示反制；双方还要磋商吗？“我们不怕。”中方称。\n新的一段：中美同意继续磋商"
	tags := zhTag(t, tg, "中方宣布对美反制", text)
	got := map[string]int{}
	for _, c := range cnusCues(tags) {
		got[c.Text] = c.Sentence
	}
	// 。！？； end sentences, a closing quote stays with its sentence, a line
	// break ends one; title cues are sentence -1
	want := map[string]int{"反制": -1, "加征关税": 0, "磋商": 2, "不怕": 3, "继续磋商": 5}
	for k, v := range want {
		s, ok := got[k]
		if k == "反制" {
			ok = false
			for _, c := range cnusCues(tags) {
				if c.Text == k && c.Sentence == v {
					ok, s = true, v
				}
			}
		}
		if !ok || s != v {
			t.Errorf("cue %q: sentence %d (found %v), want %d; all: %v", k, s, ok, v, got)
		}
	}
}

func TestZHDataErrorsNameFileAndLine(t *testing.T) {
	en, err := loadLexicon()
	if err != nil {
		t.Fatal(err)
	}
	good := fstest.MapFS{}
	for _, f := range []string{"countries.tsv", "gazetteer.tsv", "words.tsv", "topics.tsv", "cues.tsv", "names.tsv", "t2s.tsv"} {
		b, err := zhDataFS.ReadFile("data/zh/" + f)
		if err != nil {
			t.Fatal(err)
		}
		good["data/zh/"+f] = &fstest.MapFile{Data: b}
	}
	if _, err := loadZHFrom(en, good); err != nil {
		t.Fatalf("embedded data: %v", err)
	}
	tests := []struct {
		name, file, line, want string
	}{
		{"unknown canonical", "gazetteer.tsv", "Nobody Known\t\t\t\t某某某", "zh/gazetteer.tsv:2: "},
		{"type disagrees with english", "gazetteer.tsv", "Donald Trump\tORG\tUS\tGOV\t特朗普", "zh/gazetteer.tsv:2: "},
		{"unknown country", "countries.tsv", "XX\tNowhere\t无名国", "zh/countries.tsv:2: "},
		{"english name differs", "countries.tsv", "US\tAmerica\t美国", "zh/countries.tsv:2: "},
		{"bad polarity", "cues.tsv", "加征\tSANCTION\t2\t7", "zh/cues.tsv:2: "},
		{"unknown class", "words.tsv", "NOPE\t不", "zh/words.tsv:2: "},
		{"unknown topic", "topics.tsv", "weather\t天气", "zh/topics.tsv:2: "},
		{"bad t2s line", "t2s.tsv", "國\t国家", "zh/t2s.tsv:2: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := fstest.MapFS{}
			for k, v := range good {
				bad[k] = v
			}
			bad["data/zh/"+tc.file] = &fstest.MapFile{Data: []byte("# header\n" + tc.line + "\n")}
			_, err := loadZHFrom(en, bad)
			var le *lineErr
			if err == nil || !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}

// zhSynth builds Chinese news text for benchmarks and robustness tests from
// templates written for this project.
var (
	zhActors  = []string{"美国", "中方", "美国商务部", "中国商务部", "白宫", "北京", "华盛顿", "美国财长贝森特", "国务院副总理何立峰", "欧盟委员会", "日本政府", "商务部新闻发言人"}
	zhTargets = []string{"中国商品", "美国农产品", "华为", "对华出口", "美方", "中方", "欧洲汽车", "稀土出口"}
	zhActs    = []string{"宣布对", "决定暂停对", "表示将坚决反制", "威胁对", "同意与", "强烈谴责", "同意继续磋商", "将加征关税于", "取消了对", "发表联合声明称与"}
	zhTails   = []string{"加征百分之二十五的关税", "实施出口管制", "举行新一轮经贸磋商", "达成初步共识", "采取必要措施", "的做法表示强烈不满"}
	zhSays    = []string{"据悉", "知情人士透露", "新华社报道", "环球时报社评指出", "分析人士认为"}
	zhFiller  = []string{
		"受此影响，亚洲股市周二早盘普遍下跌，投资者担心全球经济放缓。",
		"人民币对美元汇率小幅波动，市场人士预计央行将保持政策稳定。",
		"今年前三个月，沿海地区港口的集装箱吞吐量同比增长。",
		"多家零售企业表示，节日前消费者可能面临更高的价格。",
	}
)

func zhSynthArticle(r *rand.Rand) string {
	var sb strings.Builder
	n := 8 + r.Intn(10)
	for i := 0; i < n; i++ {
		if r.Intn(3) == 0 {
			sb.WriteString(zhFiller[r.Intn(len(zhFiller))])
		} else {
			if r.Intn(3) == 0 {
				sb.WriteString(zhSays[r.Intn(len(zhSays))])
				sb.WriteString("，")
			}
			sb.WriteString(zhActors[r.Intn(len(zhActors))])
			sb.WriteString(zhActs[r.Intn(len(zhActs))])
			sb.WriteString(zhTargets[r.Intn(len(zhTargets))])
			sb.WriteString(zhTails[r.Intn(len(zhTails))])
			sb.WriteString("。")
		}
		if r.Intn(4) == 0 {
			sb.WriteString("\n\n")
		}
	}
	return sb.String()
}

func TestZHSynthOffsets(t *testing.T) {
	tg := newTagger(t)
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 200; i++ {
		text := zhSynthArticle(r)
		if i%2 == 1 {
			text = toTraditionalish(text)
		}
		tags := zhTag(t, tg, "", text)
		if tags.Lang != "zh" {
			t.Fatalf("lang %q", tags.Lang)
		}
	}
}

// toTraditionalish swaps a few characters for their Traditional forms, so
// that offsets are checked on text whose characters the table folds.
func toTraditionalish(s string) string {
	return strings.NewReplacer("国", "國", "关", "關", "税", "稅", "对", "對", "华", "華", "务", "務", "发", "發", "们", "們").Replace(s)
}

// TestZHCandidatesByStart: candidates in the matcher's order (by end, each
// anchor 1–8 tokens long, several ending at one token) come out ordered by
// start, each start's candidates in the order they came (what a stable
// sort gives), however many there are.
func TestZHCandidatesByStart(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, n := range []int{0, 1, 2, 13, 200, 5000} {
		var d zhDoc
		for t1 := int32(1); len(d.cues) < n; t1++ {
			for k := r.Intn(4); k > 0 && len(d.cues) < n; k-- {
				t0 := max(0, t1-1-int32(r.Intn(8)))
				d.cues = append(d.cues, cueCand{t0: t0, t1: t1, cue: int32(len(d.cues))})
			}
		}
		want := slices.Clone(d.cues)
		slices.SortStableFunc(want, func(a, b cueCand) int { return int(a.t0 - b.t0) })
		if got := d.zhCandidates(); !slices.Equal(got, want) {
			t.Errorf("%d candidates: got %v, want %v", n, got, want)
		}
	}
}
