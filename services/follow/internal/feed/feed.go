// Package feed parses RSS 2.0 (and 0.9x), RSS 1.0 (RDF) and Atom 1.0 with
// the standard library's encoding/xml. The caller bounds the input (the
// fetcher caps every response); the parser bounds what it keeps (MaxItems)
// and never expands entities beyond XML's and HTML's named ones, so a
// hostile document can cost neither unbounded memory nor time. Links are
// made absolute against the document's URL (and Atom's xml:base); text
// fields are returned as the feed carries them (HTML in summaries and
// content is left to the caller).
package feed

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html/charset"
)

// Namespaces the parser reads.
const (
	nsAtom    = "http://www.w3.org/2005/Atom"
	nsRDF     = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	nsRSS10   = "http://purl.org/rss/1.0/"
	nsContent = "http://purl.org/rss/1.0/modules/content/"
	nsDC      = "http://purl.org/dc/elements/1.1/"
	nsXML     = "http://www.w3.org/XML/1998/namespace"
)

// Feed is a parsed feed.
type Feed struct {
	Format    string // "rss", "rdf" or "atom"
	Title     string
	Lang      string // the channel's language or xml:lang, as given (informative: a feed may mix languages)
	Items     []Item
	Truncated int // items left out beyond MaxItems
}

// Item is one entry, in document order.
type Item struct {
	GUID        string // guid (RSS) or id (Atom), as given
	Link        string // absolute http(s) URL of the article, or ""
	Title       string // as given (may hold entities decoded to markup)
	Summary     string // description / summary: HTML or text
	Content     string // content:encoded / Atom content: HTML or text; "" when the feed has only a summary
	Published   time.Time
	Updated     time.Time
	BadDates    []string // date texts that could not be read
	ContentType string   // Atom content's type: "text", "html" or "xhtml"; "html" for RSS
	Lang        string   // the entry's own xml:lang (Atom), as given; "" when it has none
}

// Key is what identifies the item within its feed across polls: its guid
// or id, else its link, else its title and summary.
func (it *Item) Key() string {
	switch {
	case it.GUID != "":
		return "g:" + it.GUID
	case it.Link != "":
		return "l:" + it.Link
	}
	return "t:" + it.Title + "\x00" + it.Summary
}

// Options bound what Parse keeps.
type Options struct {
	MaxItems int // items kept, in document order (default 1,000)
}

// ErrNotFeed is matched when the document is XML but not RSS or Atom.
var ErrNotFeed = errors.New("not an RSS or Atom feed")

// SyntaxError is malformed XML, with the line it was found on.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("malformed XML at line %d: %s", e.Line, e.Msg)
}

// Parse parses a whole document fetched from base.
func Parse(data []byte, base *url.URL, opts Options) (*Feed, error) {
	if opts.MaxItems <= 0 {
		opts.MaxItems = 1000
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.Entity = xml.HTMLEntity // &nbsp; &eacute; ... are common in feeds
	d.CharsetReader = charsetReader
	root, err := firstElement(d)
	if err != nil {
		return nil, err
	}
	var f *Feed
	switch {
	case root.Name.Local == "rss":
		var doc rssDoc
		err = d.DecodeElement(&doc, &root)
		f = doc.feed(base, opts)
	case root.Name.Local == "feed" && root.Name.Space == nsAtom:
		var doc atomFeed
		err = d.DecodeElement(&doc, &root)
		f = doc.feed(base, opts)
	case root.Name.Local == "RDF" && root.Name.Space == nsRDF:
		var doc rdfDoc
		err = d.DecodeElement(&doc, &root)
		f = doc.feed(base, opts)
	default:
		return nil, fmt.Errorf("%w: the root element is <%s>", ErrNotFeed, root.Name.Local)
	}
	if err != nil {
		return nil, syntaxError(err)
	}
	return f, nil
}

func charsetReader(label string, in io.Reader) (io.Reader, error) {
	r, err := charset.NewReaderLabel(label, in)
	if err != nil {
		return nil, fmt.Errorf("unsupported encoding %q", label)
	}
	return r, nil
}

func firstElement(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return xml.StartElement{}, fmt.Errorf("%w: the document is empty", ErrNotFeed)
		}
		if err != nil {
			return xml.StartElement{}, syntaxError(err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se, nil
		}
	}
}

