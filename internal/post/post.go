// Package post defines raqib's one data model: every importer and connector
// normalizes what it reads into these types, and every later stage (enrich,
// detect, decide, review, act, measure) works on them and nothing else.
package post

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"time"
)

// Platform names where a post was published. Values are stable: they are
// stored, exported and used in keys.
type Platform string

// Platforms raqib knows. Web covers news sites, blogs and forums read as
// RSS/Atom feeds.
const (
	Telegram   Platform = "telegram"
	WhatsApp   Platform = "whatsapp"
	X          Platform = "x"
	RocketChat Platform = "rocketchat"
	Facebook   Platform = "facebook"
	YouTube    Platform = "youtube"
	Web        Platform = "web"
)

// Kind says what sort of item a post is.
type Kind string

// Kinds of post. Service items (joins, pins, "this message was deleted") are
// kept because they are evidence of a room's life, but detectors skip them.
const (
	Message Kind = "message"
	Service Kind = "service"
	Article Kind = "article"
)

// Account is an author on a platform.
type Account struct {
	Platform    Platform  `json:"platform"`
	ID          string    `json:"id"` // stable platform id; a handle or display name where the platform gives none
	Handle      string    `json:"handle,omitempty"`
	DisplayName string    `json:"display_name,omitempty"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
	Description string    `json:"description,omitempty"`
	Followers   int64     `json:"followers,omitempty"`
	Verified    bool      `json:"verified,omitempty"`
	Withheld    []string  `json:"withheld,omitempty"` // country codes where the platform withholds it
	// AvatarURL is where the platform serves the profile picture; with
	// --fetch-avatars it is fetched and its PDQ hash kept in the registry.
	AvatarURL string `json:"avatar_url,omitempty"`
}

// Channel is the room, group, chat, channel or feed a post was published in.
type Channel struct {
	Platform Platform `json:"platform"`
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	Kind     string   `json:"kind,omitempty"` // channel, group, personal_chat, timeline, feed, ...
	URL      string   `json:"url,omitempty"`
}

// Media is a file attached to a post. Hashes are filled by importers when the
// file is at hand and by the enrich stage otherwise.
type Media struct {
	Kind    string `json:"kind"`              // photo, video, audio, file, sticker, animation
	ID      string `json:"id,omitempty"`      // platform media key
	URL     string `json:"url,omitempty"`     // remote location
	Path    string `json:"path,omitempty"`    // local file, relative to the export folder
	MIME    string `json:"mime,omitempty"`    //
	Size    int64  `json:"size,omitempty"`    // bytes
	Width   int    `json:"width,omitempty"`   //
	Height  int    `json:"height,omitempty"`  //
	Omitted bool   `json:"omitted,omitempty"` // the export says the file was left out
	Hashes  []Hash `json:"hashes,omitempty"`  // at most one per type
}

// Hash is one signal of a media file: a value of a type of the signaltype
// registry (md5, sha256, pdq, vpdq, ...) in the type's canonical form.
type Hash struct {
	Type  string `json:"type"`
	Value string `json:"value"`
	// Quality is the hasher's confidence from 0 to 100, for the types that
	// have one (PDQ); 0 when unknown.
	Quality int `json:"quality,omitempty"`
}

// Hash returns the value of m's hash of type typ, "" when m has none.
func (m *Media) Hash(typ string) string {
	for _, h := range m.Hashes {
		if h.Type == typ {
			return h.Value
		}
	}
	return ""
}

// SetHash sets m's hash of h's type, replacing the one m had.
func (m *Media) SetHash(h Hash) {
	for i := range m.Hashes {
		if m.Hashes[i].Type == h.Type {
			m.Hashes[i] = h
			return
		}
	}
	m.Hashes = append(m.Hashes, h)
}

// UnmarshalJSON reads media as stored before hashes were typed, with md5,
// sha256, pdq and pdq_quality fields, as well as the current form.
func (m *Media) UnmarshalJSON(b []byte) error {
	type plain Media
	var v struct {
		plain
		MD5        string `json:"md5"`
		SHA256     string `json:"sha256"`
		PDQ        string `json:"pdq"`
		PDQQuality int    `json:"pdq_quality"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = Media(v.plain)
	for _, h := range []Hash{{Type: "md5", Value: v.MD5}, {Type: "sha256", Value: v.SHA256}, {Type: "pdq", Value: v.PDQ, Quality: v.PDQQuality}} {
		if h.Value != "" && m.Hash(h.Type) == "" {
			m.Hashes = append(m.Hashes, h)
		}
	}
	return nil
}

