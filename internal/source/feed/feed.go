// Package feed imports articles from RSS 2.0, RSS 1.0 (RDF) and Atom 1.0
// feeds, the way raqib reads news sites, blogs and forums. Feeds of Arabic
// sites are often in windows-1256; the XML declaration's encoding is honoured.
package feed

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// Namespaces of the vocabularies raqib reads.
const (
	nsAtom    = "http://www.w3.org/2005/Atom"
	nsRSS1    = "http://purl.org/rss/1.0/"
	nsRDF     = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	nsDC      = "http://purl.org/dc/elements/1.1/"
	nsContent = "http://purl.org/rss/1.0/modules/content/"
	nsMedia   = "http://search.yahoo.com/mrss/"
	nsXML     = "http://www.w3.org/XML/1998/namespace"
)

// Decoder reads one RSS or Atom feed document.
type Decoder struct{}

var _ source.Decoder = Decoder{}

// Name implements source.Decoder.
func (Decoder) Name() string { return "feed" }

// Sniff implements source.Decoder.
func (Decoder) Sniff(name string, head []byte) bool {
	for _, root := range []string{"<rss", "<feed", "<rdf:RDF"} {
		if bytes.Contains(head, []byte(root)) {
			return true
		}
	}
	return false
}

// channel is what the feed says about itself, filled as its header is read.
type channel struct {
	post.Channel
	lang string
}

// Decode implements source.Decoder. Header fields that come after the first
// item (rare) apply only to the items after them.
func (d Decoder) Decode(in source.Input, sink source.Sink) error {
	cl := newClip(in.R, in.RecordLimit())
	br := bufio.NewReaderSize(cl, 64<<10)
	head, err := br.Peek(1024)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read %s: %w", in.Name, err)
	}
	src, err := openInput(head, br)
	if err != nil {
		return fmt.Errorf("%s: %w", in.Name, err)
	}
	src.clip = cl
	dec := xml.NewDecoder(src.r)
	dec.CharsetReader = keepUTF8
	// Feeds in the wild use HTML entities, bare '&' and mismatched tags.
	// (No HTML auto-close: <link> is an element with content in RSS.)
	dec.Strict = false
	dec.Entity = xml.HTMLEntity

	ch := channel{Channel: post.Channel{Platform: post.Web, Kind: "feed"}}
	var stack []string // local names of the open elements
	rooted := false
	for {
		off := dec.InputOffset()
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if !rooted {
				return fmt.Errorf("%s: no rss, feed or rdf:RDF element: %w", in.Name, source.ErrFormat)
			}
			return nil
		}
		if err != nil {
			if !rooted {
				return fmt.Errorf("%s:%d: %w: %w", in.Name, line, source.ErrFormat, err)
			}
			return d.reject(in, src, line, off, "invalid XML, rest of file skipped: "+err.Error(), sink)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !rooted {
				if !isRoot(t.Name) {
					return fmt.Errorf("%s:%d: root element <%s> is not rss, feed or rdf:RDF: %w", in.Name, line, t.Name.Local, source.ErrFormat)
				}
				rooted = true
				ch.lang = langOf(t.Attr, ch.lang)
			}
			if size, at, ok := tooLarge(t); ok && isItem(t.Name) {
				// The stand-in's own end tag follows.
				if err := dec.Skip(); err != nil {
					return err
				}
				if err := sink.Reject(source.Rejection{File: in.Name, Line: line, Offset: at, Reason: source.TooLarge("item", size, in.RecordLimit())}); err != nil {
					return err
				}
				src.tap.discard(src.orig(dec.InputOffset()))
				continue
			}
			if isItem(t.Name) {
				bad, err := d.item(in, dec, src, t, ch, line, off, sink)
				if err != nil {
					return err
				}
				if bad != nil {
					return d.reject(in, src, line, off, "invalid XML, rest of file skipped: "+bad.Error(), sink)
				}
				continue
			}
			if parent := last(stack); parent == "channel" || (parent == "feed" && len(stack) == 1) {
				handled, err := ch.header(dec, t)
				if err != nil {
					return d.reject(in, src, line, off, "invalid XML, rest of file skipped: "+err.Error(), sink)
				}
				if handled {
					continue
				}
			}
			if t.Name.Local == "channel" {
				ch.lang = langOf(t.Attr, ch.lang)
			}
			stack = append(stack, t.Name.Local)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
		src.tap.discard(src.orig(dec.InputOffset()))
	}
}

func isRoot(n xml.Name) bool {
	return n.Local == "rss" || (n.Local == "feed" && (n.Space == nsAtom || n.Space == "")) || (n.Local == "RDF" && n.Space == nsRDF)
}

func isItem(n xml.Name) bool {
	return n.Local == "item" || (n.Local == "entry" && (n.Space == nsAtom || n.Space == ""))
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// header reads a channel-level element if it is one raqib keeps.
func (ch *channel) header(dec *xml.Decoder, t xml.StartElement) (bool, error) {
	switch t.Name.Local {
	case "title":
		var s string
		if err := dec.DecodeElement(&s, &t); err != nil {
			return true, err
		}
		if ch.Name == "" {
			ch.Name = strings.TrimSpace(s)
		}
	case "link":
		var l link
		if err := dec.DecodeElement(&l, &t); err != nil {
			return true, err
		}
		switch {
		case l.Rel == "self" && ch.ID == "":
			ch.ID = l.url()
		case l.Rel == "" || l.Rel == "alternate":
			if u := l.url(); u != "" && ch.URL == "" {
				ch.URL = u
			}
		}
	case "language":
		var s string
		if err := dec.DecodeElement(&s, &t); err != nil {
			return true, err
		}
		ch.lang = normLang(s)
	default:
		return false, nil
	}
	return true, nil
}

// id is the channel id: the site's link, else the feed's own URL, else the
// file it was read from.
func (ch channel) id(file string) post.Channel {
	c := ch.Channel
	switch {
	case c.URL != "":
		c.ID = c.URL
	case c.ID != "":
		c.URL = c.ID
	default:
		c.ID = filepath.Base(file)
	}
	return c
}

func (d Decoder) reject(in source.Input, src input, line int, off int64, reason string, sink source.Sink) error {
	r := source.Rejection{File: in.Name, Line: line, Reason: reason}
	if src.exact {
		r.Offset = src.clip.Orig(src.orig(off))
	}
	return sink.Reject(r)
}

// item decodes one <item> or <entry> whose start tag was just read. It
// returns the XML error that makes the rest of the file unreadable apart
// from the sink's error.
func (d Decoder) item(in source.Input, dec *xml.Decoder, src input, start xml.StartElement, ch channel, line int, off int64, sink source.Sink) (bad, err error) {
	begin := src.orig(off)
	var it item
	if err := dec.DecodeElement(&it, &start); err != nil {
		return err, nil
	}
	end := src.orig(dec.InputOffset())
	raw := src.tap.slice(begin, end)
	src.tap.discard(end)
	p, reason := it.post(ch.id(in.Name), ch.lang)
	if reason != "" {
		return nil, d.reject(in, src, line, off, reason, sink)
	}
	p.Raw = raw
	p.Origin = post.Origin{Format: d.Name(), File: in.Name, Line: line}
	if src.exact {
		p.Origin.Offset = src.clip.Orig(begin)
	}
	return nil, sink.Post(p)
}
