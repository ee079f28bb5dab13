package rocketchat

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// message is one Rocket.Chat message. Only the fields raqib uses are listed;
// the full record is kept verbatim in post.Raw.
//
// Rocket.Chat keeps the earlier versions of an edited or removed message as
// hidden messages ("_hidden": true, "parent": the current message's id);
// they are imported as posts of their own, since the earlier text is
// evidence that the current one (often "rm") no longer shows.
type message struct {
	ID          *string      `json:"_id"`
	RID         *string      `json:"rid"`
	Msg         string       `json:"msg"`
	TS          timestamp    `json:"ts"`
	U           user         `json:"u"`
	EditedAt    timestamp    `json:"editedAt"`
	T           string       `json:"t"`
	TMID        string       `json:"tmid"`
	Attachments []attachment `json:"attachments"`
	File        *file        `json:"file"`
	Files       []file       `json:"files"`
	URLs        []struct {
		URL string `json:"url"`
	} `json:"urls"`
	Mentions []user `json:"mentions"`
}

type user struct {
	ID       string `json:"_id"`
	Username string `json:"username"`
	Name     string `json:"name"`
}

// attachment is an upload's preview and caption, or a quote of another
// message (message_link set).
type attachment struct {
	Description string `json:"description"`
	MessageLink string `json:"message_link"`
	TitleLink   string `json:"title_link"`
	ImageURL    string `json:"image_url"`
	ImageType   string `json:"image_type"`
	ImageSize   int64  `json:"image_size"`
	Dimensions  struct {
		Width  int `json:"width"`
		Height int `json:"height"`
	} `json:"image_dimensions"`
	VideoURL  string `json:"video_url"`
	VideoType string `json:"video_type"`
	VideoSize int64  `json:"video_size"`
	AudioURL  string `json:"audio_url"`
	AudioType string `json:"audio_type"`
	AudioSize int64  `json:"audio_size"`
}

// file is an uploaded file's record.
type file struct {
	ID   string `json:"_id"`
	Name string `json:"name"`
	Type string `json:"type"`
	Size int64  `json:"size"`
}

// timestamp is a REST date (an ISO 8601 string) or an EJSON date
// ({"$date": milliseconds}), which Rocket.Chat writes in some responses and
// exports.
type timestamp struct{ time.Time }

var timeType = reflect.TypeFor[time.Time]()

// UnmarshalJSON implements json.Unmarshaler.
func (t *timestamp) UnmarshalJSON(b []byte) error {
	switch b[0] {
	case 'n':
		return nil
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return &json.UnmarshalTypeError{Value: "string " + strconv.Quote(s), Type: timeType}
		}
		t.Time = v.UTC()
		return nil
	case '{':
		var e struct {
			Date json.RawMessage `json:"$date"`
		}
		if err := json.Unmarshal(b, &e); err != nil || e.Date == nil {
			return &json.UnmarshalTypeError{Value: "object without $date", Type: timeType}
		}
		if e.Date[0] == '"' {
			return t.UnmarshalJSON(e.Date)
		}
		ms, err := strconv.ParseInt(string(e.Date), 10, 64)
		if err != nil {
			return &json.UnmarshalTypeError{Value: "$date " + string(e.Date), Type: timeType}
		}
		t.Time = time.UnixMilli(ms).UTC()
		return nil
	}
	return &json.UnmarshalTypeError{Value: "neither string nor {\"$date\": ...}", Type: timeType}
}

// groupMentions are the mentions that name no account.
var groupMentions = map[string]bool{"all": true, "here": true}