// MediaPath is where a kept media file with the given SHA-256 lives under
// dir: content-addressed, so the same image posted a thousand times is kept
// once and its name proves its content. Importers keep files there and the
// web UI serves them from there.
func MediaPath(dir, sha256 string) string {
	if len(sha256) < 2 {
		return ""
	}
	return filepath.Join(dir, sha256[:2], sha256)
}

// Origin records where a post was read from, so that an analyst (or a court)
// can go back to the exact record.
type Origin struct {
	Source string `json:"source,omitempty"` // Source.ID of the export or feed
	Format string `json:"format"`           // importer name: telegram, whatsapp, xapi, xarchive, rocketchat, feed
	File   string `json:"file,omitempty"`   // path or URL the record came from
	Line   int    `json:"line,omitempty"`   // 1-based line of the record start, where the format has lines
	Offset int64  `json:"offset,omitempty"` // byte offset of the record start
}

// Source is one place posts are collected from: a Telegram channel export,
// a WhatsApp chat export, an X API dump, a Rocket.Chat history, a feed. Every
// post's Origin names its source, so that an analyst sees what was
// collected from where, when it was last collected and how much of it was
// malformed.
type Source struct {
	ID       string   `json:"id"`     // SourceID of Format and Location
	Format   string   `json:"format"` // importer name
	Platform Platform `json:"platform,omitempty"`
	Location string   `json:"location"` // absolute path or URL; "stdin" for standard input

	FirstCollected time.Time `json:"first_collected,omitzero"`
	LastCollected  time.Time `json:"last_collected,omitzero"`
	// Imports counts the import runs that read the source; Read and
	// Rejected add up their well-formed and malformed records.
	Imports  int   `json:"imports"`
	Read     int64 `json:"read"`
	Rejected int64 `json:"rejected"`
	// Posts counts the posts first stored from it: re-imports and edits of
	// posts already stored do not add to it.
	Posts int64 `json:"posts"`
	// Watch is set for a source raqib watches live (polls, or receives
	// pushes from); nil for an export that was only imported.
	Watch *Watch `json:"watch,omitempty"`
}

// SourceID is the stable id of a source: the same export read from the
// same place is the same source in every import.
func SourceID(format, location string) string {
	h := sha256.Sum256([]byte(format + "\x00" + location))
	return hex.EncodeToString(h[:8])
}

