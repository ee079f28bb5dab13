package xapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// ArchiveDecoder reads tweets.js (tweet.js in older archives) from an X
// account archive: a JavaScript assignment of an array of v1.1-style tweets.
// The account comes from account.js beside it, when Input.Open can reach it.
type ArchiveDecoder struct{}

var _ source.Decoder = ArchiveDecoder{}

// archiveTime is the v1.1 timestamp layout, e.g. "Wed Oct 10 20:19:24 +0000 2018".
const archiveTime = time.RubyDate

// Name implements source.Decoder.
func (ArchiveDecoder) Name() string { return "xarchive" }

// Sniff implements source.Decoder.
func (ArchiveDecoder) Sniff(name string, head []byte) bool {
	h := bytes.TrimSpace(head)
	return bytes.HasPrefix(h, []byte("window.YTD.tweets.")) || bytes.HasPrefix(h, []byte("window.YTD.tweet."))
}

// archiveTweet is the part of an archive tweet raqib keeps.
type archiveTweet struct {
	IDStr     string `json:"id_str"`
	FullText  string `json:"full_text"`
	Text      string `json:"text"`
	CreatedAt string `json:"created_at"`
	Lang      string `json:"lang"`
	ReplyTo   string `json:"in_reply_to_status_id_str"`
	QuoteOf   string `json:"quoted_status_id_str"`
	Entities  struct {
		Hashtags []struct {
			Text string `json:"text"`
		} `json:"hashtags"`
		Mentions []struct {
			ScreenName string `json:"screen_name"`
		} `json:"user_mentions"`
		URLs []struct {
			URL         string `json:"url"`
			ExpandedURL string `json:"expanded_url"`
		} `json:"urls"`
		Media []archiveMedia `json:"media"`
	} `json:"entities"`
	ExtendedEntities struct {
		Media []archiveMedia `json:"media"`
	} `json:"extended_entities"`
	EditInfo struct {
		Initial struct {
			EditTweetIDs []string `json:"editTweetIds"`
		} `json:"initial"`
		Edit struct {
			Control struct {
				EditTweetIDs []string `json:"editTweetIds"`
			} `json:"editControlInitial"`
		} `json:"edit"`
	} `json:"edit_info"`
	Withheld []string `json:"withheld_in_countries"`
}

type archiveMedia struct {
	IDStr         string `json:"id_str"`
	Type          string `json:"type"`
	MediaURLHTTPS string `json:"media_url_https"`
	MediaURL      string `json:"media_url"`
}

