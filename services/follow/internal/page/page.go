// Package page turns a fetched article page into what the pipeline needs:
// the article's text and title (readability extraction,
// codeberg.org/readeck/go-readability/v2), its canonical URL (<link
// rel=canonical>, which gives the article its id), its language (<html
// lang>) and its publication date (the page's metadata: JSON-LD
// datePublished, article:published_time, Dublin Core). It also turns the
// HTML that feeds carry in titles and summaries into plain text.
package page

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/services/follow/internal/feed"
)

// Page is what was extracted.
type Page struct {
	Title     string
	Text      string
	Canonical string // absolute http(s) URL, or ""
	Lang      string // a valid language tag (event.IsLang), or ""
	Published time.Time
}

// Limits bound the work one page may cost beyond its bytes (the fetcher
// caps those): readability walks the tree recursively, and its scoring is
// superlinear in the number of elements (a page at both limits takes 3 to
// 5 s on the development machine: BenchmarkExtractAtTheLimits).
const (
	MaxElements = 50_000
	MaxDepth    = 128
)

// ErrNotArticle is matched when a page has no extractable text.
var ErrNotArticle = errors.New("no article text found in the page")

// ErrTooComplex is matched when a page is over MaxElements or MaxDepth.
var ErrTooComplex = errors.New("page too complex to extract")

// Extract reads body, fetched from pageURL with the Content-Type
// contentType (whose charset, or the page's <meta charset>, decodes it).
func Extract(body []byte, contentType string, pageURL *url.URL) (*Page, error) {
	if n := startTags(body); n > MaxElements {
		return nil, fmt.Errorf("%w: over %d tags and comments (limit %d elements)", ErrTooComplex, n-1, MaxElements)
	}
	r, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		return nil, fmt.Errorf("page: decode: %w", err)
	}
	doc, err := html.Parse(r)
	if err != nil { // the parser's only refusal: nesting beyond its 512 open elements
		return nil, fmt.Errorf("%w: %w", ErrTooComplex, err)
	}
	if n, depth := size(doc); n > MaxElements || depth > MaxDepth {
		return nil, fmt.Errorf("%w: %d elements nested %d deep (limits %d and %d)", ErrTooComplex, n, depth, MaxElements, MaxDepth)
	}
	p := &Page{}
	p.Canonical, p.Lang = head(doc, pageURL)
	ps := readability.NewParser()
	ps.MaxElemsToParse = MaxElements
	art, err := ps.ParseAndMutate(doc, pageURL)
	if err != nil {
		return nil, fmt.Errorf("page: readability: %w", err)
	}
	p.Title = clean(art.Title())
	if art.Node != nil {
		var b strings.Builder
		if err := art.RenderText(&b); err == nil {
			p.Text = tidy(b.String())
		}
	}
	if t, err := art.PublishedTime(); err == nil && !t.IsZero() {
		p.Published = t.UTC()
	}
	if p.Lang == "" {
		p.Lang = NormalizeLang(art.Language())
	}
	if strings.TrimSpace(p.Text) == "" {
		return p, ErrNotArticle
	}
	return p, nil
}

// startTags counts the start tags and comments (nodes too) of body,
// stopping past MaxElements: a tokenizer pass in constant memory before
// the parser builds the tree. A 4 MiB page of 1.4 million tags made a
// 450 MB tree before the element count (size, which the parser's implied
// elements still need) refused it. Tags are ASCII in every charset a page
// may declare but UTF-16, which this undercounts (size still applies).
func startTags(body []byte) int {
	z := html.NewTokenizer(bytes.NewReader(body))
	n := 0
	for n <= MaxElements {
		switch z.Next() {
		case html.ErrorToken:
			return n
		case html.StartTagToken, html.SelfClosingTagToken, html.CommentToken:
			n++
		}
	}
	return n
}

// size counts the elements of the tree and its depth, without recursion.
func size(root *html.Node) (elements, depth int) {
	type frame struct {
		n *html.Node
		d int
	}
	stack := []frame{{root, 0}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if f.n.Type == html.ElementNode {
			elements++
		}
		depth = max(depth, f.d)
		if elements > MaxElements || depth > MaxDepth {
			return elements, depth
		}
		for c := f.n.FirstChild; c != nil; c = c.NextSibling {
			stack = append(stack, frame{c, f.d + 1})
		}
	}
	return elements, depth
}

// head finds <link rel=canonical> (made absolute against the page URL) and
// the document's language (<html lang>, else <meta http-equiv=
// content-language>), without recursion.
func head(doc *html.Node, pageURL *url.URL) (canonical, lang string) {
	stack := []*html.Node{doc}
	var metaLang string
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				if lang == "" {
					lang = NormalizeLang(attr(n, "lang"))
				}
			case atom.Link:
				if canonical == "" && hasToken(attr(n, "rel"), "canonical") {
					canonical = absolute(pageURL, attr(n, "href"))
				}
			case atom.Meta:
				if strings.EqualFold(attr(n, "http-equiv"), "content-language") && metaLang == "" {
					first, _, _ := strings.Cut(attr(n, "content"), ",")
					metaLang = NormalizeLang(first)
				}
			case atom.Body:
				continue // <link> and <meta> belong in <head>; bodies are big
			}
		}
		for c := n.LastChild; c != nil; c = c.PrevSibling {
			stack = append(stack, c)
		}
	}
	if lang == "" {
		lang = metaLang
	}
	return canonical, lang
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return strings.TrimSpace(a.Val)
		}
	}
	return ""
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

// absolute resolves ref against base (feed.Resolve), without the fragment.
func absolute(base *url.URL, ref string) string {
	abs := feed.Resolve(base, ref)
	if abs == "" {
		return ""
	}
	u, err := url.Parse(abs)
	if err != nil {
		return ""
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// NormalizeLang turns what pages and feeds write ("zh_CN", "EN-us",
// " en ") into the contract's form ("zh-CN", "en-us"), or "" when it is
// not a language tag at all ("x-default", "english").
func NormalizeLang(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "-")
	if s == "" {
		return ""
	}
	primary, rest, _ := strings.Cut(s, "-")
	s = strings.ToLower(primary)
	if rest != "" {
		s += "-" + rest
	}
	if !event.IsLang(s) {
		return ""
	}
	return s
}

// Text turns the HTML of a feed's title, summary or content into plain
// text: tags dropped (script and style with their content), entities
// decoded, block elements and <br> as line breaks, runs of spaces folded.
// It is a linear scan, whatever the nesting.
func Text(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return tidy(s)
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			if z.Err() == io.EOF {
				return tidy(b.String())
			}
			return tidy(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case a == atom.Script || a == atom.Style:
				skip++
			case block(a):
				b.WriteByte('\n')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case (a == atom.Script || a == atom.Style) && skip > 0:
				skip--
			case block(a):
				b.WriteByte('\n')
			}
		}
	}
}

func block(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Br, atom.Div, atom.Li, atom.Ul, atom.Ol, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Blockquote, atom.Pre, atom.Tr, atom.Table, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Hr, atom.Figure:
		return true
	}
	return false
}

// tidy folds runs of spaces within lines, trims the lines, and keeps at
// most one blank line between paragraphs.
func tidy(s string) string {
	var b strings.Builder
	blank := 0
	for line := range strings.Lines(s) {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			blank++
			continue
		}
		if b.Len() > 0 {
			if blank > 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteByte('\n')
			}
		}
		blank = 0
		b.WriteString(line)
	}
	return b.String()
}

// clean is tidy on one line (titles).
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }
