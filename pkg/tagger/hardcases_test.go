package tagger

import (
	"slices"
	"strings"
	"testing"

	"github.com/tension-dev/tension/pkg/event"
)

// The hard cases of issue 13, one table per phenomenon, on sentences
// written for these tests.

func dyadOf(tags event.Tags, pair string) *event.Dyad {
	for i := range tags.Dyads {
		if tags.Dyads[i].Pair == pair {
			return &tags.Dyads[i]
		}
	}
	return nil
}

// directionCase: the direction of one pair's dyad ("" = no dyad at all).
type directionCase struct {
	name, text, pair, want string
}

func checkDirections(t *testing.T, cases []directionCase) {
	t.Helper()
	tg := newTagger(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tags := tg.Tag("", c.text)
			d := dyadOf(tags, c.pair)
			got := ""
			if d != nil {
				got = d.Direction
			}
			if got != c.want {
				var cues []string
				for _, dy := range tags.Dyads {
					for _, cu := range dy.Cues {
						cues = append(cues, dy.Pair+" "+cu.Text+" "+cu.Category+" "+strings.Repeat("+", max(cu.Polarity, 0))+strings.Repeat("-", max(-cu.Polarity, 0)))
					}
				}
				t.Errorf("%s = %q, want %q (countries %v, cues %q)", c.pair, got, c.want, tags.Countries, cues)
			}
		})
	}
}

// TestReversals: lifting, suspending, postponing, exempting or dropping a
// punitive measure de-escalates; the measure's own name does not escalate.
func TestReversals(t *testing.T) {
	checkDirections(t, []directionCase{
		{"suspend a designation", "The Commerce Department said on Friday it would suspend the entity list designation of two Chinese drone makers for 90 days.", "CN-US", event.DirectionDeescalation},
		{"suspension of measures", "Beijing announced the suspension of export control measures against 28 American firms.", "CN-US", event.DirectionDeescalation},
		{"abandon a plan", "The New York Stock Exchange abandoned its plan to delist three Chinese telecom companies on Monday. U.S. regulators had told the exchange that the American order did not require it.", "CN-US", event.DirectionDeescalation},
		{"grant licences", "Washington granted licences to Nvidia to sell its chips to Chinese buyers.", "CN-US", event.DirectionDeescalation},
		{"stop imposing", "China agreed to stop imposing new tariffs on American farm goods.", "CN-US", event.DirectionDeescalation},
		{"postpone part of a round", "The White House postponed part of the planned tariff increase on Chinese laptops until December.", "CN-US", event.DirectionDeescalation},
		{"drop a designation", "The U.S. Treasury dropped its designation of China as a currency manipulator on Monday.", "CN-US", event.DirectionDeescalation},
		{"exempt goods", "Washington exempted smartphones and computers from the reciprocal tariffs on Chinese imports.", "CN-US", event.DirectionDeescalation},
		{"still escalation when imposed", "Washington imposed new export controls on Chinese chipmakers on Tuesday.", "CN-US", event.DirectionEscalation},
		{"refusing to lift is not a reversal", "Beijing refused to lift its ban on American beef, the ministry said.", "CN-US", event.DirectionEscalation},
	})
}

// TestWordSense: words that look like cues but mean something else.
func TestWordSense(t *testing.T) {
	tg := newTagger(t)
	tags := tg.Tag("", "Chinese exporters must meet new licensing requirements before they ship goods to the United States under the trade rules.")
	for _, d := range tags.Dyads {
		for _, c := range d.Cues {
			if c.Category == "CONSULT" {
				t.Errorf("meeting requirements read as a meeting: %+v", c)
			}
		}
	}
	checkDirections(t, []directionCase{
		{"hard to make a deal with", "Trump said on Friday that China was very hard to make a deal with on trade.", "CN-US", event.DirectionEscalation},
	})
}

// TestInformational: data releases and estimates of what existing tariffs
// cost report no step by either side.
func TestInformational(t *testing.T) {
	checkDirections(t, []directionCase{
		{"trade data", "China's trade surplus with the United States narrowed to $25 billion in March, customs data showed on Tuesday. Exports to the U.S. fell 10 percent from a year earlier as the tariffs imposed during the trade war continued to weigh on shipments.", "CN-US", event.DirectionNeutral},
		{"cost estimate", "The IMF estimated on Wednesday that the tariffs the United States and China have already placed on each other's goods would cut global output by 0.5 percent next year. Economists said the trade war had hurt factory investment.", "CN-US", event.DirectionNeutral},
	})
}