// Decode implements source.Decoder.
func (d ArchiveDecoder) Decode(in source.Input, sink source.Sink) error {
	br := bufio.NewReader(in.R)
	prefix, err := br.ReadString('[')
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: no tweet array: %w", in.Name, source.ErrFormat)
		}
		return fmt.Errorf("read %s: %w", in.Name, err)
	}
	if p := strings.TrimSpace(prefix); p != "[" && !strings.HasPrefix(p, "window.YTD.") {
		return fmt.Errorf("%s: not an X archive file: %w", in.Name, source.ErrFormat)
	}
	author := archiveAccount(in)
	base := int64(len(prefix)) - 1 // offset of '['
	lc := &lineCounter{r: io.MultiReader(strings.NewReader("["), br), line: 1 + strings.Count(prefix, "\n")}
	// The tweets are the elements of the one top-level array.
	clip := source.NewJSONClip(lc, in.RecordLimit(), func(path []source.JSONFrame) bool { return len(path) == 1 && path[0].Array })
	dec := json.NewDecoder(clip)
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("read %s: %w", in.Name, err)
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if lc.err != nil {
				return fmt.Errorf("read %s: %w", in.Name, lc.err)
			}
			off := clip.Orig(dec.InputOffset())
			return sink.Reject(source.Rejection{File: in.Name, Line: lc.lineAt(off), Offset: base + off, Reason: "invalid JSON, rest of file skipped: " + err.Error()})
		}
		if size, off, ok := source.Clipped(raw); ok {
			if err := sink.Reject(source.Rejection{File: in.Name, Line: lc.lineAt(off), Offset: base + off, Reason: source.TooLarge("tweet", size, in.RecordLimit())}); err != nil {
				return err
			}
			continue
		}
		start := clip.Orig(dec.InputOffset() - int64(len(raw)))
		origin := post.Origin{Format: d.Name(), File: in.Name, Line: lc.lineAt(start), Offset: base + start}
		p, reason := archivePost(raw, author)
		if reason != "" {
			err = sink.Reject(source.Rejection{File: in.Name, Line: origin.Line, Offset: origin.Offset, Reason: reason})
		} else {
			p.Origin = origin
			err = sink.Post(p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// archivePost converts one array element, {"tweet": {...}} or (in old
// archives) the bare tweet, or says why it cannot.
func archivePost(raw json.RawMessage, author post.Account) (post.Post, string) {
	var wrap struct {
		Tweet json.RawMessage `json:"tweet"`
	}
	if err := json.Unmarshal(raw, &wrap); err != nil {
		return post.Post{}, "invalid tweet: " + err.Error()
	}
	body := raw
	if len(wrap.Tweet) > 0 {
		body = wrap.Tweet
	}
	var t archiveTweet
	if err := json.Unmarshal(body, &t); err != nil {
		return post.Post{}, "invalid tweet: " + err.Error()
	}
	if t.IDStr == "" {
		return post.Post{}, "tweet without id_str"
	}
	text := t.FullText
	if text == "" {
		text = t.Text
	}
	text = unescape(text)
	edits := t.EditInfo.Initial.EditTweetIDs
	if len(edits) == 0 {
		edits = t.EditInfo.Edit.Control.EditTweetIDs
	}
	p := post.Post{
		Platform: post.X,
		ID:       t.IDStr,
		Kind:     post.Message,
		Channel:  timeline,
		Author:   author,
		Text:     text,
		URL:      statusURL(author.Handle, t.IDStr),
		Lang:     lang(t.Lang),
		PostedAt: parseTime(archiveTime, t.CreatedAt),
		ReplyTo:  t.ReplyTo,
		QuoteOf:  t.QuoteOf,
		EditIDs:  earlierEdits(t.IDStr, edits),
		Withheld: t.Withheld,
		Raw:      body,
	}
	for _, h := range t.Entities.Hashtags {
		p.Hashtags = append(p.Hashtags, h.Text)
	}
	for _, m := range t.Entities.Mentions {
		p.Mentions = append(p.Mentions, m.ScreenName)
	}
	for _, u := range t.Entities.URLs {
		if u.ExpandedURL != "" {
			p.Outlinks = append(p.Outlinks, u.ExpandedURL)
		} else if u.URL != "" {
			p.Outlinks = append(p.Outlinks, u.URL)
		}
	}
	// extended_entities lists every attachment; entities only the first.
	ms := t.ExtendedEntities.Media
	if len(ms) == 0 {
		ms = t.Entities.Media
	}
	for _, m := range ms {
		kind := mediaKind(m.Type)
		url := m.MediaURLHTTPS
		if url == "" {
			url = m.MediaURL
		}
		p.Media = append(p.Media, post.Media{Kind: kind, ID: m.IDStr, URL: url})
	}
	return p, ""
}

// archiveAccount reads the account from account.js next to the tweets. The
// archive is still worth importing without it, so failures give an account
// with no id.
func archiveAccount(in source.Input) post.Account {
	acc := post.Account{Platform: post.X}
	if in.Open == nil {
		return acc
	}
	rc, err := in.Open("account.js")
	if err != nil {
		return acc
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 1<<20))
	if err != nil {
		return acc
	}
	i := bytes.IndexByte(b, '[')
	if i < 0 {
		return acc
	}
	var entries []struct {
		Account struct {
			AccountID   string `json:"accountId"`
			Username    string `json:"username"`
			DisplayName string `json:"accountDisplayName"`
			CreatedAt   string `json:"createdAt"`
		} `json:"account"`
	}
	if err := json.Unmarshal(b[i:], &entries); err != nil || len(entries) == 0 {
		return acc
	}
	a := entries[0].Account
	acc.ID, acc.Handle, acc.DisplayName = a.AccountID, a.Username, a.DisplayName
	acc.CreatedAt = parseTime(time.RFC3339, a.CreatedAt)
	return acc
}
