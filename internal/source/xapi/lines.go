package xapi

import "io"

// lineCounter passes a reader through while noting where its newlines are,
// so that a json.Decoder's InputOffset can be turned into a line number.
// Offsets must be asked in increasing order; newlines before the last asked
// offset are forgotten, which keeps memory bounded by the decoder's buffer.
type lineCounter struct {
	r    io.Reader
	line int     // line number at offset 0, then of the last asked offset
	nl   []int64 // offsets of newlines read but not yet passed
	n    int64   // bytes read so far
	err  error   // the last read error other than io.EOF
}

func (c *lineCounter) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	for i, b := range p[:k] {
		if b == '\n' {
			c.nl = append(c.nl, c.n+int64(i))
		}
	}
	c.n += int64(k)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return k, err
}

// lineAt returns the 1-based line of byte offset off.
func (c *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(c.nl) && c.nl[i] < off {
		i++
	}
	c.line += i
	c.nl = append(c.nl[:0], c.nl[i:]...)
	return c.line
}