// TestMixed: one side threatens while the other voices confidence; talks
// held without progress.
func TestMixed(t *testing.T) {
	checkDirections(t, []directionCase{
		{"threat and confidence", "Washington threatened on Monday to raise tariffs on Chinese goods next month. Beijing said it was confident that a trade deal could be reached in the talks and that both sides had made progress.", "CN-US", event.DirectionMixed},
		{"talks without progress", "Negotiators from China and the United States ended two days of trade talks in Washington without a breakthrough. Both sides said differences remain over tariffs and technology, but agreed to meet again next month.", "CN-US", event.DirectionMixed},
	})
}

// TestThirdCountry: adjectival and listed targets name the states acted upon.
func TestThirdCountry(t *testing.T) {
	checkDirections(t, []directionCase{
		{"adjectival targets, first", "Trump announced 25 percent tariffs on Canadian and Mexican imports on Saturday.", "CA-US", event.DirectionEscalation},
		{"adjectival targets, second", "Trump announced 25 percent tariffs on Canadian and Mexican imports on Saturday.", "MX-US", event.DirectionEscalation},
		{"listed states get a reprieve", "Canada and Mexico got a reprieve from the U.S. tariffs after the White House delayed them by 30 days.", "MX-US", event.DirectionDeescalation},
	})
}

// TestFalseEntities: places, venues, modifiers and bare titles are not
// entities; venues are not acting countries.
func TestFalseEntities(t *testing.T) {
	tg := newTagger(t)
	for _, c := range []struct{ text, not, notCountry string }{
		{"President Xi Jinping arrives in Washington on Wednesday for talks on trade with Biden.", "Washington", ""},
		{"The Obama-era trade pact with China was never ratified by the Senate.", "Obama", ""},
		{"Treasury Secretary Scott Bessent said the tariffs on Chinese goods would stay.", "Treasury", ""},
		{"Leaders met at the APEC summit in Lima, Peru, where Biden and Xi discussed trade and tariffs.", "", "PE"},
	} {
		tags := tg.Tag("", c.text)
		for _, e := range tags.Entities {
			if c.not != "" && e.Text == c.not {
				t.Errorf("%q: %q listed as %s", c.text, e.Text, e.Type)
			}
		}
		for _, cc := range tags.Countries {
			if c.notCountry != "" && cc == c.notCountry {
				t.Errorf("%q: venue %s listed as a country", c.text, cc)
			}
		}
	}
}

