// Package xapi imports posts from X (Twitter): pages and stream lines of the
// X API v2 as saved by twarc2, tweepy or curl (Decoder), and the tweets.js
// file of an account archive downloaded from X (ArchiveDecoder).
package xapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// timeline is the channel of every X post: X has no rooms, and a single
// channel keeps post keys stable whatever endpoint the tweet came from.
var timeline = post.Channel{Platform: post.X, ID: "timeline", Kind: "timeline"}

// Decoder reads X API v2 responses: one JSON value per line (twarc2 JSONL,
// filtered-stream output, single tweets) or a whole file holding
// pretty-printed JSON values.
type Decoder struct{}

var _ source.Decoder = Decoder{}

// Name implements source.Decoder.
func (Decoder) Name() string { return "xapi" }

// Sniff implements source.Decoder.
func (Decoder) Sniff(name string, head []byte) bool {
	h := bytes.TrimSpace(head)
	if len(h) == 0 || (h[0] != '{' && h[0] != '[') {
		return false
	}
	for _, k := range []string{`"edit_history_tweet_ids"`, `"author_id"`, `"__twarc"`, `"matching_rules"`, `"conversation_id"`} {
		if bytes.Contains(h, []byte(k)) {
			return true
		}
	}
	return bytes.Contains(h, []byte(`"data"`)) && bytes.Contains(h, []byte(`"includes"`))
}

// Decode implements source.Decoder.
func (d Decoder) Decode(in source.Input, sink source.Sink) error {
	limit := in.RecordLimit()
	ls := source.NewLines(in.R, int(limit))
	// Skip leading blank lines; the first other line tells JSONL from
	// pretty-printed values.
	for ls.Next() {
		t := bytes.TrimSpace(ls.Bytes())
		if !ls.TooLong() && len(t) == 0 {
			continue
		}
		if !ls.TooLong() && t[0] != '{' && t[0] != '[' {
			return fmt.Errorf("%s:%d: not JSON: %w", in.Name, ls.Line(), source.ErrFormat)
		}
		if !ls.TooLong() && !json.Valid(t) && opensValue(t) {
			line := bytes.Clone(ls.Bytes())
			return d.decodeValues(in, io.MultiReader(bytes.NewReader(line), ls.Rest()), ls.Line(), ls.Offset(), sink)
		}
		return d.decodeLines(in, ls, sink)
	}
	if err := ls.Err(); err != nil {
		return fmt.Errorf("read %s: %w", in.Name, err)
	}
	return nil
}

// opensValue reports whether a first line that is not a whole JSON value
// looks like the start of a pretty-printed one rather than a broken JSONL line.
func opensValue(line []byte) bool {
	switch line[len(line)-1] {
	case '{', '[', ',', ':':
		return true
	}
	return false
}

// decodeLines handles JSONL from the current line of ls on: every line is
// decoded on its own, so one broken line costs only itself.
func (d Decoder) decodeLines(in source.Input, ls *source.Lines, sink source.Sink) error {
	limit := in.RecordLimit()
	for {
		var err error
		if ls.TooLong() {
			err = sink.Reject(source.Rejection{File: in.Name, Line: ls.Line(), Offset: ls.Offset(), Reason: source.TooLarge("line", ls.Size(), limit)})
		} else if t := bytes.TrimSpace(ls.Bytes()); len(t) > 0 {
			err = d.value(in, t, ls.Line(), ls.Offset(), sink)
		}
		if err != nil {
			return err
		}
		if !ls.Next() {
			break
		}
	}
	if err := ls.Err(); err != nil {
		return fmt.Errorf("read %s: %w", in.Name, err)
	}
	return nil
}

// decodeValues handles a file of pretty-printed JSON values one after the
// other. A syntax error ends the file: JSON has no resynchronisation point.
func (d Decoder) decodeValues(in source.Input, r io.Reader, line0 int, off0 int64, sink source.Sink) error {
	lc := &lineCounter{r: r, line: line0}
	clip := source.NewJSONClip(lc, in.RecordLimit(), func(path []source.JSONFrame) bool { return len(path) == 0 })
	dec := json.NewDecoder(clip)
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if lc.err != nil {
				return fmt.Errorf("read %s: %w", in.Name, lc.err)
			}
			off := clip.Orig(dec.InputOffset())
			return sink.Reject(source.Rejection{File: in.Name, Line: lc.lineAt(off), Offset: off0 + off, Reason: "invalid JSON, rest of file skipped: " + err.Error()})
		}
		if size, off, ok := source.Clipped(raw); ok {
			err = sink.Reject(source.Rejection{File: in.Name, Line: lc.lineAt(off), Offset: off0 + off, Reason: source.TooLarge("value", size, in.RecordLimit())})
		} else {
			start := clip.Orig(dec.InputOffset() - int64(len(raw)))
			err = d.value(in, raw, lc.lineAt(start), off0+start, sink)
		}
		if err != nil {
			return err
		}
	}
}

