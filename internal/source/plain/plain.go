// Package plain reads the two generic inputs of `raqib scan` and `raqib
// ingest --format`: plain text (one post per line) and JSON Lines (one post
// object per line, in raqib's own post JSON, where only "text" is required).
package plain

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// maxLine bounds one record; a longer line is rejected, not buffered.
const maxLine = 16 << 20

// Text reads one post per non-empty line.
type Text struct{}

// JSONL reads one post.Post JSON object per line.
type JSONL struct{}

// Name implements source.Decoder.
func (Text) Name() string { return "text" }

// Name implements source.Decoder.
func (JSONL) Name() string { return "jsonl" }

// Sniff implements source.Decoder. Text is the fallback format and is never
// guessed.
func (Text) Sniff(string, []byte) bool { return false }

// Sniff implements source.Decoder: JSON objects with a "text" field on the
// first line.
func (JSONL) Sniff(_ string, head []byte) bool {
	line, _, _ := bytes.Cut(bytes.TrimSpace(head), []byte("\n"))
	var probe struct {
		Text *string `json:"text"`
	}
	return len(line) > 0 && line[0] == '{' && json.Unmarshal(line, &probe) == nil && probe.Text != nil
}

// lines calls fn for every non-blank line with its 1-based number; an
// over-long line is rejected.
func lines(in source.Input, sink source.Sink, fn func(n int, line []byte) error) error {
	r := bufio.NewReaderSize(in.R, 64<<10)
	var buf []byte
	for n := 1; ; n++ {
		chunk, err := r.ReadSlice('\n')
		buf = append(buf[:0], chunk...)
		for err == bufio.ErrBufferFull {
			chunk, err = r.ReadSlice('\n')
			if len(buf) < maxLine {
				buf = append(buf, chunk...)
			}
		}
		if len(buf) >= maxLine {
			if rerr := sink.Reject(source.Rejection{File: in.Name, Line: n, Reason: "line longer than " + strconv.Itoa(maxLine) + " bytes"}); rerr != nil {
				return rerr
			}
		} else if line := bytes.TrimSpace(buf); len(line) > 0 {
			if ferr := fn(n, line); ferr != nil {
				return ferr
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read %s: %w", in.Name, err)
		}
	}
}

// Decode implements source.Decoder.
func (Text) Decode(in source.Input, sink source.Sink) error {
	return lines(in, sink, func(n int, line []byte) error {
		return sink.Post(post.Post{
			Platform: "text",
			ID:       strconv.Itoa(n),
			Kind:     post.Message,
			Channel:  post.Channel{Platform: "text", ID: in.Name},
			Text:     string(line),
			Origin:   post.Origin{Format: "text", File: in.Name, Line: n},
			Raw:      append([]byte(nil), line...),
		})
	})
}

// Decode implements source.Decoder.
func (JSONL) Decode(in source.Input, sink source.Sink) error {
	return lines(in, sink, func(n int, line []byte) error {
		var p post.Post
		if err := json.Unmarshal(line, &p); err != nil {
			return sink.Reject(source.Rejection{File: in.Name, Line: n, Reason: "invalid JSON: " + err.Error()})
		}
		if p.Text == "" && p.Title == "" {
			return sink.Reject(source.Rejection{File: in.Name, Line: n, Reason: `field "text": missing or empty`})
		}
		if p.Platform == "" {
			p.Platform = "jsonl"
		}
		if p.ID == "" {
			p.ID = strconv.Itoa(n)
		}
		if p.Channel.ID == "" {
			p.Channel.ID = in.Name
		}
		if p.Kind == "" {
			p.Kind = post.Message
		}
		p.Origin = post.Origin{Format: "jsonl", File: in.Name, Line: n}
		p.Raw = append([]byte(nil), line...)
		return sink.Post(p)
	})
}
