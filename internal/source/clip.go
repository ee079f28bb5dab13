package source

import (
	"bufio"
	"io"
)

// Clip is what the clips of JSON (JSONClip) and of feeds share: a stream
// passed through byte by byte by a format's scanner, which holds a record
// back until it ends and puts a small stand-in in place of one longer than
// the limit, so that the decoder behind never buffers it and can go on
// with the next. Offsets of the output map back to the input's (Orig).
type Clip struct {
	br    *bufio.Reader
	limit int64
	in    int64

	rec      []byte
	recOn    bool
	recStart int64
	recSize  int64
	recLines int

	out  []byte
	emit int64
	// clips maps offsets of the output back to the input: after output
	// offset at, input offsets are larger by delta.
	clips []struct{ at, delta int64 }
	err   error
}

// NewClip reads r for a scanner that clips records over limit bytes.
func NewClip(r io.Reader, limit int64) Clip {
	return Clip{br: bufio.NewReaderSize(r, 64<<10), limit: limit}
}

// ReadWith serves p, calling fill, the format's scanner, while nothing is
// ready and the input has not ended.
func (c *Clip) ReadWith(p []byte, fill func()) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		fill()
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	c.emit += int64(n)
	return n, nil
}

// Next reads the next byte of input; at the end of it, it returns false
// and keeps the error for ReadWith.
func (c *Clip) Next() (byte, bool) {
	b, err := c.br.ReadByte()
	if err != nil {
		c.err = err
		return 0, false
	}
	c.in++
	return b, true
}

// Consumed is the number of input bytes read.
func (c *Clip) Consumed() int64 { return c.in }

// Ready reports whether output is waiting to be read.
func (c *Clip) Ready() bool { return len(c.out) > 0 }

// Holding reports whether a record is held back.
func (c *Clip) Holding() bool { return c.recOn }

// Emit passes bytes on to the output.
func (c *Clip) Emit(b ...byte) { c.out = append(c.out, b...) }

// Put adds b to the record held back, or passes it on.
func (c *Clip) Put(b byte) {
	if !c.recOn {
		c.out = append(c.out, b)
		return
	}
	c.recSize++
	if b == '\n' {
		c.recLines++
	}
	if c.recSize <= c.limit {
		c.rec = append(c.rec, b)
	} else {
		c.rec = nil // over the limit: only counted from here
	}
}

// Begin holds back a record that starts at input offset start with the
// bytes head.
func (c *Clip) Begin(start int64, head []byte) {
	c.recOn, c.recStart, c.recSize, c.recLines = true, start, 0, 0
	c.rec = c.rec[:0]
	for _, b := range head {
		c.Put(b)
	}
}

// Finish ends the record held back: it is passed on, or when it was over
// the limit stub(size, offset, lines) is put in its place.
func (c *Clip) Finish(stub func(size, offset int64, lines int) []byte) {
	c.recOn = false
	if c.recSize <= c.limit {
		c.out = append(c.out, c.rec...)
	} else {
		s := stub(c.recSize, c.recStart, c.recLines)
		c.out = append(c.out, s...)
		c.clips = append(c.clips, struct{ at, delta int64 }{c.emit + int64(len(c.out)), c.recSize - int64(len(s))})
	}
	// A large buffer is not kept for the rest of the input.
	if cap(c.rec) > 1<<20 {
		c.rec = nil
	} else {
		c.rec = c.rec[:0]
	}
}

// Orig maps an offset of the output to the input's.
func (c *Clip) Orig(off int64) int64 {
	for _, cl := range c.clips {
		if cl.at > off {
			break
		}
		off += cl.delta
	}
	return off
}
