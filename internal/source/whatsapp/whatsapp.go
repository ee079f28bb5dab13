// Package whatsapp imports WhatsApp "Export chat" files: the .txt a phone
// writes, or the .zip that holds that text (_chat.txt or "WhatsApp Chat with
// X.txt") together with the media files. It reads Android and iOS exports in
// Arabic and Latin locales, with Arabic-Indic or Latin digits and 12- or
// 24-hour clocks.
//
// Exports carry no ids, no time zone and no group id. Posts get ids derived
// from their content (the same export imported twice gives the same ids),
// times are the clock shown in the export taken as UTC, and the channel is
// named after the file. The day/month order of dates is decided once per
// file (see facts.dayFirst).
package whatsapp

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// Decoder reads WhatsApp chat exports. The zero value is ready to use.
type Decoder struct{}

var _ source.Decoder = Decoder{}

// Name implements source.Decoder.
func (Decoder) Name() string { return "whatsapp" }

const (
	zipMagic = "PK\x03\x04"
	// sniffSize is how far into a file the first header must be.
	sniffSize = 4 << 10
	// lookahead is how much of a stream that cannot be read twice is
	// examined to decide the file's facts.
	lookahead = 1 << 20
)

// errUnpackedLimit ends the reading of a zip whose members unpacked to more
// than Input.MaxUnpacked bytes (a zip bomb, or a huge export).
var errUnpackedLimit = errors.New("zip unpacked beyond the limit (--max-unpacked)")

// Sniff implements source.Decoder. A text file is WhatsApp when a line of
// head is a message header; a zip when it is named .zip and its first member
// looks like a chat export.
func (Decoder) Sniff(name string, head []byte) bool {
	if bytes.HasPrefix(head, []byte(zipMagic)) {
		if !strings.EqualFold(path.Ext(name), ".zip") {
			return false
		}
		return bytes.Contains(head, []byte(".txt")) || bytes.Contains(head, []byte("WhatsApp")) ||
			bytes.Contains(head, []byte("واتساب"))
	}
	for line := range bytes.Lines(head) {
		if _, ok := parseHeader(string(bytes.TrimRight(line, "\r\n"))); ok {
			return true
		}
	}
	return false
}

// Decode implements source.Decoder. Zip input is recognised by its magic
// bytes, whatever its name.
func (Decoder) Decode(in source.Input, sink source.Sink) error {
	if rs, ok := in.R.(io.ReadSeeker); ok {
		start, err := rs.Seek(0, io.SeekCurrent)
		if err == nil {
			return decodeSeekable(in, rs, start, sink)
		}
	}
	br := bufio.NewReaderSize(in.R, lookahead)
	magic, err := br.Peek(len(zipMagic))
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read %s: %w", in.Name, err)
	}
	if string(magic) == zipMagic {
		return decodeZipStream(in, br, sink)
	}
	d := newTextDecoder(in, sink, chatName(in.Name, ""), in.Open)
	return d.run(br, nil)
}

func decodeSeekable(in source.Input, rs io.ReadSeeker, start int64, sink source.Sink) error {
	var magic [len(zipMagic)]byte
	n, err := io.ReadFull(rs, magic[:])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("read %s: %w", in.Name, err)
	}
	rewind := func() (io.Reader, error) {
		if _, err := rs.Seek(start, io.SeekStart); err != nil {
			return nil, fmt.Errorf("rewind %s: %w", in.Name, err)
		}
		return rs, nil
	}
	if _, err := rewind(); err != nil {
		return err
	}
	if string(magic[:n]) != zipMagic {
		d := newTextDecoder(in, sink, chatName(in.Name, ""), in.Open)
		return d.run(rs, rewind)
	}
	ra, ok := rs.(io.ReaderAt)
	if !ok {
		return decodeZipStream(in, rs, sink)
	}
	end, err := rs.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("size of %s: %w", in.Name, err)
	}
	return decodeZip(in, io.NewSectionReader(ra, start, end-start), end-start, sink)
}