// Post is one published item: a message, tweet, chat line or article.
type Post struct {
	Platform Platform `json:"platform"`
	// ID is the platform's id of the post, unique within Channel. Formats
	// without ids (WhatsApp exports) derive a stable one from the content so
	// that re-importing the same export is idempotent.
	ID      string  `json:"id"`
	Kind    Kind    `json:"kind"`
	Channel Channel `json:"channel"`
	Author  Account `json:"author"`

	Text  string `json:"text"`            // exactly as published
	Title string `json:"title,omitempty"` // articles
	URL   string `json:"url,omitempty"`   // permalink, where known
	Norm  string `json:"norm,omitempty"`  // normalized text (arabic.Normalize of Title+Text), filled by enrich
	Lang  string `json:"lang,omitempty"`  // ar, en, or und; from the platform when it says, else detected

	PostedAt    time.Time `json:"posted_at,omitzero"`
	EditedAt    time.Time `json:"edited_at,omitzero"`
	CollectedAt time.Time `json:"collected_at,omitzero"`

	ReplyTo     string `json:"reply_to,omitempty"`     // id of the post this answers, same channel
	QuoteOf     string `json:"quote_of,omitempty"`     // id of a quoted post
	ForwardFrom string `json:"forward_from,omitempty"` // name or id of the original author/channel
	RepostOf    string `json:"repost_of,omitempty"`    // id of a reposted (retweeted) post

	Outlinks []string `json:"outlinks,omitempty"`
	Mentions []string `json:"mentions,omitempty"`
	Hashtags []string `json:"hashtags,omitempty"`
	Media    []Media  `json:"media,omitempty"`

	// EditIDs lists the platform ids of earlier versions (X edit history).
	EditIDs []string `json:"edit_ids,omitempty"`
	// Withheld lists country codes where the platform withholds the post; it
	// is the platform's own record of a (partial) takedown.
	Withheld []string `json:"withheld,omitempty"`
	Deleted  bool     `json:"deleted,omitempty"`
	// Views is the view count the platform showed when the post was
	// collected (Telegram channels), 0 when it shows none.
	Views int64 `json:"views,omitempty"`

	Origin Origin `json:"origin"`
	// Raw is the original record, byte for byte as read: evidence.
	Raw []byte `json:"raw,omitempty"`

	Signals  []Signal `json:"signals,omitempty"`
	Decision Decision `json:"decision,omitzero"`
}

// Decision is what the rules concluded from all signals of a post: the one
// label, tier and entity shown to analysts and used for filtering. It is
// the one verdict type of raqib: stored with the post, shown in the UI and
// printed by `raqib scan`.
type Decision struct {
	Label     Label    `json:"label"`
	Tier      Tier     `json:"tier,omitempty"`
	Entity    string   `json:"entity,omitempty"`
	Score     float64  `json:"score"`
	Violating bool     `json:"violating"`
	Reasons   []string `json:"reasons,omitempty"` // "rule: why" for every label, most severe first
	Flags     []string `json:"flags,omitempty"`   // rules' markers, e.g. repeat-author
}

// Key identifies a post across the whole system: platform, channel and id,
// joined by ':'. '%' and ':' inside a part are percent-escaped, so that no
// two posts share a key (a feed of channel "https://news.example:a" and
// id "1" against channel "https://news.example" and id "a:1"), while the
// keys of ordinary ids such as "telegram:-100123:5" read as before.
func (p *Post) Key() string {
	return KeyOf(string(p.Platform), p.Channel.ID, p.ID)
}

// KeyOf is the key of the post id in channel of platform; see Post.Key.
func KeyOf(platform, channel, id string) string {
	if !strings.ContainsAny(platform, "%:") && !strings.ContainsAny(channel, "%:") && !strings.ContainsAny(id, "%:") {
		// Nearly every key: nothing to escape, one allocation.
		return platform + ":" + channel + ":" + id
	}
	return keyEscaper.Replace(platform) + ":" + keyEscaper.Replace(channel) + ":" + keyEscaper.Replace(id)
}

// keyEscaper is mirrored by the stores' key migrations, which escape '%'
// before ':' in SQL.
var keyEscaper = strings.NewReplacer("%", "%25", ":", "%3A")

// ContentHash fingerprints what a reader sees of the post, to tell an edit
// from a plain re-import.
func (p *Post) ContentHash() string {
	h := sha256.New()
	h.Write([]byte(p.Title))
	h.Write([]byte{0})
	h.Write([]byte(p.Text))
	for _, m := range p.Media {
		h.Write([]byte{0})
		h.Write([]byte(m.Path + m.URL + m.Hash("sha256")))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// StableID derives an id from parts that identify a record in formats that
// have none, such as chat exports.
func StableID(parts ...string) string {
	h := sha256.New()
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
