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

// ErrDamaged means the input is in the decoder's format but broken so that
// the rest of it cannot be read (a corrupt zip member). What was read
// before was reported; the caller names the file as failed.
var ErrDamaged = errors.New("damaged input")

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
	// MaxRecord bounds the size in bytes of one record (a message, a line,
	// an item): a larger one is rejected with its size, and the decoder
	// goes on with the next. Zero means DefaultMaxRecord.
	MaxRecord int64
	// MaxUnpacked bounds the bytes decompressed from an archive input (a
	// WhatsApp .zip) in all; what lies beyond is rejected. Zero means
	// DefaultMaxUnpacked.
	MaxUnpacked int64
}

// DefaultMaxRecord is the record size limit when Input.MaxRecord is zero:
// far above any real message, far below what would exhaust memory.
const DefaultMaxRecord = 64 << 20

// DefaultMaxUnpacked is the archive size limit when Input.MaxUnpacked is
// zero.
const DefaultMaxUnpacked = 4 << 30

// RecordLimit is MaxRecord or its default.
func (in Input) RecordLimit() int64 {
	if in.MaxRecord > 0 {
		return in.MaxRecord
	}
	return DefaultMaxRecord
}

// UnpackedLimit is MaxUnpacked or its default.
func (in Input) UnpackedLimit() int64 {
	if in.MaxUnpacked > 0 {
		return in.MaxUnpacked
	}
	return DefaultMaxUnpacked
}

// TooLarge is the reason given for a record over the limit.
func TooLarge(what string, size, limit int64) string {
	return fmt.Sprintf("%s of %d bytes is larger than the limit of %d bytes (--max-record)", what, size, limit)
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
	// wrapping ErrFormat when the file is not in this format, one wrapping
	// ErrDamaged when it is but cannot be read to its end, and other errors
	// only when reading cannot go on (I/O, sink errors).
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

// MediaOpener is implemented by a Sink that reads attached files after the
// decoder (ingest computes perceptual hashes). A decoder whose attachments
// are not reached through Input.Open, as the members of a zip, tells the
// sink how to open them before its first post.
type MediaOpener interface {
	OpenMedia(open func(name string) (io.ReadCloser, error))
}

// SinkFuncs adapts functions to a Sink and a MediaOpener.
type SinkFuncs struct {
	OnPost   func(post.Post) error
	OnReject func(Rejection) error
	OnOpen   func(open func(name string) (io.ReadCloser, error))
}

// OpenMedia implements MediaOpener.
func (s SinkFuncs) OpenMedia(open func(name string) (io.ReadCloser, error)) {
	if s.OnOpen != nil {
		s.OnOpen(open)
	}
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
