package telegram

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// message is one element of "messages". Only the fields raqib uses are
// listed; the full record is kept verbatim in post.Raw.
type message struct {
	ID              *int64     `json:"id"`
	Type            string     `json:"type"`
	Date            string     `json:"date"`
	DateUnix        flexString `json:"date_unixtime"`
	Edited          string     `json:"edited"`
	EditedUnix      flexString `json:"edited_unixtime"`
	From            string     `json:"from"`
	FromID          flexString `json:"from_id"`
	Actor           string     `json:"actor"`
	ActorID         flexString `json:"actor_id"`
	Action          string     `json:"action"`
	Title           string     `json:"title"`
	Members         []string   `json:"members"`
	Text            text       `json:"text"`
	TextEntities    []entity   `json:"text_entities"`
	ReplyTo         *int64     `json:"reply_to_message_id"`
	ForwardedFrom   string     `json:"forwarded_from"`
	ForwardedFromID flexString `json:"forwarded_from_id"`
	SavedFrom       string     `json:"saved_from"`
	Photo           string     `json:"photo"`
	PhotoSize       int64      `json:"photo_file_size"`
	File            string     `json:"file"`
	FileSize        int64      `json:"file_size"`
	Thumbnail       string     `json:"thumbnail"`
	ThumbnailSize   int64      `json:"thumbnail_file_size"`
	MediaType       string     `json:"media_type"`
	MIME            string     `json:"mime_type"`
	Width           int        `json:"width"`
	Height          int        `json:"height"`
	Poll            *struct {
		Question string `json:"question"`
		Answers  []struct {
			Text string `json:"text"`
		} `json:"answers"`
	} `json:"poll"`
}

// entity is a piece of formatted text, in "text_entities" or inside an
// array-valued "text".
type entity struct {
	Type   string     `json:"type"`
	Text   string     `json:"text"`
	Href   string     `json:"href"`
	UserID flexString `json:"user_id"`
}

// text is a message's "text": a plain string, or an array of strings and
// entity objects whose concatenation is the text.
type text struct {
	plain string
	parts []entity
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *text) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		return nil
	case b[0] == '"':
		return json.Unmarshal(b, &t.plain)
	case b[0] != '[':
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: stringType}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	var sb strings.Builder
	for _, it := range items {
		var e entity
		switch it[0] {
		case '"':
			if err := json.Unmarshal(it, &e.Text); err != nil {
				return err
			}
			e.Type = "plain"
		case '{':
			if err := json.Unmarshal(it, &e); err != nil {
				return err
			}
			t.parts = append(t.parts, e)
		default:
			return &json.UnmarshalTypeError{Value: jsonKind(it), Type: stringType}
		}
		sb.WriteString(e.Text)
	}
	t.plain = sb.String()
	return nil
}

// omitted starts the placeholder Telegram writes instead of a media path
// when the file was not exported: "(File not included. Change data
// exporting settings to download.)", "(File exceeds maximum size. ...)".
const omitted = "(File "

// mediaKinds maps Telegram's media_type to post.Media kinds.
var mediaKinds = map[string]string{
	"video_file":    "video",
	"video_message": "video",
	"voice_message": "audio",
	"audio_file":    "audio",
	"sticker":       "sticker",
	"animation":     "animation",
}