// TestMissedEntities: people and bodies introduced by patterns the
// gazetteer does not know.
func TestMissedEntities(t *testing.T) {
	tg := newTagger(t)
	for _, c := range []struct{ text, want, typ string }{
		{"First lady Mira Castell visited the factory in Ohio, where workers worry about tariffs.", "Mira Castell", "PERSON"},
		{"Zentrix's chief executive Lara Monteiro said the company would move production out of China because of tariffs.", "Lara Monteiro", "PERSON"},
		{"Analysts Ivo Brandt and Mei Okada said the tariffs on Chinese goods would raise prices.", "Mei Okada", "PERSON"},
		{"The tariffs on Chinese steel will stay, the commerce department said on Monday.", "commerce department", "GOV"},
	} {
		tags := tg.Tag("", c.text)
		ok := false
		for _, e := range tags.Entities {
			if e.Text == c.want && e.Type == c.typ {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%q: %s %s not found in %+v", c.text, c.typ, c.want, tags.Entities)
		}
	}
}

// TestReversalScope: a reversal undoes only the measure it governs.
func TestReversalScope(t *testing.T) {
	checkDirections(t, []directionCase{
		{"lift one, impose another", "China lifted its ban on American poultry and imposed new tariffs on U.S. soybeans and pork, the commerce ministry said.", "CN-US", event.DirectionMixed},
		{"stopped buying, then imposed", "Beijing stopped buying American soybeans in May and imposed tariffs on U.S. cars.", "CN-US", event.DirectionEscalation},
	})
}

// TestLeadDecides: when the title and the first two sentences report one
// side's step, the article is that step even if its body recounts the other
// side's (a truce story retelling the tariffs it cuts).
func TestLeadDecides(t *testing.T) {
	checkDirections(t, []directionCase{
		{"truce recounting the tariffs", "The United States and China agreed on Monday to cut their tariffs on each other's goods for 90 days and to resume trade talks. Washington will lower its tariffs on Chinese goods to 30 percent and Beijing will cut its duties on American goods to 10 percent, the two governments said in a joint statement. The two countries had spent April raising tariffs on each other. Trump imposed tariffs of 145 percent on Chinese goods in early April. China retaliated with tariffs of 125 percent on American goods and restricted exports of rare earths to U.S. firms.", "CN-US", event.DirectionDeescalation},
		{"balanced lead stays mixed", "Washington threatened on Monday to raise tariffs on Chinese goods next month. Beijing said it was confident that a trade deal could be reached in the talks and that both sides had made progress.", "CN-US", event.DirectionMixed},
	})
}

// TestPartners: a state named as another's partner in a trade sentence
// ("coordinate with Canada") is not a party to it.
func TestPartners(t *testing.T) {
	tg := newTagger(t)
	for _, c := range []struct {
		text string
		want []string
	}{
		{"The European Union imposed retaliatory tariffs on American steel on Monday and said it would coordinate with Canada. Washington criticised the European countermeasures.", []string{"EU", "US"}},
		{"Ottawa and Washington traded tariffs on steel on Monday. The European Union said it would stand together with Japan.", []string{"CA", "US"}},
	} {
		tags := tg.Tag("", c.text)
		if !slices.Equal(tags.Countries, c.want) {
			t.Errorf("%q: countries %v, want %v", c.text, tags.Countries, c.want)
		}
	}
}

// TestProbesAndProtests: trade investigations opened against the other side
// and formal protests are escalation, not background.
func TestProbesAndProtests(t *testing.T) {
	checkDirections(t, []directionCase{
		{"launch probes", "Beijing launched two investigations into American trade barriers on Tuesday, the Commerce Ministry said. China also opened an anti-dumping probe into U.S. chemicals.", "CN-US", event.DirectionEscalation},
		{"opposition to a probe", "China voiced strong dissatisfaction and firm opposition to the U.S. Section 301 investigation into its shipbuilding industry. Beijing said it would take all necessary actions.", "CN-US", event.DirectionEscalation},
		{"triple tariffs", "Washington moved on Wednesday to triple the rates of tariffs on Chinese aluminum. The White House said China flooded markets with cheap metal.", "CN-US", event.DirectionEscalation},
		{"limits on chips", "Japan and the Netherlands will join U.S. limits on chip technology to China, officials said on Friday. The American curbs on semiconductor sales to China cover most advanced chips.", "CN-US", event.DirectionEscalation},
		{"restrict a state's access", "The United States restricted China's access to advanced chipmaking tools on Friday, and Beijing responded angrily.", "CN-US", event.DirectionEscalation},
	})
}

// TestNotActors: states named as a place's address, a firm's home, or the
// subject of an issue are not parties; a state named once needs two strong
// cues naming it.
func TestNotActors(t *testing.T) {
	tg := newTagger(t)
	for _, c := range []struct {
		name, text string
		want       []string
	}{
		{"address", "The leaders of Japan and South Korea met at a resort in Bali, Indonesia, on Monday and agreed to resume talks on export controls. Tokyo lifted its curbs on Korean chemicals.", []string{"JP", "KR"}},
		{"firm's home", "Washington added the Chinese chipmaker to its entity list on Friday. Beijing condemned the U.S. move. The firm competes with South Korea's Samsung Electronics.", []string{"CN", "US"}},
		{"firms' home", "Its memory chips compete with Korean rivals and Japanese versions. Washington added the Chinese chipmaker to its entity list on Friday. Beijing condemned the U.S. move.", []string{"CN", "US"}},
		{"a foreign firm stands for its state", "China's cyberspace regulator launched a security review of Micron's chips sold in China on Friday, citing risks to its supply chains. Micron said it was cooperating with the regulator.", []string{"CN", "US"}},
		{"issue", "Washington and Beijing agreed to cut tariffs in talks on Friday. The Taiwan issue was not discussed, and the two sides did not mention a Taiwan contingency.", []string{"CN", "US"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tags := tg.Tag("", c.text)
			if !slices.Equal(tags.Countries, c.want) {
				t.Errorf("countries %v, want %v", tags.Countries, c.want)
			}
		})
	}
}

// cueOf returns the first cue of any dyad whose text is text.
func cueOf(tags event.Tags, text string) *event.Cue {
	for i := range tags.Dyads {
		for j := range tags.Dyads[i].Cues {
			if tags.Dyads[i].Cues[j].Text == text {
				return &tags.Dyads[i].Cues[j]
			}
		}
	}
	return nil
}

// TestUndoingConciliation: a reversal word right before a conciliatory act
// undoes it ("stopped approving licences", "cancelled the meeting"), which
// escalates; "end up postponing" is no reversal.
func TestUndoingConciliation(t *testing.T) {
	tg := newTagger(t)
	for _, c := range []struct {
		text, cue string
		pol       int
	}{
		{"Washington has stopped approving licences for American firms to sell chips to China, sources said on Monday.", "approving licences", 1},
		{"Beijing cancelled the meeting with the U.S. trade delegation on Friday.", "meeting with", 1},
		{"Washington could end up postponing the tariffs on Chinese goods again, officials said.", "postponing the tariffs", -1},
		{"Washington approved licences for American firms to sell chips to China on Monday.", "approved licences", -1},
	} {
		cu := cueOf(tg.Tag("", c.text), c.cue)
		if cu == nil || cu.Polarity != c.pol {
			t.Errorf("%q: cue %q = %+v, want polarity %+d", c.text, c.cue, cu, c.pol)
		}
	}
}

// TestHistoryOfUndone: once the article reports a measure undone, later
// sentences recounting how it was imposed are its history, not new acts.
func TestHistoryOfUndone(t *testing.T) {
	tg := newTagger(t)
	text := "China will suspend the extra tariffs on American cars for three months from January, the finance ministry said on Friday. Beijing raised tariffs on U.S. cars by 25 percent in July."
	if cu := cueOf(tg.Tag("", text), "raised tariffs"); cu == nil || !cu.Background {
		t.Errorf("raised tariffs after the suspension: %+v, want background", cu)
	}
	text = "Beijing raised tariffs on U.S. cars by 25 percent on Friday. It had suspended its tariffs on American cars in January."
	if cu := cueOf(tg.Tag("", text), "raised tariffs"); cu == nil || cu.Background {
		t.Errorf("raised tariffs before any suspension: %+v, want news", cu)
	}
}

// TestExplainer: a title asking what or how heads an explainer; the measures
// it describes are background.
func TestExplainer(t *testing.T) {
	tg := newTagger(t)
	text := "The entity list is a trade blacklist kept by the U.S. Commerce Department. Washington added Huawei to the list in 2019 and has since blacklisted hundreds of Chinese firms. Companies on the list cannot buy American technology without a licence."
	for _, c := range []struct{ title, want string }{
		{"What is the entity list?", event.DirectionNeutral},
		{"Washington blacklists more Chinese firms", event.DirectionEscalation},
	} {
		d := dyadOf(tg.Tag(c.title, text), "CN-US")
		if d == nil || d.Direction != c.want {
			t.Errorf("title %q: dyad %+v, want direction %s", c.title, d, c.want)
		}
	}
}

// TestDatedAndTopical: a sentence opened by a past time ("In 2018, ...") is
// background; a measure named as the subject of tensions or talks ("tensions
// over steep tariffs") is their topic, not an act.
func TestDatedAndTopical(t *testing.T) {
	tg := newTagger(t)
	for _, c := range []struct {
		text, cue  string
		background bool
	}{
		{"Chinese and U.S. trade chiefs held a call on Thursday. In 2018, in response to China's trade practices, the Trump administration increased tariffs on Chinese goods.", "increased tariffs", true},
		{"Chinese and U.S. trade chiefs held a call on Thursday. On Friday, in response to China's trade practices, the administration increased tariffs on Chinese goods.", "increased tariffs", false},
		{"Beijing is weighing U.S. outreach, as tensions mount over steep tariffs on Chinese goods.", "steep tariffs", true},
		{"Washington announced steep tariffs on Chinese goods on Monday.", "steep tariffs", false},
	} {
		cu := cueOf(tg.Tag("", c.text), c.cue)
		if cu == nil || cu.Background != c.background {
			t.Errorf("%q: cue %q = %+v, want background %v", c.text, c.cue, cu, c.background)
		}
	}
}
