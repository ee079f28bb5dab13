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
	br    *bufio.Reader
	max   int
	buf   []byte
	long  bool
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
	l.buf, l.long, l.size = l.buf[:0], false, 0
	for {
		frag, err := l.br.ReadSlice('\n')
		l.size += int64(len(frag))
		switch {
		case l.long:
		case len(l.buf)+len(frag) <= l.max:
			l.buf = append(l.buf, frag...)
		default:
			// Keep only the head, in a buffer of its own: the one grown to
			// the limit is not held for the rest of the input.
			l.long = true
			l.buf = append(l.buf, frag...)
			l.buf = append(make([]byte, 0, 64<<10), l.buf[:min(headSize, len(l.buf))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
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
