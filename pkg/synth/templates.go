package synth

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

var sources = []string{
	"synth-wire.test", "harbor-ledger.test", "pacific-courier.test", "capital-economic-review.test",
	"global-markets-daily.test", "eastern-dispatch.test", "trade-monitor.test", "morning-tribune.test",
}

// country describes one side of a dyad.
type country struct {
	code, name, adj, short string
	currency               string
	gov                    []string // government actors (the state acts)
	media                  []string // outlets, state media
	goods                  []string
}

var (
	us = country{"US", "the United States", "American", "US", "dollar",
		[]string{"President Donald Trump", "the White House", "the Commerce Department", "US Trade Representative Jamieson Greer",
			"Treasury Secretary Scott Bessent", "the Office of the US Trade Representative", "Washington",
			"Commerce Secretary Howard Lutnick", "the Bureau of Industry and Security", "the Treasury Department"},
		[]string{"The Wall Street Journal", "Bloomberg", "Reuters"},
		[]string{"soybeans", "pork", "aircraft parts", "liquefied natural gas", "semiconductors", "cars", "crude oil", "cotton", "medical devices"}}
	cn = country{"CN", "China", "Chinese", "China", "yuan",
		[]string{"President Xi Jinping", "Beijing", "China's Ministry of Commerce", "MOFCOM", "Vice Premier He Lifeng",
			"Commerce Minister Wang Wentao", "China's State Council Tariff Commission", "China's foreign ministry",
			"China's General Administration of Customs"},
		[]string{"Xinhua", "the Global Times", "People's Daily", "China Daily", "state broadcaster CCTV"},
		[]string{"steel", "electric vehicles", "solar panels", "lithium batteries", "rare earth magnets", "furniture", "smartphones", "chips", "textiles", "drones"}}
	eu = country{"EU", "the European Union", "European", "EU", "euro",
		[]string{"the European Commission", "Brussels", "EU trade commissioner Maros Sefcovic", "Commission President Ursula von der Leyen"},
		[]string{"Politico Europe", "Euractiv"},
		[]string{"wine", "cars", "cheese", "whisky", "steel", "pharmaceuticals", "olive oil"}}
	jp = country{"JP", "Japan", "Japanese", "Japan", "yen",
		[]string{"Tokyo", "Japan's trade ministry", "Prime Minister Shigeru Ishiba", "Japan's chief trade negotiator"},
		[]string{"Nikkei", "NHK", "Kyodo News"},
		[]string{"cars", "auto parts", "seafood", "chipmaking equipment", "beef"}}
	kr = country{"KR", "South Korea", "South Korean", "South Korea", "won",
		[]string{"Seoul", "South Korea's trade ministry", "the South Korean government"},
		[]string{"Yonhap", "The Korea Herald"},
		[]string{"memory chips", "steel", "displays", "ships"}}
	au = country{"AU", "Australia", "Australian", "Australia", "Australian dollar",
		[]string{"Canberra", "Trade Minister Don Farrell", "the Australian government"},
		[]string{"ABC News", "The Australian Financial Review"},
		[]string{"barley", "wine", "coal", "lobster", "beef", "iron ore"}}
	mx = country{"MX", "Mexico", "Mexican", "Mexico", "peso",
		[]string{"Mexico City", "President Claudia Sheinbaum", "Mexico's economy ministry"},
		[]string{"El Universal", "Reforma"},
		[]string{"avocados", "auto parts", "tomatoes", "steel"}}
	ca = country{"CA", "Canada", "Canadian", "Canada", "Canadian dollar",
		[]string{"Ottawa", "Canada's finance minister", "the Canadian government"},
		[]string{"CBC News", "The Globe and Mail"},
		[]string{"lumber", "aluminum", "dairy", "canola", "potash"}}
)

// otherPairs are the dyads of the "other dyad" share.
var otherPairs = [][2]country{{us, eu}, {us, jp}, {cn, jp}, {cn, au}, {us, mx}, {us, ca}, {cn, eu}, {jp, kr}, {cn, ca}}

var (
	analysts = []string{"Maya Lindqvist", "Arjun Patel", "Chen Wei", "Laura Okafor", "Tomás Herrera", "Kenji Sato",
		"Rachel Goldberg", "Zhang Min", "Oliver Brandt", "Priya Raman", "Daniel Kwon", "Sofia Marchetti"}
	analystRoles = []string{"chief economist", "senior trade analyst", "head of Asia research", "a fellow", "director of China studies", "a strategist"}
	firms        = []string{"Northbridge Capital", "the Pacific Policy Institute", "Meridian Research", "Halvard Securities",
		"the Center for Trade Studies", "Eastgate Advisory", "Lumen Economics", "the Atlantic Trade Forum"}
	weekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	techs    = []string{"advanced AI chips", "chipmaking equipment", "rare earth processing technology", "gallium and germanium",
		"lithium battery technology", "high-end graphics processors", "quantum computing components"}
	percents = []int{10, 15, 20, 25, 30, 34, 50, 84, 100, 125}
)

