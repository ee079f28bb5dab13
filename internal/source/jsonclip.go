package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// JSONFrame is one open container around a position of a JSON stream.
type JSONFrame struct {
	Array bool
	// Key is the object's latest key (raw, as written; up to 64 bytes).
	Key string
}

// ElementsOf is the JSONClip rule of a format whose records are the
// elements of arrays held under key ("messages").
func ElementsOf(key string) func([]JSONFrame) bool {
	return func(path []JSONFrame) bool {
		n := len(path)
		return n >= 2 && path[n-1].Array && !path[n-2].Array && path[n-2].Key == key
	}
}

// clipKey names the object a JSONClip puts in place of a record over the
// limit; its value is the record's size and offset.
const clipKey = `{"raqib:record-too-large":`

// maxKey bounds the bytes of a key kept in a JSONFrame.
const maxKey = 64

// JSONClip passes a JSON stream through, except that a record (a value
// whose position the format's rule names) longer than the limit is
// replaced by a small object that Clipped recognizes. json.Decoder reads a
// whole value into memory before it can be skipped; in front of it a
// JSONClip bounds that memory by the limit, and lets the decoder go on with
// the next record. Records are held back until complete, so the clip costs
// up to one record of memory itself. It does not validate: on broken JSON
// it passes bytes through and the decoder reports the error.
type JSONClip struct {
	br       *bufio.Reader
	limit    int64
	isRecord func([]JSONFrame) bool

	path   []JSONFrame
	expect byte // 'v' value, 'k' key, ':' colon, ',' comma or end
	str    bool // inside a string
	esc    bool // after a backslash in a string
	isKey  bool // the string is a key
	key    []byte
	scalar bool // inside a number or literal

	rec      []byte // the record being held back
	recOn    bool
	recDepth int
	recStart int64
	recSize  int64

	out  []byte // ready to be read
	in   int64  // bytes consumed from br
	emit int64  // bytes handed out
	// clips maps offsets of the output back to the input: after output
	// offset at, input offsets are larger by delta.
	clips []struct{ at, delta int64 }
	err   error
}

// NewJSONClip clips records of r longer than limit bytes; isRecord says
// whether a value at path is a record.
func NewJSONClip(r io.Reader, limit int64, isRecord func([]JSONFrame) bool) *JSONClip {
	return &JSONClip{br: bufio.NewReaderSize(r, 64<<10), limit: limit, isRecord: isRecord, expect: 'v'}
}

// Read implements io.Reader.
func (c *JSONClip) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		c.fill()
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	c.emit += int64(n)
	return n, nil
}

// fill scans input until there is output or an error.
func (c *JSONClip) fill() {
	for len(c.out) == 0 || c.recOn {
		b, err := c.br.ReadByte()
		if err != nil {
			if c.recOn {
				// A record cut off by the end of input goes on as it is, or
				// as its stand-in when it is too large, for the decoder to
				// judge.
				c.finish()
			}
			c.err = err
			return
		}
		c.in++
		c.byte(b)
	}
}

// put adds b to the record held back or to the output.
func (c *JSONClip) put(b byte) {
	if !c.recOn {
		c.out = append(c.out, b)
		return
	}
	c.recSize++
	if c.recSize <= c.limit {
		c.rec = append(c.rec, b)
	} else if c.rec != nil {
		c.rec = nil // over the limit: only counted from here
	}
}

// begin starts holding back a value that starts with the byte just read,
// when it is a record.
func (c *JSONClip) begin() {
	if c.recOn || !c.isRecord(c.path) {
		return
	}
	c.recOn, c.recDepth, c.recStart, c.recSize = true, len(c.path), c.in-1, 0
	c.rec = c.rec[:0]
}

// end closes the record after its last byte, if one is held back and the
// value that ended is it.
func (c *JSONClip) end() {
	if c.recOn && len(c.path) == c.recDepth {
		c.finish()
	}
}

// finish hands the record held back on, or its stand-in.
func (c *JSONClip) finish() {
	c.recOn = false
	if c.recSize <= c.limit {
		c.out = append(c.out, c.rec...)
	} else {
		stub := fmt.Appendf(nil, `%s{"size":%d,"offset":%d}}`, clipKey, c.recSize, c.recStart)
		c.out = append(c.out, stub...)
		at := c.emit + int64(len(c.out))
		c.clips = append(c.clips, struct{ at, delta int64 }{at, c.recSize - int64(len(stub))})
	}
	// A large buffer is not kept for the rest of the file.
	if cap(c.rec) > 1<<20 {
		c.rec = nil
	} else {
		c.rec = c.rec[:0]
	}
}

// valueDone moves on after a value at the current depth ended.
func (c *JSONClip) valueDone() {
	c.end()
	c.expect = ','
	if len(c.path) == 0 {
		c.expect = 'v'
	}
}

func (c *JSONClip) byte(b byte) {
	if c.str {
		c.put(b)
		switch {
		case c.esc:
			c.esc = false
		case b == '\\':
			c.esc = true
		case b == '"':
			c.str = false
			if c.isKey {
				c.path[len(c.path)-1].Key = string(c.key)
				c.expect = ':'
				return
			}
			c.valueDone()
		case c.isKey && len(c.key) < maxKey:
			c.key = append(c.key, b)
		}
		return
	}
	if c.scalar {
		switch b {
		case ' ', '\t', '\n', '\r', ',', ']', '}':
			c.scalar = false
			c.valueDone()
		default:
			c.put(b)
			return
		}
	}
	switch b {
	case ' ', '\t', '\n', '\r':
		c.put(b)
	case '"':
		if c.expect == 'k' {
			c.put(b)
			c.str, c.isKey, c.key = true, true, c.key[:0]
			return
		}
		c.begin()
		c.put(b)
		c.str, c.isKey = true, false
	case '{', '[':
		c.begin()
		c.put(b)
		c.path = append(c.path, JSONFrame{Array: b == '['})
		c.expect = 'v'
		if b == '{' {
			c.expect = 'k'
		}
	case '}', ']':
		c.put(b)
		if len(c.path) > 0 {
			c.path = c.path[:len(c.path)-1]
		}
		c.valueDone()
	case ':':
		c.put(b)
		c.expect = 'v'
	case ',':
		c.put(b)
		c.expect = 'v'
		if n := len(c.path); n > 0 && !c.path[n-1].Array {
			c.expect = 'k'
		}
	default:
		c.begin()
		c.put(b)
		c.scalar = true
	}
}

// Orig maps an offset in the clipped stream to the input's.
func (c *JSONClip) Orig(off int64) int64 {
	for _, cl := range c.clips {
		if cl.at > off {
			break
		}
		off += cl.delta
	}
	return off
}

// Clipped reports whether raw is what a JSONClip put in place of a record
// over its limit, and gives the record's size and input offset.
func Clipped(raw []byte) (size, offset int64, ok bool) {
	if !bytes.HasPrefix(raw, []byte(clipKey)) {
		return 0, 0, false
	}
	var stub struct {
		R struct {
			Size   int64 `json:"size"`
			Offset int64 `json:"offset"`
		} `json:"raqib:record-too-large"`
	}
	if err := json.Unmarshal(raw, &stub); err != nil {
		return 0, 0, false
	}
	return stub.R.Size, stub.R.Offset, true
}