func syntaxError(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &SyntaxError{Line: se.Line, Msg: se.Msg}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &SyntaxError{Msg: "unexpected end of the document"}
	}
	return fmt.Errorf("malformed feed: %w", err)
}

// nsText is an element whose namespace decides whether it is the one wanted
// (RSS's <link> and <title> beside atom:link or media:title).
type nsText struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
	Href    string `xml:"href,attr"`
	Rel     string `xml:"rel,attr"`
}

// plain returns the value of the first element in no namespace (or in
// space), trimmed.
func plain(list []nsText, space string) string {
	for _, e := range list {
		if e.XMLName.Space == "" || e.XMLName.Space == space {
			return strings.TrimSpace(e.Value)
		}
	}
	return ""
}

type rssDoc struct {
	Channel struct {
		Titles   []nsText  `xml:"title"`
		Language string    `xml:"language"`
		Items    []rssItem `xml:"item"`
	} `xml:"channel"`
}

type rssItem struct {
	Titles []nsText `xml:"title"`
	Links  []nsText `xml:"link"`
	GUID   struct {
		Value       string `xml:",chardata"`
		IsPermaLink string `xml:"isPermaLink,attr"`
	} `xml:"guid"`
	PubDate     string   `xml:"pubDate"`
	DCDate      string   `xml:"http://purl.org/dc/elements/1.1/ date"`
	Description []nsText `xml:"description"`
	Encoded     string   `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
}

func (doc *rssDoc) feed(base *url.URL, opts Options) *Feed {
	c := &doc.Channel
	f := &Feed{Format: "rss", Title: plain(c.Titles, ""), Lang: strings.TrimSpace(c.Language)}
	for i := range c.Items {
		if len(f.Items) == opts.MaxItems {
			f.Truncated = len(c.Items) - i
			break
		}
		ri := &c.Items[i]
		it := Item{
			GUID:        strings.TrimSpace(ri.GUID.Value),
			Title:       plain(ri.Titles, ""),
			Link:        Resolve(base, plain(ri.Links, "")),
			Summary:     strings.TrimSpace(plain(ri.Description, "")),
			Content:     strings.TrimSpace(ri.Encoded),
			ContentType: "html",
		}
		if it.Link == "" && !strings.EqualFold(strings.TrimSpace(ri.GUID.IsPermaLink), "false") {
			it.Link = Resolve(base, it.GUID) // a permalink guid is the item's URL
		}
		it.setDate(&it.Published, ri.PubDate)
		it.setDate(&it.Published, ri.DCDate)
		f.Items = append(f.Items, it)
	}
	return f
}

type rdfDoc struct {
	Channel struct {
		Titles   []nsText `xml:"title"`
		Language string   `xml:"http://purl.org/dc/elements/1.1/ language"`
	} `xml:"http://purl.org/rss/1.0/ channel"`
	Items []rdfItem `xml:"http://purl.org/rss/1.0/ item"`
}

type rdfItem struct {
	About       string   `xml:"http://www.w3.org/1999/02/22-rdf-syntax-ns# about,attr"`
	Titles      []nsText `xml:"title"`
	Links       []nsText `xml:"link"`
	Description []nsText `xml:"description"`
	DCDate      string   `xml:"http://purl.org/dc/elements/1.1/ date"`
	Encoded     string   `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
}

func (doc *rdfDoc) feed(base *url.URL, opts Options) *Feed {
	f := &Feed{Format: "rdf", Title: plain(doc.Channel.Titles, nsRSS10), Lang: strings.TrimSpace(doc.Channel.Language)}
	for i := range doc.Items {
		if len(f.Items) == opts.MaxItems {
			f.Truncated = len(doc.Items) - i
			break
		}
		ri := &doc.Items[i]
		it := Item{
			GUID:        strings.TrimSpace(ri.About),
			Title:       plain(ri.Titles, nsRSS10),
			Link:        Resolve(base, plain(ri.Links, nsRSS10)),
			Summary:     strings.TrimSpace(plain(ri.Description, nsRSS10)),
			Content:     strings.TrimSpace(ri.Encoded),
			ContentType: "html",
		}
		it.setDate(&it.Published, ri.DCDate)
		f.Items = append(f.Items, it)
	}
	return f
}