// decodeZipStream buffers a zip that cannot be read at random to a
// temporary file, since the zip directory is at its end.
func decodeZipStream(in source.Input, r io.Reader, sink source.Sink) error {
	f, err := os.CreateTemp("", "raqib-whatsapp-*.zip")
	if err != nil {
		return fmt.Errorf("buffer %s: %w", in.Name, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	size, err := io.Copy(f, r)
	if err != nil {
		return fmt.Errorf("buffer %s: %w", in.Name, err)
	}
	return decodeZip(in, f, size, sink)
}

func decodeZip(in source.Input, ra io.ReaderAt, size int64, sink source.Sink) error {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", in.Name, source.ErrFormat, err)
	}
	chat := chatMember(zr.File)
	if chat == nil {
		return fmt.Errorf("%s: no chat text in the zip: %w", in.Name, source.ErrFormat)
	}
	members := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		if !f.FileInfo().IsDir() {
			members[path.Base(f.Name)] = f
		}
	}
	budget := &unpacked{left: in.UnpackedLimit(), limit: in.UnpackedLimit()}
	open := func(name string) (io.ReadCloser, error) {
		f, ok := members[name]
		if !ok {
			return nil, fmt.Errorf("%s: %w", name, os.ErrNotExist)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s in %s: %w", name, in.Name, err)
		}
		return budget.reader(rc), nil
	}
	// Media are members of the zip, not files beside it: whoever hashes
	// them after the decoder must read them here.
	if mo, ok := sink.(source.MediaOpener); ok {
		mo.OpenMedia(open)
	}
	var rc io.ReadCloser
	defer func() {
		if rc != nil {
			rc.Close()
		}
	}()
	reopen := func() (io.Reader, error) {
		if rc != nil {
			rc.Close()
		}
		if rc, err = chat.Open(); err != nil {
			return nil, fmt.Errorf("%s: open %s: %w", in.Name, chat.Name, damaged(err))
		}
		rc = budget.reader(rc)
		return rc, nil
	}
	r, err := reopen()
	if err != nil {
		return err
	}
	d := newTextDecoder(in, sink, chatName(in.Name, chat.Name), open)
	return d.run(r, reopen)
}

// unpacked is what is left of the bytes a zip may unpack to, shared by the
// readers of all its members.
type unpacked struct{ left, limit int64 }

func (u *unpacked) reader(rc io.ReadCloser) io.ReadCloser {
	return &budgetReader{ReadCloser: rc, u: u}
}

type budgetReader struct {
	io.ReadCloser
	u *unpacked
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.u.left <= 0 {
		return 0, fmt.Errorf("%w: %d bytes", errUnpackedLimit, b.u.limit)
	}
	n, err := b.ReadCloser.Read(p[:min(int64(len(p)), b.u.left)])
	b.u.left -= int64(n)
	return n, err
}

// damaged adds ErrDamaged to the errors archive/zip and compress/flate give
// for a broken archive, so that callers can tell a bad file from failing
// I/O.
func damaged(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrChecksum), errors.Is(err, zip.ErrAlgorithm),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.As(err, &corrupt):
		return fmt.Errorf("%w zip: %w", source.ErrDamaged, err)
	}
	return err
}

// chatMember picks the chat text of an export zip: _chat.txt (iOS), else a
// "WhatsApp Chat ..." text (Android, any locale's name), else the only text.
func chatMember(files []*zip.File) *zip.File {
	var named, anyText *zip.File
	texts := 0
	for _, f := range files {
		base := path.Base(f.Name)
		if !strings.EqualFold(path.Ext(base), ".txt") || f.FileInfo().IsDir() {
			continue
		}
		texts++
		anyText = f
		switch {
		case base == "_chat.txt":
			return f
		case named == nil && chatPrefix(strings.TrimSuffix(base, path.Ext(base))) != "":
			named = f
		}
	}
	if named != nil {
		return named
	}
	if texts == 1 {
		return anyText
	}
	return nil
}

// chatPrefixes start the names phones give exports.
var chatPrefixes = []string{
	"WhatsApp Chat with ", "WhatsApp Chat - ", "WhatsApp Chat – ",
	"دردشة واتساب مع ", "محادثة واتساب مع ", "دردشة WhatsApp مع ", "محادثة WhatsApp مع ",
}

func chatPrefix(base string) string {
	for _, p := range chatPrefixes {
		if strings.HasPrefix(base, p) {
			return p
		}
	}
	return ""
}

// chatName is the channel name: the export's file name without directory,
// extension and the "WhatsApp Chat with " the phone puts before it, so that
// the .txt and the .zip of one chat land in the same channel. A zip whose
// own name says nothing is named by its chat member.
func chatName(file, member string) string {
	for _, n := range []string{file, member} {
		base := path.Base(strings.ReplaceAll(n, `\`, "/"))
		base = strings.TrimSuffix(base, path.Ext(base))
		base = strings.TrimPrefix(base, chatPrefix(base))
		if base != "" && base != "." && base != "/" && base != "_chat" && base != "-" {
			return base
		}
	}
	return "whatsapp"
}

// textDecoder turns the lines of one chat text into posts.
type textDecoder struct {
	in      source.Input
	sink    source.Sink
	channel post.Channel
	open    opener
	facts   facts

	dayFirst bool
	lineNo   int

	// Identical (time, author, body) triples get ordinals so that their ids
	// differ; only the current timestamp's triples are remembered.
	seenAt time.Time
	seen   map[string]int

	rec record
}

// record is the message being read: its header line and continuations.
type record struct {
	active bool // a header was read and not yet flushed
	skip   bool // the header was rejected: drop its continuation lines
	line   int
	h      header
	at     time.Time
	body   strings.Builder
	raw    bytes.Buffer
}

func newTextDecoder(in source.Input, sink source.Sink, name string, open opener) *textDecoder {
	return &textDecoder{
		in:      in,
		sink:    sink,
		channel: post.Channel{Platform: post.WhatsApp, ID: post.StableID(name), Name: name},
		open:    open,
		facts:   newFacts(),
		seen:    map[string]int{},
	}
}