// message decodes one raw message read at byte offset off. It returns the
// post, or a non-empty reason to reject the record.
func (d *decoding) message(raw json.RawMessage, off int64) (post.Post, string) {
	if raw[0] != '{' {
		return post.Post{}, "message is not an object"
	}
	var m message
	if err := json.Unmarshal(raw, &m); err != nil {
		return post.Post{}, source.JSONReason(err)
	}
	switch {
	case m.ID == nil || *m.ID == "":
		return post.Post{}, `message without "_id"`
	case m.RID == nil || *m.RID == "":
		return post.Post{}, `message without "rid"`
	}
	p := post.Post{
		Platform: post.RocketChat,
		ID:       *m.ID,
		Kind:     post.Message,
		Channel:  post.Channel{Platform: post.RocketChat, ID: *m.RID},
		Author:   post.Account{Platform: post.RocketChat, ID: m.U.ID, Handle: m.U.Username, DisplayName: m.U.Name},
		Text:     m.Msg,
		PostedAt: m.TS.Time,
		EditedAt: m.EditedAt.Time,
		ReplyTo:  m.TMID,
		Origin:   post.Origin{Format: Name, File: d.In.Name, Offset: off},
		Raw:      raw,
	}
	// "e2e" marks an encrypted user message; every other type is one of
	// the server's system messages (uj user joined, ru user removed, rm
	// message removed, ...).
	if m.T != "" && m.T != "e2e" {
		p.Kind = post.Service
		p.Deleted = m.T == "rm"
		p.Text = m.T
		if m.Msg != "" {
			p.Text += ": " + m.Msg
		}
	}
	if p.Author.ID == "" {
		p.Author.ID = m.U.Username
	}
	for _, a := range m.Attachments {
		if a.MessageLink != "" {
			p.QuoteOf = quotedID(a.MessageLink)
			continue
		}
		// An upload's caption is published text the message body lacks.
		if a.Description != "" && a.Description != m.Msg {
			p.Text = strings.TrimPrefix(p.Text+"\n"+a.Description, "\n")
		}
	}
	for _, u := range m.URLs {
		if u.URL != "" {
			p.Outlinks = append(p.Outlinks, u.URL)
		}
	}
	for _, u := range m.Mentions {
		if u.Username != "" && !groupMentions[u.Username] {
			p.Mentions = append(p.Mentions, u.Username)
		}
	}
	p.Media = media(m)
	return p, ""
}

// quotedID is the id of the message a quote links to: the msg parameter
// of https://server/channel/name?msg=ID.
func quotedID(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	return u.Query().Get("msg")
}

// kindOf maps a MIME type to a post.Media kind.
func kindOf(mime string) string {
	switch {
	case strings.HasPrefix(mime, "image/"):
		return "photo"
	case strings.HasPrefix(mime, "video/"):
		return "video"
	case strings.HasPrefix(mime, "audio/"):
		return "audio"
	}
	return "file"
}

// media lists m's files: the upload records (file, files) completed with
// the links and image sizes of the attachments that show them, plus the
// attachments that point at no listed file.
func media(m message) []post.Media {
	files := m.Files
	if len(files) == 0 && m.File != nil {
		files = []file{*m.File}
	}
	var out []post.Media
	for _, f := range files {
		out = append(out, post.Media{Kind: kindOf(f.Type), ID: f.ID, MIME: f.Type, Size: f.Size})
	}
	for _, a := range m.Attachments {
		if a.MessageLink != "" {
			continue
		}
		own := post.Media{Kind: "file", URL: a.TitleLink}
		switch {
		case a.ImageURL != "":
			own = post.Media{Kind: "photo", URL: a.ImageURL, MIME: a.ImageType, Size: a.ImageSize, Width: a.Dimensions.Width, Height: a.Dimensions.Height}
		case a.VideoURL != "":
			own = post.Media{Kind: "video", URL: a.VideoURL, MIME: a.VideoType, Size: a.VideoSize}
		case a.AudioURL != "":
			own = post.Media{Kind: "audio", URL: a.AudioURL, MIME: a.AudioType, Size: a.AudioSize}
		}
		if own.URL == "" {
			continue
		}
		matched := false
		for _, link := range []string{a.TitleLink, own.URL} {
			i := fileIn(out, link)
			if i < 0 {
				continue
			}
			matched = true
			if out[i].URL == "" {
				out[i].URL = link
			}
			if link == own.URL && own.Width > 0 {
				out[i].Width, out[i].Height = own.Width, own.Height
			}
		}
		if !matched {
			out = append(out, own)
		}
	}
	return out
}

// fileIn returns the index of the media whose upload id appears in link
// (/file-upload/ID/name), or -1.
func fileIn(ms []post.Media, link string) int {
	for i, m := range ms {
		if m.ID != "" && link != "" && strings.Contains(link, "/"+m.ID+"/") {
			return i
		}
	}
	return -1
}