type atomText struct {
	Type  string `xml:"type,attr"`
	Text  string `xml:",chardata"`
	Inner string `xml:",innerxml"`
}

// value is the text of an Atom text construct: for xhtml the inline markup,
// else the character data (entity-decoded; HTML when type is html).
func (t *atomText) value() string {
	if strings.EqualFold(t.Type, "xhtml") {
		return strings.TrimSpace(t.Inner)
	}
	return strings.TrimSpace(t.Text)
}

func (t *atomText) kind() string {
	switch strings.ToLower(t.Type) {
	case "html", "text/html":
		return "html"
	case "xhtml":
		return "xhtml"
	}
	return "text"
}

type atomFeed struct {
	Base    string      `xml:"http://www.w3.org/XML/1998/namespace base,attr"`
	Lang    string      `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Title   atomText    `xml:"http://www.w3.org/2005/Atom title"`
	Entries []atomEntry `xml:"http://www.w3.org/2005/Atom entry"`
}

type atomEntry struct {
	Base      string   `xml:"http://www.w3.org/XML/1998/namespace base,attr"`
	Lang      string   `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID        string   `xml:"http://www.w3.org/2005/Atom id"`
	Title     atomText `xml:"http://www.w3.org/2005/Atom title"`
	Links     []nsText `xml:"http://www.w3.org/2005/Atom link"`
	Published string   `xml:"http://www.w3.org/2005/Atom published"`
	Updated   string   `xml:"http://www.w3.org/2005/Atom updated"`
	Summary   atomText `xml:"http://www.w3.org/2005/Atom summary"`
	Content   struct {
		atomText
		Src string `xml:"src,attr"`
	} `xml:"http://www.w3.org/2005/Atom content"`
}

func (doc *atomFeed) feed(base *url.URL, opts Options) *Feed {
	f := &Feed{Format: "atom", Title: doc.Title.value(), Lang: strings.TrimSpace(doc.Lang)}
	feedBase := rebase(base, doc.Base)
	for i := range doc.Entries {
		if len(f.Items) == opts.MaxItems {
			f.Truncated = len(doc.Entries) - i
			break
		}
		e := &doc.Entries[i]
		eb := rebase(feedBase, e.Base)
		it := Item{
			GUID:        strings.TrimSpace(e.ID),
			Title:       e.Title.value(),
			Summary:     e.Summary.value(),
			ContentType: e.Content.kind(),
			Lang:        strings.TrimSpace(e.Lang),
		}
		if e.Content.Src == "" {
			it.Content = e.Content.value()
		}
		it.Link = atomLink(eb, e.Links)
		if it.Link == "" && e.Content.Src != "" {
			it.Link = Resolve(eb, e.Content.Src)
		}
		it.setDate(&it.Published, e.Published)
		it.setDate(&it.Updated, e.Updated)
		f.Items = append(f.Items, it)
	}
	return f
}

// atomLink picks the entry's alternate link (rel="alternate" or no rel).
func atomLink(base *url.URL, links []nsText) string {
	for _, l := range links {
		if rel := strings.TrimSpace(l.Rel); rel == "" || rel == "alternate" {
			if u := Resolve(base, l.Href); u != "" {
				return u
			}
		}
	}
	return ""
}

func (it *Item) setDate(dst *time.Time, s string) {
	s = strings.TrimSpace(s)
	if s == "" || !dst.IsZero() {
		return
	}
	if t, ok := ParseDate(s); ok {
		*dst = t
		return
	}
	if len(it.BadDates) < 4 {
		it.BadDates = append(it.BadDates, cut(s, 80))
	}
}

// rebase resolves an xml:base against the base in force.
func rebase(base *url.URL, xmlBase string) *url.URL {
	xmlBase = strings.TrimSpace(xmlBase)
	if xmlBase == "" {
		return base
	}
	u, err := url.Parse(xmlBase)
	if err != nil {
		return base
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	return u
}

// Resolve makes ref absolute against base (nil: ref must be absolute) and
// returns it when it is an http(s) URL with a host, else "".
func Resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || len(ref) > 2048 {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
