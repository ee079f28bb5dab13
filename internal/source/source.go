// Package source holds what every importer shares: the Decoder interface
// that turns an export file into posts, and the Rejection that says which
// record was skipped and why. Each platform lives in a sub-package
// (source/telegram, source/whatsapp, source/xapi, source/rocketchat,
// source/feed, source/plain); what more than one of them does the same way
// is here too: JSONStream and JSONReason for the importers that walk JSON,
// HashMedia for attached files. Their tests share source/sourcetest.
package source

import (
	"errors"
	"fmt"
	"io"

	"github.com/raqib-project/raqib/internal/post"
)

// ErrFormat means the input is not in the decoder's format at all (as
// opposed to a single bad record inside a file that is).
var ErrFormat = errors.New("not in this format")

// Input is one file handed to a decoder.
type Input struct {
	// Name is the file's path as the user gave it; it is copied into
	// post.Origin.File and into rejections.
	Name string
	// R streams the file's bytes.
	R io.Reader
	// Open opens a file next to the input (media referenced relative to an
	// export folder, or the members of a zip). It may be nil when the input
	// has no surroundings (stdin); decoders must cope.
	Open func(rel string) (io.ReadCloser, error)
}

// Sink receives what a decoder finds. Post is called once per well-formed
// record in file order; Reject once per malformed record, after which the
// decoder goes on with the next record. If either returns an error the
// decoder stops and returns it.
type Sink interface {
	Post(p post.Post) error
	Reject(r Rejection) error
}

// Decoder reads one export format. Decode must stream: memory use may not
// grow with the number of records.
type Decoder interface {
	// Name is the format name used by --format and in post.Origin.Format.
	Name() string
	// Sniff reports whether head (the first bytes of a file, at most 4 KiB)
	// and the file name look like this format.
	Sniff(name string, head []byte) bool
	// Decode reads in and reports every record to sink. It returns an error
	// wrapping ErrFormat when the file is not in this format, and other
	// errors only when reading cannot go on (I/O, sink errors).
	Decode(in Input, sink Sink) error
}

// Rejection describes one record that was skipped.
type Rejection struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`   // 1-based, where known
	Offset int64  `json:"offset,omitempty"` // byte offset, where known
	Reason string `json:"reason"`
}

func (r Rejection) Error() string {
	switch {
	case r.Line > 0:
		return fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Reason)
	case r.Offset > 0:
		return fmt.Sprintf("%s@%d: %s", r.File, r.Offset, r.Reason)
	}
	return fmt.Sprintf("%s: %s", r.File, r.Reason)
}

// SinkFuncs adapts two functions to a Sink.
type SinkFuncs struct {
	OnPost   func(post.Post) error
	OnReject func(Rejection) error
}

// Post implements Sink.
func (s SinkFuncs) Post(p post.Post) error {
	if s.OnPost == nil {
		return nil
	}
	return s.OnPost(p)
}

// Reject implements Sink.
func (s SinkFuncs) Reject(r Rejection) error {
	if s.OnReject == nil {
		return nil
	}
	return s.OnReject(r)
}

// Collect decodes in with d and returns everything it found; for tests and
// small files.
func Collect(d Decoder, in Input) ([]post.Post, []Rejection, error) {
	var ps []post.Post
	var rs []Rejection
	err := d.Decode(in, SinkFuncs{
		OnPost:   func(p post.Post) error { ps = append(ps, p); return nil },
		OnReject: func(r Rejection) error { rs = append(rs, r); return nil },
	})
	return ps, rs, err
}