// record is any top-level value the v2 API or a stream writes: a response
// page, a stream line, a bare tweet or an error.
type record struct {
	Data     json.RawMessage `json:"data"`
	Includes struct {
		Users  []user            `json:"users"`
		Tweets []json.RawMessage `json:"tweets"`
		Media  []media           `json:"media"`
	} `json:"includes"`
	Errors []apiError `json:"errors"`
	// A bare tweet has these at the top level.
	ID   string `json:"id"`
	Text string `json:"text"`
	// A stream error or disconnect message has these.
	apiError
}

type apiError struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Type   string `json:"type"`
}

func (e apiError) String() string {
	switch {
	case e.Title != "" && e.Detail != "":
		return e.Title + ": " + e.Detail
	case e.Title != "":
		return e.Title
	case e.Detail != "":
		return e.Detail
	}
	return e.Type
}

// shape tells tweets from the other objects a v2 endpoint returns in data.
type shape struct {
	ID         *string `json:"id"`
	Text       *string `json:"text"`
	Username   *string `json:"username"`
	TweetCount *int64  `json:"tweet_count"`
}

func (s shape) what() string {
	switch {
	case s.Username != nil:
		return "user object, not a tweet"
	case s.TweetCount != nil:
		return "tweet count, not a tweet"
	case s.ID == nil:
		return "object without an id, not a tweet"
	}
	return "object without text, not a tweet"
}

// value decodes one top-level value and reports its tweets. An array is
// taken as a list of objects (tweets or pages), as some tools save them.
func (d Decoder) value(in source.Input, raw []byte, line int, off int64, sink source.Sink) error {
	off = max(off, 0)
	if raw[0] != '[' {
		return d.object(in, raw, line, off, sink)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return sink.Reject(source.Rejection{File: in.Name, Line: line, Offset: off, Reason: "invalid JSON: " + err.Error()})
	}
	for _, e := range elems {
		if err := d.object(in, e, line, off, sink); err != nil {
			return err
		}
	}
	return nil
}

// object decodes one JSON object: a page, a stream line, a tweet or an error.
func (d Decoder) object(in source.Input, raw []byte, line int, off int64, sink source.Sink) error {
	reject := func(reason string) error {
		return sink.Reject(source.Rejection{File: in.Name, Line: line, Offset: off, Reason: reason})
	}
	if raw[0] != '{' {
		return reject("not a JSON object")
	}
	var rec record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return reject("invalid JSON: " + err.Error())
	}
	var data []json.RawMessage
	switch {
	case len(rec.Data) > 0 && rec.Data[0] == '[':
		if err := json.Unmarshal(rec.Data, &data); err != nil {
			return reject("invalid data array: " + err.Error())
		}
	case len(rec.Data) > 0 && !bytes.Equal(rec.Data, []byte("null")):
		data = []json.RawMessage{rec.Data}
	case rec.ID != "" || rec.Text != "":
		data = []json.RawMessage{raw}
	}
	pg := newPage(rec)
	origin := post.Origin{Format: d.Name(), File: in.Name, Line: line, Offset: off}
	seen := make(map[string]bool, len(data)+len(rec.Includes.Tweets))
	// Non-tweets are counted by kind so that a page of 100 users gives one
	// rejection, not 100; kinds keep their first-seen order.
	var kinds []string
	counts := map[string]int{}
	for _, tr := range data {
		var s shape
		if err := json.Unmarshal(tr, &s); err != nil || s.ID == nil || s.Text == nil {
			// Users in data (a users lookup) are the authors of the pinned
			// tweets in includes.
			var u user
			if s.Username != nil && json.Unmarshal(tr, &u) == nil {
				pg.users[u.ID] = u.account()
			}
			w := s.what()
			if counts[w] == 0 {
				kinds = append(kinds, w)
			}
			counts[w]++
			continue
		}
		if err := pg.emit(tr, origin, seen, sink); err != nil {
			return err
		}
	}
	for _, tr := range rec.Includes.Tweets {
		if err := pg.emit(tr, origin, seen, sink); err != nil {
			return err
		}
	}
	if len(kinds) > 0 {
		for _, w := range kinds {
			if err := reject(fmt.Sprintf("%s (%d in this record)", w, counts[w])); err != nil {
				return err
			}
		}
		return nil
	}
	if len(data) > 0 || len(rec.Includes.Tweets) > 0 {
		return nil
	}
	var msgs []string
	for _, e := range rec.Errors {
		msgs = append(msgs, e.String())
	}
	if s := rec.apiError.String(); s != "" {
		msgs = append(msgs, s)
	}
	if len(msgs) > 0 {
		return reject("API error: " + strings.Join(msgs, "; "))
	}
	return reject("no tweets in record")
}