// message decodes one raw message of chat c read at byte offset off. It
// returns the post, or a non-empty reason to reject the record.
func (d *decoding) message(c chat, raw json.RawMessage, off int64) (post.Post, string) {
	if raw[0] != '{' {
		return post.Post{}, "message is " + jsonKind(raw) + ", not an object"
	}
	var m message
	if err := json.Unmarshal(raw, &m); err != nil {
		return post.Post{}, source.JSONReason(err)
	}
	if m.ID == nil {
		return post.Post{}, `message without "id"`
	}
	posted, err := timestamp(string(m.DateUnix), m.Date)
	if err != nil {
		return post.Post{}, "date: " + err.Error()
	}
	edited, err := timestamp(string(m.EditedUnix), m.Edited)
	if err != nil {
		return post.Post{}, "edited: " + err.Error()
	}
	p := post.Post{
		Platform: post.Telegram,
		ID:       strconv.FormatInt(*m.ID, 10),
		Kind:     post.Message,
		Channel:  post.Channel{Platform: post.Telegram, ID: c.id, Name: c.name, Kind: c.typ},
		Author:   post.Account{Platform: post.Telegram, ID: string(m.FromID), DisplayName: m.From},
		Text:     m.Text.plain,
		PostedAt: posted,
		EditedAt: edited,
		Origin:   post.Origin{Format: Name, File: d.In.Name, Offset: off},
		Raw:      raw,
	}
	if m.ReplyTo != nil {
		p.ReplyTo = strconv.FormatInt(*m.ReplyTo, 10)
	}
	p.ForwardFrom = firstOf(m.ForwardedFrom, string(m.ForwardedFromID), m.SavedFrom)
	if m.Type == "service" {
		p.Kind = post.Service
		p.Author.ID, p.Author.DisplayName = string(m.ActorID), m.Actor
		p.Text = serviceText(m)
	}
	if p.Author.ID == "" && (c.typ == "public_channel" || c.typ == "private_channel") {
		// Channel posts are signed by the channel itself; older exports
		// leave "from" out.
		p.Author.ID, p.Author.DisplayName = "channel"+c.id, c.name
	}
	if p.Text == "" && m.Poll != nil {
		p.Text = pollText(m)
	}
	entities := m.TextEntities
	if entities == nil {
		entities = m.Text.parts
	}
	for _, e := range entities {
		switch e.Type {
		case "link":
			p.Outlinks = append(p.Outlinks, e.Text)
		case "text_link":
			p.Outlinks = append(p.Outlinks, e.Href)
		case "mention":
			p.Mentions = append(p.Mentions, strings.TrimPrefix(e.Text, "@"))
		case "mention_name":
			if e.UserID == "" {
				continue
			}
			// A mention of a user without a username: Telegram gives the
			// user id, written here the way from_id writes it.
			p.Mentions = append(p.Mentions, "user"+string(e.UserID))
		case "hashtag":
			p.Hashtags = append(p.Hashtags, strings.TrimPrefix(e.Text, "#"))
		}
	}
	p.Media = d.media(m)
	return p, ""
}

// timestamp prefers the unix time and falls back on "date", which is local
// time without a zone and is read as UTC. Both empty gives the zero time.
func timestamp(unix, local string) (time.Time, error) {
	if unix != "" {
		sec, err := strconv.ParseInt(unix, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("bad unix time %q", unix)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	if local == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02T15:04:05", local)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q", local)
	}
	return t, nil
}

// serviceText describes a service message: the action and what it names.
func serviceText(m message) string {
	var details []string
	if m.Title != "" {
		details = append(details, m.Title)
	}
	for _, s := range m.Members {
		if s != "" {
			details = append(details, s)
		}
	}
	if m.Text.plain != "" {
		details = append(details, m.Text.plain)
	}
	if len(details) == 0 {
		return m.Action
	}
	return m.Action + ": " + strings.Join(details, ", ")
}

// pollText is the question and answers of a poll, which has no "text".
func pollText(m message) string {
	lines := []string{m.Poll.Question}
	for _, a := range m.Poll.Answers {
		lines = append(lines, a.Text)
	}
	return strings.Join(lines, "\n")
}

// firstOf returns the first non-empty string.
func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// media lists the files of m: a photo, or a file with its thumbnail.
func (d *decoding) media(m message) []post.Media {
	var out []post.Media
	if m.Photo != "" {
		out = append(out, d.file(post.Media{Kind: "photo", Width: m.Width, Height: m.Height, Size: m.PhotoSize}, m.Photo))
	}
	if m.File != "" {
		kind := mediaKinds[m.MediaType]
		if kind == "" {
			kind = "file"
		}
		out = append(out, d.file(post.Media{Kind: kind, MIME: m.MIME, Width: m.Width, Height: m.Height, Size: m.FileSize}, m.File))
	}
	if m.Thumbnail != "" {
		// Video thumbnails are kept as media of their own: they are images
		// that known-content matching can hash.
		out = append(out, d.file(post.Media{Kind: "thumbnail", Size: m.ThumbnailSize}, m.Thumbnail))
	}
	return out
}

// file completes md with the export-relative path rel, and with size and
// hashes when the file is at hand.
func (d *decoding) file(md post.Media, rel string) post.Media {
	if strings.HasPrefix(rel, omitted) {
		md.Omitted = true
		return md
	}
	md.Path = rel
	// Only paths inside the export folder are opened: an export is outside
	// data and could name any file on the machine.
	if d.In.Open == nil || !filepath.IsLocal(filepath.FromSlash(rel)) {
		return md
	}
	f, err := d.In.Open(rel)
	if err != nil {
		return md
	}
	defer f.Close()
	return source.HashMedia(md, f)
}
