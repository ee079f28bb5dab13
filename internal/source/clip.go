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

	// rec holds the record back in chunks, so that growing it never
	// copies it: memory stays near the limit even for a record far over.
	rec      [][]byte
	recOn    bool
	recStart int64
	recSize  int64
	recLines int

	// queue holds records and the bytes before them, handed on whole;
	// out the bytes after them, read after the queue.
	queue [][]byte
	out   []byte
	emit  int64
	// clips maps offsets of the output back to the input: after output
	// offset at, input offsets are larger by delta.
	clips []struct{ at, delta int64 }
	err   error
}

// Sizes of the chunks of a record held back: the first is kept from record
// to record, the next ones double up to the largest.
const (
	firstChunk = 4 << 10
	maxChunk   = 1 << 20
)

// NewClip reads r for a scanner that clips records over limit bytes.
func NewClip(r io.Reader, limit int64) Clip {
	return Clip{br: bufio.NewReaderSize(r, 64<<10), limit: limit}
}

// ReadWith serves p, calling fill, the format's scanner, while nothing is
// ready and the input has not ended.
func (c *Clip) ReadWith(p []byte, fill func()) (int, error) {
	for !c.Ready() {
		if c.err != nil {
			return 0, c.err
		}
		fill()
	}
	var n int
	if len(c.queue) > 0 {
		n = copy(p, c.queue[0])
		if c.queue[0] = c.queue[0][n:]; len(c.queue[0]) == 0 {
			c.queue[0] = nil
			c.queue = c.queue[1:]
		}
	} else {
		n = copy(p, c.out)
		c.out = c.out[n:]
	}
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
func (c *Clip) Ready() bool { return len(c.queue) > 0 || len(c.out) > 0 }

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
	if c.recSize > c.limit {
		c.rec = nil // over the limit: only counted from here
		return
	}
	n := len(c.rec)
	if n == 0 || len(c.rec[n-1]) == cap(c.rec[n-1]) {
		size := firstChunk
		if n > 0 {
			size = min(2*cap(c.rec[n-1]), maxChunk)
		}
		c.rec = append(c.rec, make([]byte, 0, size))
		n++
	}
	c.rec[n-1] = append(c.rec[n-1], b)
}

// Begin holds back a record that starts at input offset start with the
// bytes head.
func (c *Clip) Begin(start int64, head []byte) {
	c.recOn, c.recStart, c.recSize, c.recLines = true, start, 0, 0
	for _, b := range head {
		c.Put(b)
	}
}

// Finish ends the record held back: it is passed on, or when it was over
// the limit stub(size, offset, lines) is put in its place.
func (c *Clip) Finish(stub func(size, offset int64, lines int) []byte) {
	c.recOn = false
	switch {
	case c.recSize > c.limit:
		s := stub(c.recSize, c.recStart, c.recLines)
		c.out = append(c.out, s...)
		c.clips = append(c.clips, struct{ at, delta int64 }{c.emit + c.queued() + int64(len(c.out)), c.recSize - int64(len(s))})
	case len(c.rec) == 1:
		// A small record is copied, and its chunk kept for the next.
		c.out = append(c.out, c.rec[0]...)
		c.rec[0] = c.rec[0][:0]
		return
	default:
		if len(c.out) > 0 {
			c.queue = append(c.queue, c.out)
			c.out = nil
		}
		c.queue = append(c.queue, c.rec...)
	}
	c.rec = nil
}

// queued is the number of bytes in the queue.
func (c *Clip) queued() int64 {
	var n int64
	for _, q := range c.queue {
		n += int64(len(q))
	}
	return n
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
