package xapi

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// tweet is the part of a v2 tweet object raqib keeps.
type tweet struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	AuthorID  string `json:"author_id"`
	CreatedAt string `json:"created_at"`
	Lang      string `json:"lang"`
	NoteTweet struct {
		Text string `json:"text"`
	} `json:"note_tweet"`
	ReferencedTweets []struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"referenced_tweets"`
	Attachments struct {
		MediaKeys []string `json:"media_keys"`
	} `json:"attachments"`
	Entities struct {
		URLs []struct {
			URL         string `json:"url"`
			ExpandedURL string `json:"expanded_url"`
			MediaKey    string `json:"media_key"`
		} `json:"urls"`
		Mentions []struct {
			Username string `json:"username"`
		} `json:"mentions"`
		Hashtags []struct {
			Tag string `json:"tag"`
		} `json:"hashtags"`
	} `json:"entities"`
	EditHistory []string `json:"edit_history_tweet_ids"`
	Withheld    withheld `json:"withheld"`
}

// unescaper undoes the only escaping X applies to tweet text (&, < and >
// as HTML entities, in the v2 API and the archive alike); one pass, so
// that "&amp;lt;", what a user typed as "&lt;", comes back as "&lt;".
var unescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// unescape gives the text as its author typed it; post.Raw keeps X's form.
func unescape(text string) string {
	if !strings.Contains(text, "&") {
		return text
	}
	return unescaper.Replace(text)
}

type withheld struct {
	CountryCodes []string `json:"country_codes"`
}

type user struct {
	ID            string `json:"id"`
	Username      string `json:"username"`
	Name          string `json:"name"`
	CreatedAt     string `json:"created_at"`
	Description   string `json:"description"`
	Verified      bool   `json:"verified"`
	PublicMetrics struct {
		Followers int64 `json:"followers_count"`
	} `json:"public_metrics"`
	Withheld        withheld `json:"withheld"`
	ProfileImageURL string   `json:"profile_image_url"`
}

type media struct {
	Key             string `json:"media_key"`
	Type            string `json:"type"`
	URL             string `json:"url"`
	PreviewImageURL string `json:"preview_image_url"`
	Width           int    `json:"width"`
	Height          int    `json:"height"`
}

// page holds the includes of one record, indexed for joining.
type page struct {
	users map[string]post.Account
	media map[string]post.Media
}

func newPage(rec record) page {
	pg := page{users: make(map[string]post.Account, len(rec.Includes.Users)), media: make(map[string]post.Media, len(rec.Includes.Media))}
	for _, u := range rec.Includes.Users {
		pg.users[u.ID] = u.account()
	}
	for _, m := range rec.Includes.Media {
		pg.media[m.Key] = m.media()
	}
	return pg
}

func (u user) account() post.Account {
	return post.Account{
		Platform:    post.X,
		ID:          u.ID,
		Handle:      u.Username,
		DisplayName: u.Name,
		CreatedAt:   parseTime(time.RFC3339, u.CreatedAt),
		Description: u.Description,
		Followers:   u.PublicMetrics.Followers,
		Verified:    u.Verified,
		Withheld:    u.Withheld.CountryCodes,
		AvatarURL:   u.ProfileImageURL,
	}
}

// mediaKind maps an X media type (API v2 and archive alike) to raqib's
// media kind; a type X adds later is a file until it is listed here.
func mediaKind(typ string) string {
	switch typ {
	case "photo", "video":
		return typ
	case "animated_gif":
		return "animation"
	}
	return "file"
}

func (m media) media() post.Media {
	kind := mediaKind(m.Type)
	url := m.URL
	if url == "" {
		url = m.PreviewImageURL
	}
	return post.Media{Kind: kind, ID: m.Key, URL: url, Width: m.Width, Height: m.Height}
}

// emit converts one tweet and sends it unless its id was seen in this record.
func (pg page) emit(raw json.RawMessage, origin post.Origin, seen map[string]bool, sink source.Sink) error {
	var t tweet
	if err := json.Unmarshal(raw, &t); err != nil {
		return sink.Reject(source.Rejection{File: origin.File, Line: origin.Line, Offset: origin.Offset, Reason: "invalid tweet: " + err.Error()})
	}
	if t.ID == "" {
		return sink.Reject(source.Rejection{File: origin.File, Line: origin.Line, Offset: origin.Offset, Reason: "tweet without id"})
	}
	if seen[t.ID] {
		return nil
	}
	seen[t.ID] = true
	return sink.Post(pg.post(t, raw, origin))
}

func (pg page) post(t tweet, raw json.RawMessage, origin post.Origin) post.Post {
	author, ok := pg.users[t.AuthorID]
	if !ok {
		author = post.Account{Platform: post.X, ID: t.AuthorID}
	}
	p := post.Post{
		Platform: post.X,
		ID:       t.ID,
		Kind:     post.Message,
		Channel:  timeline,
		Author:   author,
		Text:     t.Text,
		URL:      statusURL(author.Handle, t.ID),
		Lang:     lang(t.Lang),
		PostedAt: parseTime(time.RFC3339, t.CreatedAt),
		EditIDs:  earlierEdits(t.ID, t.EditHistory),
		Withheld: t.Withheld.CountryCodes,
		Origin:   origin,
		Raw:      raw,
	}
	// A long post keeps its full text in note_tweet; text is then truncated.
	if t.NoteTweet.Text != "" {
		p.Text = t.NoteTweet.Text
	}
	p.Text = unescape(p.Text)
	for _, r := range t.ReferencedTweets {
		switch r.Type {
		case "replied_to":
			p.ReplyTo = r.ID
		case "quoted":
			p.QuoteOf = r.ID
		case "retweeted":
			p.RepostOf = r.ID
		}
	}
	for _, u := range t.Entities.URLs {
		// Links to the tweet's own media are attachments, not outlinks.
		if u.MediaKey != "" {
			continue
		}
		if u.ExpandedURL != "" {
			p.Outlinks = append(p.Outlinks, u.ExpandedURL)
		} else if u.URL != "" {
			p.Outlinks = append(p.Outlinks, u.URL)
		}
	}
	for _, m := range t.Entities.Mentions {
		p.Mentions = append(p.Mentions, m.Username)
	}
	for _, h := range t.Entities.Hashtags {
		p.Hashtags = append(p.Hashtags, h.Tag)
	}
	for _, k := range t.Attachments.MediaKeys {
		m, ok := pg.media[k]
		if !ok {
			m = post.Media{Kind: kindFromKey(k), ID: k}
		}
		p.Media = append(p.Media, m)
	}
	return p
}

// kindFromKey guesses a media kind from the numeric prefix X puts on media
// keys (3 photo, 7 video, 16 animated GIF) when includes lack the object.
func kindFromKey(key string) string {
	prefix, _, _ := strings.Cut(key, "_")
	switch prefix {
	case "3":
		return "photo"
	case "7", "13":
		return "video"
	case "16":
		return "animation"
	}
	return "file"
}

// statusURL is the permalink of a tweet; x.com/i/status works without the
// author's handle.
func statusURL(handle, id string) string {
	if handle == "" {
		handle = "i"
	}
	return "https://x.com/" + handle + "/status/" + id
}

// lang maps X's language tags to raqib's: X marks undeterminable text with
// private codes (qme media links only, qst very short, qht hashtags only,
// qam mentions only, qct cashtags only) and zxx (no linguistic content).
func lang(l string) string {
	if l == "zxx" || l == "und" || (len(l) == 3 && l[0] == 'q') {
		return "und"
	}
	return l
}

// earlierEdits returns the ids of the versions before id in an edit
// history; the history lists every version oldest first, the post itself
// included.
func earlierEdits(id string, history []string) []string {
	var out []string
	for _, h := range history {
		if h == id {
			return out
		}
		out = append(out, h)
	}
	return out
}

// parseTime parses s with layout, giving the zero time for a missing or
// malformed value: a bad timestamp should not cost the post.
func parseTime(layout, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
