// Package telegramweb watches public Telegram channels through their web
// preview, https://t.me/s/CHANNEL: the HTML page Telegram serves to anyone,
// newest posts last, older ones behind ?before=ID. It needs no account and
// no API key, and reads what a visitor sees: text, links, views, the
// channel a post was forwarded from, media links and the "edited" mark.
package telegramweb

import (
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// Format is the importer name in post.Origin.Format.
const Format = "telegram-web"

// Page is one web-preview page.
type Page struct {
	// Channel is the channel's username as the page writes it.
	Channel string
	Title   string
	// Posts are in page order: oldest first.
	Posts    []post.Post
	Rejected []source.Rejection
	// Before is the id to ask ?before= for the next older page; 0 when the
	// page links none.
	Before int64
	// Edited holds the ids of the posts marked as edited. The preview
	// says that, not when, so EditedAt is left to the poll that sees it.
	Edited map[string]bool
}

var backgroundURL = regexp.MustCompile(`background-image:\s*url\(['"]?([^'")]+)['"]?\)`)

// Parse reads one page of channel's web preview; name is the page's URL,
// for origins and rejections. A message that cannot be read is rejected
// and the others are kept.
func Parse(r io.Reader, channel, name string) (Page, error) {
	doc, err := goquery.NewDocumentFromReader(r)
	if err != nil {
		return Page{}, fmt.Errorf("%s: %w: %w", name, source.ErrFormat, err)
	}
	pg := Page{Channel: channel, Edited: map[string]bool{}}
	pg.Title = strings.TrimSpace(doc.Find(".tgme_channel_info_header_title").First().Text())
	if pg.Title == "" {
		pg.Title, _ = doc.Find(`meta[property="og:title"]`).Attr("content")
	}
	// The channel's picture: what its posts' author (the channel) shows.
	photo, _ := doc.Find(".tgme_channel_info_header .tgme_page_photo_image img").First().Attr("src")
	msgs := doc.Find(".tgme_widget_message[data-post]")
	if msgs.Length() == 0 && doc.Find(".tgme_channel_history, .tgme_channel_info").Length() == 0 {
		return Page{}, fmt.Errorf("%s: %w: no Telegram channel preview on the page", name, source.ErrFormat)
	}
	msgs.Each(func(i int, s *goquery.Selection) {
		p, edited, why := message(s, channel, pg.Title, name)
		if edited {
			pg.Edited[p.ID] = true
		}
		if why != "" {
			pg.Rejected = append(pg.Rejected, source.Rejection{File: name, Reason: fmt.Sprintf("message %d: %s", i+1, why)})
			return
		}
		if p.Author.Handle == channel {
			p.Author.AvatarURL = photo
		}
		pg.Posts = append(pg.Posts, p)
	})
	if v, ok := doc.Find(".js-messages_more[data-before], .tme_messages_more[data-before]").First().Attr("data-before"); ok {
		pg.Before, _ = strconv.ParseInt(v, 10, 64)
	}
	return pg, nil
}

// message reads one message element, or says why it cannot.
func message(s *goquery.Selection, channel, title, name string) (p post.Post, edited bool, why string) {
	ref, _ := s.Attr("data-post")
	owner, idText, ok := strings.Cut(ref, "/")
	if !ok || owner == "" {
		return post.Post{}, false, fmt.Sprintf("data-post %q is not CHANNEL/ID", ref)
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return post.Post{}, false, fmt.Sprintf("data-post %q has no numeric id", ref)
	}
	if !strings.EqualFold(owner, channel) {
		return post.Post{}, false, fmt.Sprintf("post %s belongs to another channel than %s", ref, channel)
	}
	raw, err := goquery.OuterHtml(s)
	if err != nil {
		return post.Post{}, false, "cannot keep the raw HTML: " + err.Error()
	}
	ch := post.Channel{Platform: post.Telegram, ID: strings.ToLower(channel), Name: title, Kind: "channel", URL: "https://t.me/" + channel}
	p = post.Post{
		Platform: post.Telegram,
		ID:       idText,
		Kind:     post.Message,
		Channel:  ch,
		Author:   post.Account{Platform: post.Telegram, ID: ch.ID, Handle: channel, DisplayName: title},
		URL:      "https://t.me/" + channel + "/" + idText,
		Origin:   post.Origin{Format: Format, File: name},
		Raw:      []byte(raw),
	}
	if s.HasClass("service_message") {
		p.Kind = post.Service
	}
	if author := strings.TrimSpace(s.Find(".tgme_widget_message_owner_name").First().Text()); author != "" {
		p.Author.DisplayName = author
	}
	if signed := strings.TrimSpace(s.Find(".tgme_widget_message_from_author").First().Text()); signed != "" {
		p.Author.DisplayName = signed
	}
	// The quote of a replied-to message has the same class: skip it.
	text := s.Find(".tgme_widget_message_text").FilterFunction(func(_ int, t *goquery.Selection) bool {
		return t.Closest(".tgme_widget_message_reply").Length() == 0
	}).First()
	p.Text = messageText(text)
	text.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		href, _ := a.Attr("href")
		label := strings.TrimSpace(a.Text())
		switch {
		case strings.HasPrefix(label, "#"):
			p.Hashtags = append(p.Hashtags, strings.TrimPrefix(label, "#"))
		case strings.HasPrefix(label, "@"):
			p.Mentions = append(p.Mentions, strings.TrimPrefix(label, "@"))
		case strings.HasPrefix(href, "http://") || strings.HasPrefix(href, "https://"):
			p.Outlinks = append(p.Outlinks, href)
		}
	})
	if from := s.Find(".tgme_widget_message_forwarded_from_name").First(); from.Length() > 0 {
		p.ForwardFrom = strings.TrimSpace(from.Text())
		if href, ok := from.Attr("href"); ok {
			if u, err := url.Parse(href); err == nil && (u.Host == "t.me" || u.Host == "telegram.me") {
				if handle, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/"); handle != "" {
					p.ForwardFrom = handle
				}
			}
		}
	}
	if reply, ok := s.Find("a.tgme_widget_message_reply").First().Attr("href"); ok {
		if i := strings.LastIndexByte(reply, '/'); i >= 0 {
			p.ReplyTo = strings.TrimSuffix(reply[i+1:], "?single")
		}
	}
	p.Views = views(strings.TrimSpace(s.Find(".tgme_widget_message_views").First().Text()))
	if dt, ok := s.Find(".tgme_widget_message_date time[datetime]").First().Attr("datetime"); ok {
		if t, err := time.Parse(time.RFC3339, dt); err == nil {
			p.PostedAt = t.UTC()
		}
	}
	edited = s.Find(".tgme_widget_message_edited").Length() > 0 || strings.Contains(s.Find(".tgme_widget_message_meta").Text(), "edited")
	p.Media = media(s)
	if p.Text == "" && len(p.Media) == 0 && p.Kind == post.Message {
		if s.Find(".message_media_not_supported").Length() > 0 {
			p.Text = strings.TrimSpace(s.Find(".message_media_not_supported_label").Text())
		}
	}
	return p, edited, ""
}

