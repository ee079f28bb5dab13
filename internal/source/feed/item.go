package feed

import (
	"encoding/xml"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

// item is an RSS <item> or Atom <entry>; elements of both vocabularies
// share the struct because their names rarely collide.
type item struct {
	Titles      []named   `xml:"title"`
	Links       []link    `xml:"link"`
	GUID        string    `xml:"guid"`
	ID          string    `xml:"id"`
	About       string    `xml:"http://www.w3.org/1999/02/22-rdf-syntax-ns# about,attr"`
	Description body      `xml:"description"`
	Encoded     string    `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
	Content     body      `xml:"http://www.w3.org/2005/Atom content"`
	Summary     body      `xml:"summary"`
	PubDate     string    `xml:"pubDate"`
	Published   string    `xml:"published"`
	Issued      string    `xml:"issued"`
	Updated     string    `xml:"updated"`
	DCDate      string    `xml:"http://purl.org/dc/elements/1.1/ date"`
	Authors     []author  `xml:"author"`
	Creators    []string  `xml:"http://purl.org/dc/elements/1.1/ creator"`
	Enclosures  []enclose `xml:"enclosure"`
	Media       []enclose `xml:"http://search.yahoo.com/mrss/ content"`
	Lang        string    `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
}

// named is an element whose namespace matters: <title> of the item itself
// rather than media:title or itunes:title.
type named struct {
	XMLName xml.Name
	Text    string `xml:",chardata"`
}

// link is RSS's <link>URL</link> or Atom's <link href rel type>.
type link struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

func (l link) url() string {
	if l.Href != "" {
		return strings.TrimSpace(l.Href)
	}
	return strings.TrimSpace(l.Text)
}

// body is a text construct: RSS's escaped HTML, or Atom's text, html or
// xhtml content.
type body struct {
	Type  string `xml:"type,attr"`
	Src   string `xml:"src,attr"`
	Text  string `xml:",chardata"`
	Inner string `xml:",innerxml"`
}

// html returns the construct as HTML (or plain text) and whether it is HTML.
func (b body) html() (string, bool) {
	switch b.Type {
	case "xhtml":
		return b.Inner, true
	case "text", "text/plain":
		return b.Text, false
	}
	return b.Text, true
}

type author struct {
	Name string `xml:"name"`
	Text string `xml:",chardata"`
}

// enclose is an RSS <enclosure> or a media:content.
type enclose struct {
	URL    string `xml:"url,attr"`
	Type   string `xml:"type,attr"`
	Medium string `xml:"medium,attr"`
	Length string `xml:"length,attr"`
	Size   string `xml:"fileSize,attr"`
	Width  string `xml:"width,attr"`
	Height string `xml:"height,attr"`
}

func (e enclose) media() post.Media {
	size, _ := strconv.ParseInt(firstOf(e.Length, e.Size), 10, 64)
	w, _ := strconv.Atoi(e.Width)
	h, _ := strconv.Atoi(e.Height)
	return post.Media{Kind: mediaKind(e.Medium, e.Type), URL: strings.TrimSpace(e.URL), MIME: e.Type, Size: max(size, 0), Width: max(w, 0), Height: max(h, 0)}
}

// mediaKind names a media kind from media:content's medium or a MIME type.
func mediaKind(medium, mime string) string {
	switch medium {
	case "image":
		return "photo"
	case "video", "audio":
		return medium
	}
	major, _, _ := strings.Cut(mime, "/")
	switch major {
	case "image":
		return "photo"
	case "video", "audio":
		return major
	}
	return "file"
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func (it item) title() string {
	for _, t := range it.Titles {
		switch t.XMLName.Space {
		case "", nsAtom, nsRSS1:
			return strings.TrimSpace(t.Text)
		}
	}
	return ""
}

// permalink is RSS's <link>, Atom's alternate link, or RDF's about.
func (it item) permalink() string {
	for _, l := range it.Links {
		if l.Rel == "" || l.Rel == "alternate" {
			if u := l.url(); u != "" {
				return u
			}
		}
	}
	return strings.TrimSpace(it.About)
}

// post converts the item, or says why it cannot.
func (it item) post(ch post.Channel, lang string) (post.Post, string) {
	title, link := it.title(), it.permalink()
	var html string
	var isHTML bool
	for _, b := range []body{{Text: it.Encoded}, it.Content, it.Description, it.Summary} {
		if h, ok := b.html(); strings.TrimSpace(h) != "" {
			html, isHTML = h, ok
			break
		}
	}
	if title == "" && link == "" && strings.TrimSpace(html) == "" {
		return post.Post{}, "item has no title, link or description"
	}
	text, links := strings.TrimSpace(html), []string(nil)
	if isHTML {
		text, links = stripHTML(html)
	}
	published := parseDate(firstOf(it.PubDate, it.Published, it.Issued, it.DCDate))
	updated := parseDate(it.Updated)
	p := post.Post{
		Platform: post.Web,
		Kind:     post.Article,
		Channel:  ch,
		Author:   post.Account{Platform: post.Web},
		Title:    title,
		Text:     text,
		URL:      link,
		Lang:     firstOf(normLang(it.Lang), lang),
		PostedAt: published,
		Outlinks: resolve(link, links),
	}
	switch {
	case published.IsZero():
		p.PostedAt = updated
	case !updated.IsZero() && !updated.Equal(published):
		p.EditedAt = updated
	}
	p.ID = firstOf(it.GUID, it.ID, link)
	if p.ID == "" {
		p.ID = post.StableID(title, firstOf(it.PubDate, it.Published, it.Updated, it.DCDate))
	}
	if name := it.author(); name != "" {
		p.Author.ID, p.Author.DisplayName = name, name
		// RSS's <author> is "email (Name)".
		if i := strings.IndexByte(name, '('); i > 0 && strings.HasSuffix(name, ")") && strings.Contains(name[:i], "@") {
			p.Author.DisplayName = strings.TrimSpace(name[i+1 : len(name)-1])
		}
	}
	for _, e := range append(it.Enclosures, it.Media...) {
		if e.URL != "" {
			p.Media = append(p.Media, e.media())
		}
	}
	for _, l := range it.Links {
		if l.Rel == "enclosure" && l.Href != "" {
			p.Media = append(p.Media, post.Media{Kind: mediaKind("", l.Type), URL: l.Href, MIME: l.Type})
		}
	}
	return p, ""
}

func (it item) author() string {
	for _, a := range it.Authors {
		if n := firstOf(a.Name, a.Text); n != "" {
			return n
		}
	}
	return firstOf(it.Creators...)
}

// resolve makes links absolute against the article's URL and drops
// duplicates and non-web schemes (mailto:, javascript:).
func resolve(base string, links []string) []string {
	b, _ := url.Parse(base)
	var out []string
	seen := map[string]bool{}
	for _, l := range links {
		u, err := url.Parse(strings.TrimSpace(l))
		if err != nil {
			continue
		}
		if b != nil && !u.IsAbs() {
			u = b.ResolveReference(u)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			continue
		}
		s := u.String()
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// normLang reduces a language tag to its primary subtag: "ar-SA" -> "ar".
func normLang(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	primary, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	return primary
}

// langOf returns the xml:lang among attrs, else def.
func langOf(attrs []xml.Attr, def string) string {
	for _, a := range attrs {
		if a.Name.Space == nsXML && a.Name.Local == "lang" {
			if l := normLang(a.Value); l != "" {
				return l
			}
		}
	}
	return def
}

// dateLayouts are the forms of RFC 822 dates (and their common mistakes)
// and ISO 8601 dates found in feeds, most frequent first.
var dateLayouts = []string{
	time.RFC1123Z,
	time.RFC1123,
	time.RFC3339Nano,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 02 Jan 2006 15:04 -0700",
	"Mon, 02 Jan 2006 15:04 MST",
	"Mon, 2 Jan 06 15:04:05 -0700",
	time.RFC822Z,
	time.RFC822,
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 MST",
	"Monday, 02 Jan 2006 15:04:05 -0700",
	"Monday, 02 Jan 2006 15:04:05 MST",
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// zones are the RFC 822 zone names; time.Parse knows them only when the
// local zone uses them, and would otherwise take them as UTC.
var zones = map[string]int{"GMT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7}

// parseDate reads a feed date, giving the zero time when it cannot: a bad
// date should not cost the article.
func parseDate(s string) time.Time {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return time.Time{}
	}
	// time.Parse wants at least three letters in a zone name.
	for _, z := range []string{" UT", " Z"} {
		if strings.HasSuffix(s, z) {
			s = strings.TrimSuffix(s, z) + " UTC"
		}
	}
	for _, layout := range dateLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if name, off := t.Zone(); off == 0 {
			if h, ok := zones[name]; ok {
				t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone(name, h*3600))
			}
		}
		return t.UTC()
	}
	return time.Time{}
}
