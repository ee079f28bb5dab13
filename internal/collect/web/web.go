// Package web watches plain web pages and forum threads for new items: an
// admin names the page and a CSS selector of one item (a forum post, a news
// teaser, a comment), and every element the selector matches becomes a
// post, its raw HTML kept. Only items that are new or changed since the
// last poll are handed on.
package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"

	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// Format is the importer name in post.Origin.Format.
const Format = "web"

// maxItems bounds the items read of one page (a selector that matches
// every element of a huge page).
const maxItems = 1000

// Connector polls pages.
type Connector struct{}

// Poll implements collect.Connector.
func (Connector) Poll(ctx context.Context, env collect.Env, src post.Source) (collect.Batch, error) {
	resp, cur, err := env.GetPage(ctx, src, "text/html, application/xhtml+xml;q=0.9, */*;q=0.5")
	if err != nil {
		return collect.Batch{}, err
	}
	if resp.Status == http.StatusNotModified {
		return collect.PageBatch(cur, resp, nil, nil), nil
	}
	ps, rejected, err := Parse(bytes.NewReader(resp.Body), src.Location, src.Watch.Selector)
	if err != nil {
		return collect.Batch{}, err
	}
	return collect.PageBatch(cur, resp, ps, rejected), nil
}

// Parse reads the items selector matches on the page at pageURL.
func Parse(r io.Reader, pageURL, selector string) ([]post.Post, []source.Rejection, error) {
	sel, err := cascadia.Compile(selector)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: selector %q: %w", collect.ErrBadSource, selector, err)
	}
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", collect.ErrBadSource, pageURL, err)
	}
	doc, err := goquery.NewDocumentFromReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w: %w", pageURL, source.ErrFormat, err)
	}
	title := strings.TrimSpace(doc.Find("title").First().Text())
	ch := post.Channel{Platform: post.Web, ID: pageURL, Name: title, Kind: "page", URL: pageURL}
	var (
		ps       []post.Post
		rejected []source.Rejection
	)
	items := doc.FindMatcher(sel)
	items.EachWithBreak(func(i int, s *goquery.Selection) bool {
		if i == maxItems {
			rejected = append(rejected, source.Rejection{File: pageURL, Reason: fmt.Sprintf("selector matches %d items; the first %d were read", items.Length(), maxItems)})
			return false
		}
		p, why := item(s, base, ch)
		if why != "" {
			rejected = append(rejected, source.Rejection{File: pageURL, Reason: fmt.Sprintf("item %d: %s", i+1, why)})
			return true
		}
		ps = append(ps, p)
		return true
	})
	return ps, rejected, nil
}

// item reads one matched element: its text, its first link as its
// permalink and id (else its id attribute, else its text), its links.
func item(s *goquery.Selection, base *url.URL, ch post.Channel) (post.Post, string) {
	raw, err := goquery.OuterHtml(s)
	if err != nil {
		return post.Post{}, "cannot keep the raw HTML: " + err.Error()
	}
	text := textOf(s)
	if text == "" {
		return post.Post{}, "no text"
	}
	p := post.Post{
		Platform: post.Web,
		Kind:     post.Article,
		Channel:  ch,
		Author:   post.Account{Platform: post.Web, ID: base.Host},
		Text:     text,
		Origin:   post.Origin{Format: Format, File: ch.URL},
		Raw:      []byte(raw),
	}
	p.Title = strings.TrimSpace(s.Find("h1, h2, h3, h4").First().Text())
	if author := strings.TrimSpace(s.Find(`[itemprop="author"], .author, .username`).First().Text()); author != "" {
		p.Author.ID, p.Author.DisplayName = base.Host+"/"+author, author
	}
	s.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		href, _ := a.Attr("href")
		u, err := base.Parse(strings.TrimSpace(href))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return
		}
		u.Fragment = ""
		if p.URL == "" {
			p.URL = u.String()
		}
		p.Outlinks = append(p.Outlinks, u.String())
	})
	id, _ := s.Attr("id")
	switch {
	case id != "":
		p.ID = id
	case p.URL != "" && p.URL != ch.URL:
		p.ID = p.URL
	default:
		p.ID = post.StableID(text)
	}
	return p, ""
}

// textOf is the element's text, one line per block, blank runs folded.
func textOf(s *goquery.Selection) string {
	s = s.Clone()
	s.Find("script, style, noscript").Remove()
	s.Find("br, p, div, li, h1, h2, h3, h4, blockquote").Each(func(_ int, b *goquery.Selection) {
		b.AppendHtml("\n")
	})
	var lines []string
	for _, l := range strings.Split(s.Text(), "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
