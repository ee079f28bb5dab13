package feed

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/transform"
)

// ErrCharset means the feed declares an encoding raqib cannot read.
var ErrCharset = errors.New("unsupported character encoding")

var declEncoding = regexp.MustCompile(`^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// declared returns the encoding named in the XML declaration at the start
// of head, or "" when there is none.
func declared(head []byte) string {
	m := declEncoding.FindSubmatch(bytes.TrimLeft(head, " \t\r\n"))
	if m == nil {
		return ""
	}
	return strings.ToLower(string(m[1]))
}

// lookup resolves an encoding label; nil means UTF-8, which needs no
// conversion. ISO-8859-1 is taken literally: the WHATWG index used for
// other labels would read it as windows-1252.
func lookup(label string) (encoding.Encoding, error) {
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return nil, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		return charmap.ISO8859_1, nil
	case "windows-1256", "cp1256":
		return charmap.Windows1256, nil
	}
	enc, err := htmlindex.Get(label)
	if err != nil {
		return nil, fmt.Errorf("%w %q", ErrCharset, label)
	}
	return enc, nil
}

// tap passes the original bytes through and keeps those from base on, so
// that an item's bytes can be cut out verbatim once its end is known.
type tap struct {
	r    io.Reader
	buf  []byte
	base int64 // offset of buf[0] in the original stream
}

func (t *tap) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	return n, err
}

// discard forgets the bytes before offset off.
func (t *tap) discard(off int64) {
	k := int(min(max(off-t.base, 0), int64(len(t.buf))))
	t.buf = append(t.buf[:0], t.buf[k:]...)
	t.base += int64(k)
}

// slice copies the bytes between two offsets still held.
func (t *tap) slice(start, end int64) []byte {
	s := int(min(max(start-t.base, 0), int64(len(t.buf))))
	e := int(min(max(end-t.base, int64(s)), int64(len(t.buf))))
	return bytes.Clone(t.buf[s:e])
}

// byteReader decodes a single-byte charset to UTF-8 and remembers where a
// byte grew, so that offsets in its output (what the XML decoder counts)
// map back to offsets in the original file.
type byteReader struct {
	r       io.Reader
	utf     [256]string
	pending []byte
	scratch []byte
	in, out int64
	grown   []growth
	extra   int64 // total growth before the first entry of grown
	start   int64 // offset in the file of the first byte read
}

type growth struct {
	out   int64 // output offset of the grown character
	extra int64 // bytes added
}

func newByteReader(r io.Reader, cm *charmap.Charmap, start int64) *byteReader {
	br := &byteReader{r: r, start: start, scratch: make([]byte, 4096)}
	for i := range br.utf {
		br.utf[i] = string(cm.DecodeByte(byte(i)))
	}
	return br
}

func (b *byteReader) Read(p []byte) (int, error) {
	if len(b.pending) == 0 {
		n, err := b.r.Read(b.scratch)
		for _, c := range b.scratch[:n] {
			s := b.utf[c]
			if len(s) > 1 {
				b.grown = append(b.grown, growth{out: b.out + int64(len(b.pending)), extra: int64(len(s) - 1)})
			}
			b.pending = append(b.pending, s...)
		}
		if n == 0 {
			return 0, err
		}
	}
	k := copy(p, b.pending)
	b.pending = b.pending[k:]
	b.out += int64(k)
	return k, nil
}

// orig maps an output offset to the file offset of the same character.
// Offsets must be asked in non-decreasing order.
func (b *byteReader) orig(out int64) int64 {
	i := 0
	for i < len(b.grown) && b.grown[i].out < out {
		b.extra += b.grown[i].extra
		i++
	}
	b.grown = append(b.grown[:0], b.grown[i:]...)
	return b.start + out - b.extra
}

// input is the UTF-8 stream the XML decoder reads, with what is needed to
// find an item's original bytes.
type input struct {
	r     io.Reader
	tap   *tap
	orig  func(int64) int64
	exact bool // offsets and raw bytes are the file's own
	// clip maps offsets of items after one it clipped back to the file's.
	clip *clip
}

// openInput prepares r for the XML decoder. UTF-8 and single-byte charsets
// keep exact offsets and raw bytes; other encodings are converted whole, so
// raw bytes are then the UTF-8 conversion and offsets are not reported.
func openInput(head []byte, r io.Reader) (input, error) {
	var bom int64
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		bom = 3
		if _, err := io.CopyN(io.Discard, r, bom); err != nil {
			return input{}, err
		}
	}
	enc, err := lookup(declared(head[bom:]))
	if err != nil {
		return input{}, err
	}
	if cm, ok := enc.(*charmap.Charmap); ok {
		t := &tap{r: r, base: bom}
		br := newByteReader(t, cm, bom)
		return input{r: br, tap: t, orig: br.orig, exact: true}, nil
	}
	if enc != nil {
		t := &tap{r: transform.NewReader(r, enc.NewDecoder())}
		return input{r: t, tap: t, orig: func(o int64) int64 { return o }}, nil
	}
	t := &tap{r: r, base: bom}
	return input{r: t, tap: t, orig: func(o int64) int64 { return o + bom }, exact: true}, nil
}

// keepUTF8 is the XML decoder's CharsetReader: openInput has already
// converted the stream, whatever the declaration says.
func keepUTF8(_ string, r io.Reader) (io.Reader, error) { return r, nil }