// cue is an escalation or de-escalation event in three grammatical forms.
// Placeholders: {T} target name, {Tj} target adjective, {G} goods, {P}
// percent, {N} a number, {X} a technology.
type cue struct {
	past, base, title string
	escalates         bool
}

var cues = []cue{
	{"imposed tariffs of {P} percent on ${N} billion of {Tj} {G}", "impose tariffs of {P} percent on ${N} billion of {Tj} {G}", "{S} imposes {P}% tariffs on {Tj} {G}", true},
	{"raised tariffs on {Tj} {G} to {P} percent", "raise tariffs on {Tj} {G} to {P} percent", "{S} raises tariffs on {Tj} {G}", true},
	{"added {N} {Tj} companies to a trade blacklist", "add {N} {Tj} companies to a trade blacklist", "{S} blacklists {N} {Tj} firms", true},
	{"announced new export controls on {X} bound for {T}", "announce new export controls on {X} bound for {T}", "{S} tightens export controls on {X}", true},
	{"vowed to retaliate against {T} over its latest tariffs", "retaliate against {T} over its latest tariffs", "{S} vows retaliation against {T}", true},
	{"threatened further tariffs on {Tj} {G}", "threaten further tariffs on {Tj} {G}", "{S} threatens new tariffs on {Tj} {G}", true},
	{"accused {T} of unfair trade practices and dumping {G}", "accuse {T} of unfair trade practices", "{S} accuses {T} of unfair trade", true},
	{"called off a planned round of trade talks with {T}", "call off a planned round of trade talks with {T}", "{S} cancels trade talks with {T}", true},
	{"opened an anti-dumping investigation into {Tj} {G}", "open an anti-dumping investigation into {Tj} {G}", "{S} probes {Tj} {G} imports", true},
	{"agreed with {T} to a 90-day pause on new tariffs", "agree with {T} to a 90-day pause on new tariffs", "{S} and {T} agree 90-day tariff truce", false},
	{"cut tariffs on {Tj} {G} to {P} percent", "cut tariffs on {Tj} {G} to {P} percent", "{S} cuts tariffs on {Tj} {G}", false},
	{"suspended planned tariffs on {Tj} {G}", "suspend planned tariffs on {Tj} {G}", "{S} suspends tariffs on {Tj} {G}", false},
	{"resumed trade negotiations with {T}", "resume trade negotiations with {T}", "{S} resumes trade talks with {T}", false},
	{"signed a trade agreement with {T}", "sign a trade agreement with {T}", "{S} signs trade deal with {T}", false},
	{"exempted {Tj} {G} from tariffs", "exempt {Tj} {G} from tariffs", "{S} exempts {Tj} {G} from tariffs", false},
	{"said the door to negotiations with {T} remained open", "keep the door to negotiations with {T} open", "{S} says door to talks with {T} open", false},
	{"agreed to extend the tariff truce with {T}", "extend the tariff truce with {T}", "{S} extends tariff truce with {T}", false},
	{"lifted restrictions on {Tj} {G}", "lift restrictions on {Tj} {G}", "{S} lifts curbs on {Tj} {G}", false},
}

// placeholders are the values of a story's {T}, {Tj}, {S}, {G}, {P}, {N}
// and {X}, drawn once so that its title and text agree.
type placeholders struct {
	target, targetAdj, actor, goods, percent, number, tech string
}

// placeholders draws a story's values (in the order the generator always
// drew them: goods, percent, number, technology).
func (g *Generator) placeholders(actor, target country) placeholders {
	r := g.rng
	p := placeholders{target: target.name, targetAdj: target.adj, actor: actor.short}
	p.goods = pick(r, target.goods)
	p.percent = strconv.Itoa(pick(r, percents))
	p.number = strconv.Itoa(5 + r.IntN(295))
	p.tech = pick(r, techs)
	return p
}

// expand replaces the placeholders in s, as a strings.Replacer of the seven
// does (every key is a whole "{...}" token, none a prefix of another, so at
// most one matches at a "{"), without building a replacer for every story:
// that was ~7 % of loadgen's CPU time.
func (p *placeholders) expand(s string) string {
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 32)
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i:]
		if v, n := p.lookup(s); n > 0 {
			b.WriteString(v)
			s = s[n:]
		} else {
			b.WriteByte('{')
			s = s[1:]
		}
		i = strings.IndexByte(s, '{')
	}
	b.WriteString(s)
	return b.String()
}

