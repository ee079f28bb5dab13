package source

import (
	"bufio"
	"errors"
	"io"
)

// headSize is how much of an over-long line Lines keeps, enough for any
// header a format puts at the start of a line.
const headSize = 1 << 10

// Lines reads a stream line by line in memory bounded by its limit: a line
// longer than the limit is read to its end but not kept, only its first
// bytes (Head) and its size, so that the importer can reject it by line
// number and go on with the next. Lines keep their terminators, so that
// the bytes of the lines are the stream's.
type Lines struct {
	br   *bufio.Reader
	max  int
	buf  []byte
	long bool
	// parts collects a line longer than the reader's buffer in chunks, so
	// that growing it never copies it; it is joined once, at its end.
	parts [][]byte
	n     int
	off   int64
	size  int64
	err   error
	ended bool
}

// NewLines reads r, keeping lines of at most max bytes.
func NewLines(r io.Reader, max int) *Lines {
	return &Lines{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// Next advances to the next line. It returns false at the end of the input
// or when reading fails (see Err).
func (l *Lines) Next() bool {
	if l.ended {
		return false
	}
	l.off += l.size
	l.buf, l.long, l.size, l.parts = l.buf[:0], false, 0, l.parts[:0]
	for {
		frag, err := l.br.ReadSlice('\n')
		l.size += int64(len(frag))
		switch {
		case l.long:
		case l.size > int64(l.max):
			// Keep only the head.
			l.long = true
			l.parts = append(l.parts, frag)
			l.buf = l.head(headSize)
			l.parts = nil
		case len(l.parts) == 0 && errors.Is(err, bufio.ErrBufferFull):
			l.parts = append(l.parts, append(make([]byte, 0, 2*len(frag)), frag...))
		case len(l.parts) > 0:
			l.add(frag)
		default:
			l.buf = append(l.buf, frag...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(l.parts) > 0 && !l.long {
			l.buf = l.head(int(l.size))
			l.parts = l.parts[:0]
		}
		if err != nil {
			l.ended = true
			if !errors.Is(err, io.EOF) {
				l.err = err
			}
			if l.size == 0 {
				return false
			}
		}
		l.n++
		return true
	}
}

// add appends frag to the chunks of a long line, each chunk twice the
// last up to 1 MiB.
func (l *Lines) add(frag []byte) {
	for len(frag) > 0 {
		last := &l.parts[len(l.parts)-1]
		if len(*last) == cap(*last) {
			l.parts = append(l.parts, make([]byte, 0, min(2*cap(*last), 1<<20)))
			last = &l.parts[len(l.parts)-1]
		}
		n := min(cap(*last)-len(*last), len(frag))
		*last = append(*last, frag[:n]...)
		frag = frag[n:]
	}
}

// head joins the first n bytes of the chunks into a buffer of their own.
func (l *Lines) head(n int) []byte {
	out := make([]byte, 0, n)
	for _, p := range l.parts {
		out = append(out, p[:min(len(p), n-len(out))]...)
		if len(out) == n {
			break
		}
	}
	return out
}

// Rest reads what follows the current line, for a caller that decodes the
// rest of the input otherwise.
func (l *Lines) Rest() io.Reader { return l.br }

// Bytes is the current line, valid until the next call of Next; nil when
// the line is too long.
func (l *Lines) Bytes() []byte {
	if l.long {
		return nil
	}
	return l.buf
}

// TooLong reports whether the current line is longer than the limit.
func (l *Lines) TooLong() bool { return l.long }

// Head is the start of the current line, whole or not.
func (l *Lines) Head() []byte { return l.buf }

// Line is the 1-based number of the current line.
func (l *Lines) Line() int { return l.n }

// Offset is the byte offset of the current line.
func (l *Lines) Offset() int64 { return l.off }

// Size is the length of the current line in bytes, terminator included.
func (l *Lines) Size() int64 { return l.size }

// Err is the read error that ended the input, if any.
func (l *Lines) Err() error { return l.err }