// messageText is the text of a message as a reader sees it, line breaks
// kept.
func messageText(s *goquery.Selection) string {
	if s.Length() == 0 {
		return ""
	}
	s = s.Clone()
	s.Find("br").ReplaceWithHtml("\n")
	return strings.TrimSpace(s.Text())
}

// media lists the photos, videos and files of a message with their links.
func media(s *goquery.Selection) []post.Media {
	var ms []post.Media
	s.Find(".tgme_widget_message_photo_wrap").Each(func(_ int, a *goquery.Selection) {
		style, _ := a.Attr("style")
		if m := backgroundURL.FindStringSubmatch(style); m != nil {
			ms = append(ms, post.Media{Kind: "photo", URL: m[1]})
		}
	})
	s.Find("video[src]").Each(func(_ int, v *goquery.Selection) {
		src, _ := v.Attr("src")
		kind := "video"
		if v.Closest(".tgme_widget_message_roundvideo_player").Length() > 0 {
			kind = "animation"
		}
		ms = append(ms, post.Media{Kind: kind, URL: src})
	})
	s.Find(".tgme_widget_message_video_player:not(:has(video[src]))").Each(func(_ int, a *goquery.Selection) {
		href, _ := a.Attr("href")
		ms = append(ms, post.Media{Kind: "video", URL: href})
	})
	s.Find(".tgme_widget_message_document").Each(func(_ int, d *goquery.Selection) {
		name := strings.TrimSpace(d.Find(".tgme_widget_message_document_title").First().Text())
		href, _ := d.Closest("a[href]").Attr("href")
		if name == "" && href == "" {
			return
		}
		ms = append(ms, post.Media{Kind: "file", ID: name, URL: href})
	})
	return ms
}

// views reads a view count as the preview abbreviates it: 512, 1.2K, 3.4M.
func views(s string) int64 {
	if s == "" {
		return 0
	}
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1e3, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1e6, strings.TrimSuffix(s, "M")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0
	}
	return int64(f * mult)
}
