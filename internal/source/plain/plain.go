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
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// Text reads one post per non-empty line.
type Text struct{}

// JSONL reads one post.Post JSON object per line.
type JSONL struct{}

// Name implements source.Decoder.
func (Text) Name() string { return "text" }

// Name implements source.Decoder.
func (JSONL) Name() string { return "jsonl" }

// Sniff implements source.Decoder: a file named .txt or .md whose head is
// text, but for the documents that come with an export or a data set
// (README.md, LICENSE.txt), which are not posts. Other files are text only
// as the fallback (`raqib scan`) or when --format says so.
func (Text) Sniff(name string, head []byte) bool {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	ext := path.Ext(base)
	switch strings.ToLower(ext) {
	case ".txt", ".md":
		stem, _, _ := strings.Cut(strings.TrimSuffix(base, ext), ".")
		return !docNames[strings.ToUpper(stem)] && binaryType(head) == ""
	}
	return false
}

// docNames are the names of the documents folders of exports and data sets
// carry.
var docNames = map[string]bool{
	"README": true, "LICENSE": true, "LICENCE": true, "COPYING": true, "NOTICE": true,
	"CHANGELOG": true, "CHANGES": true, "AUTHORS": true, "SOURCE": true, "CITATION": true,
}

// binaryType names the type of head when it is not text (an image, an
// archive, a program), or returns "".
func binaryType(head []byte) string {
	if t := http.DetectContentType(head); !strings.HasPrefix(t, "text/") {
		return t
	}
	return ""
}

// Sniff implements source.Decoder: JSON objects with a "text" field on the
// first line.
func (JSONL) Sniff(_ string, head []byte) bool {
	line, _, _ := bytes.Cut(bytes.TrimSpace(head), []byte("\n"))
	var probe struct {
		Text *string `json:"text"`
	}
	return len(line) > 0 && line[0] == '{' && json.Unmarshal(line, &probe) == nil && probe.Text != nil
}

// lines calls fn for every non-blank line with its 1-based number; a line
// over the record limit is rejected with its size.
func lines(in source.Input, sink source.Sink, fn func(n int, line []byte) error) error {
	limit := in.RecordLimit()
	ls := source.NewLines(in.R, int(limit))
	for ls.Next() {
		if ls.TooLong() {
			if err := sink.Reject(source.Rejection{File: in.Name, Line: ls.Line(), Reason: source.TooLarge("line", ls.Size(), limit)}); err != nil {
				return err
			}
			continue
		}
		if line := bytes.TrimSpace(ls.Bytes()); len(line) > 0 {
			if err := fn(ls.Line(), line); err != nil {
				return err
			}
		}
	}
	if err := ls.Err(); err != nil {
		return fmt.Errorf("read %s: %w", in.Name, err)
	}
	return nil
}

// Decode implements source.Decoder. Binary input (a photo given to `raqib
// scan`) is refused as a whole rather than read as lines of garbage.
func (Text) Decode(in source.Input, sink source.Sink) error {
	br := bufio.NewReaderSize(in.R, 64<<10)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read %s: %w", in.Name, err)
	}
	if t := binaryType(head); t != "" {
		return fmt.Errorf("%s: binary data (%s), not text: %w", in.Name, t, source.ErrFormat)
	}
	in.R = br
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