// lookup returns the value of the placeholder s starts with and its
// length, or n == 0 when s starts with none.
func (p *placeholders) lookup(s string) (v string, n int) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return "", 0
	}
	switch s[:end+1] {
	case "{T}":
		v = p.target
	case "{Tj}":
		v = p.targetAdj
	case "{S}":
		v = p.actor
	case "{G}":
		v = p.goods
	case "{P}":
		v = p.percent
	case "{N}":
		v = p.number
	case "{X}":
		v = p.tech
	default:
		return "", 0
	}
	return v, end + 1
}

// tradeStory writes a trade story between a and b and returns its title.
func (g *Generator) tradeStory(a, b country) string {
	r := g.rng
	if r.IntN(2) == 0 {
		a, b = b, a
	}
	c := pick(r, cues)
	actor := pick(r, a.gov)
	day := pick(r, weekdays)
	rep := g.placeholders(a, b)
	past, base := rep.expand(c.past), rep.expand(c.base)
	title := capitalize(rep.expand(c.title))

	// Lead: news, hedged, negated, reported or conditional.
	switch r.IntN(6) {
	case 0, 1:
		g.say(capitalize(actor), " on ", day, " ", past, ", officials said.")
	case 2:
		g.say(capitalize(actor), " may ", base, " as soon as next month, according to people familiar with the matter.")
		title = "Report: " + title
	case 3:
		g.say(capitalize(actor), " said on ", day, " that ", a.name, " would not ", base, " for now.")
		title = a.short + " rules out plan to " + base + " for now"
	case 4:
		g.say(capitalize(actor), " reportedly ", past, ", ", pick(r, append(a.media, b.media...)), " said, citing unnamed officials.")
	default:
		g.say(capitalize(actor), " warned on ", day, " that ", a.name, " could ", base, " if talks fail to make progress.")
	}

	// Body: a response, state media or press, an analyst, markets, background.
	other := pick(r, b.gov)
	if c.escalates {
		switch r.IntN(3) {
		case 0:
			g.say(capitalize(other), " criticised the move and said ", b.name, " would take \"necessary countermeasures\" to protect its interests.")
		case 1:
			g.say(capitalize(other), " did not rule out a response but said no decision had been made on specific steps.")
		default:
			g.say("A spokesperson for ", other, " called the decision \"unilateral bullying\" and urged ", a.name, " to correct its mistakes.")
		}
	} else {
		switch r.IntN(3) {
		case 0:
			g.say(capitalize(other), " welcomed the step and said both sides should keep working toward a lasting arrangement.")
		case 1:
			g.say(capitalize(other), " said ", b.name, " was cautiously optimistic, though differences remained.")
		default:
			g.say(capitalize(other), " said ", b.name, " would send a delegation for further consultations.")
		}
	}
	if len(a.media) > 0 && r.IntN(2) == 0 {
		g.say("An editorial in ", pick(r, append(a.media, b.media...)), " argued that ", pick(r, []string{
			"cooperation benefits both countries and confrontation helps no one.",
			"the latest measures showed a lack of good faith.",
			"the market would adjust quickly to the new rules.",
			"further tariffs would hurt consumers on both sides.",
		}))
	}
	g.say("\"", pick(r, []string{
		"This is a serious escalation, and I would not expect a quick resolution",
		"Both sides are signalling that they want to avoid a full breakdown",
		"Markets have partly priced this in, but the details matter",
		"It is too early to say whether this marks a turning point",
		"The truce looks fragile, but neither side wants to be blamed for ending it",
		"Companies are already moving supply chains, whatever happens next",
	}), ",\" said ", pick(r, analysts), ", ", pick(r, analystRoles), " at ", pick(r, firms), ".")
	if r.IntN(2) == 0 {
		g.say("Shares of ", pick(r, []string{"exporters", "chipmakers", "carmakers", "shipping firms", "farm equipment makers"}),
			" ", pick(r, []string{"fell", "rose", "swung", "edged lower", "edged higher"}),
			" after the announcement, while the ", currencyOf(r, a, b),
			" ", pick(r, []string{"weakened", "strengthened", "was little changed"}), " against the dollar.")
	}
	if r.IntN(2) == 0 {
		g.say("Neither ", a.name, " nor ", b.name, " gave a timetable for the next round of talks.")
	}
	return title
}

func (g *Generator) usCN() string { return g.tradeStory(us, cn) }

func (g *Generator) otherDyad() string {
	p := pick(g.rng, otherPairs)
	return g.tradeStory(p[0], p[1])
}

var cities = []string{"Springfield", "Riverton", "Lakeside", "Port Alden", "Maple Falls", "Cedar Hill", "Greenbay Harbor", "Northfield"}

// unrelated writes a story with no trade tension and returns its title.
func (g *Generator) unrelated() string {
	r := g.rng
	city := pick(r, cities)
	day := pick(r, weekdays)
	switch r.IntN(5) {
	case 0:
		team1, team2 := pick(r, []string{"the Harbor Hawks", "Riverton United", "the Lakeside Lions", "the Northfield Comets"}),
			pick(r, []string{"the Cedar Hill Rangers", "Port Alden FC", "the Maple Falls Miners", "the Greenbay Gulls"})
		s1, s2 := 1+r.IntN(5), r.IntN(4)
		g.say(fmt.Sprintf("%s beat %s %d-%d on %s night in front of a sold-out crowd in %s.", capitalize(team1), team2, s1, s2, day, city))
		g.say("The winning goal came late in the second half after a long spell of pressure.")
		g.say(fmt.Sprintf("\"We never stopped believing,\" the coach of %s told reporters after the match.", team1))
		return fmt.Sprintf("%s edge %s in %s thriller", capitalize(team1), team2, city)
	case 1:
		g.say(fmt.Sprintf("Forecasters expect heavy rain and gusty winds across %s on %s, with up to %d millimetres possible in places.", city, day, 20+r.IntN(80)))
		g.say("The local weather office said minor flooding on low-lying roads was likely but that no evacuations were planned.")
		g.say("Temperatures should return to seasonal averages by the weekend.")
		return fmt.Sprintf("Storm to bring heavy rain to %s", city)
	case 2:
		g.say(fmt.Sprintf("The %s city council voted %d-%d on %s to fund a new public library branch near the old rail yard.", city, 5+r.IntN(3), r.IntN(3), day))
		g.say("Construction is expected to start next spring and take about eighteen months.")
		g.say("Residents at the meeting mostly backed the plan, though some asked about parking.")
		return fmt.Sprintf("%s council approves new library branch", city)
	case 3:
		g.say(fmt.Sprintf("A software start-up based in %s released a note-taking app that it says works fully offline.", city))
		g.say(fmt.Sprintf("The company, founded %d years ago, has raised about $%d million from investors.", 2+r.IntN(8), 3+r.IntN(40)))
		g.say("Early reviewers praised the design but said the search feature needed work.")
		return fmt.Sprintf("%s start-up launches offline note app", city)
	default:
		g.say(fmt.Sprintf("Hospitals in %s reported a rise in seasonal flu cases this week, health officials said on %s.", city, day))
		g.say("Officials urged residents to get vaccinated and to stay home when sick.")
		g.say("Clinics will offer extended hours through the end of the month.")
		return fmt.Sprintf("Flu cases climb in %s", city)
	}
}

// filler returns a neutral sentence used to pad an article to length.
func (g *Generator) filler(k Kind) string {
	r := g.rng
	if k == KindUnrelated {
		return pick(r, []string{
			"Organisers said more details would be published on the city website.",
			"Local businesses said they expected a busy few weeks.",
			"The announcement drew a mixed reaction on social media.",
			"A spokesperson said the schedule could still change.",
			"Volunteers will be on hand to answer questions from residents.",
			"Similar projects in neighbouring towns have taken longer than planned.",
		})
	}
	switch r.IntN(6) {
	case 0:
		return fmt.Sprintf("Trade between the two economies was worth about $%d billion last year, according to customs data.", 50+r.IntN(600))
	case 1:
		return fmt.Sprintf("Port operators said container volumes were running about %d percent above last year's level.", 1+r.IntN(15))
	case 2:
		return fmt.Sprintf("Officials from both sides had met %d times since the start of the year, according to a tally by the press.", 2+r.IntN(8))
	case 3:
		return fmt.Sprintf("Several industry groups said they were studying the details of the announcement, which ran to %d pages.", 10+r.IntN(200))
	case 4:
		return fmt.Sprintf("Freight rates on the main shipping routes moved about %d percent over the week.", 1+r.IntN(20))
	default:
		return fmt.Sprintf("Economists surveyed last month put the chance of a broader agreement at roughly %d percent.", 10+r.IntN(80))
	}
}

// currencyOf picks the currency of a or b that is not the dollar, if any.
func currencyOf(r *rand.Rand, a, b country) string {
	if a.currency == "dollar" {
		return b.currency
	}
	if b.currency == "dollar" || r.IntN(2) == 0 {
		return a.currency
	}
	return b.currency
}
