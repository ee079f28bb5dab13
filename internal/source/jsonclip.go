package source

import (
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
	Clip
	isRecord func([]JSONFrame) bool

	path   []JSONFrame
	expect byte // 'v' value, 'k' key, ':' colon, ',' comma or end
	str    bool // inside a string
	esc    bool // after a backslash in a string
	isKey  bool // the string is a key
	key    []byte
	scalar bool // inside a number or literal

	recDepth int // len(path) where the record held back started
}

// NewJSONClip clips records of r longer than limit bytes; isRecord says
// whether a value at path is a record.
func NewJSONClip(r io.Reader, limit int64, isRecord func([]JSONFrame) bool) *JSONClip {
	return &JSONClip{Clip: NewClip(r, limit), isRecord: isRecord, expect: 'v'}
}

// Read implements io.Reader.
func (c *JSONClip) Read(p []byte) (int, error) { return c.ReadWith(p, c.fill) }

// fill scans input until there is output or the input ends.
func (c *JSONClip) fill() {
	for !c.Ready() || c.Holding() {
		b, ok := c.Next()
		if !ok {
			if c.Holding() {
				// A record cut off by the end of input goes on as it is, or
				// as its stand-in when it is too large, for the decoder to
				// judge.
				c.Finish(jsonStub)
			}
			return
		}
		c.byte(b)
	}
}

// jsonStub is the object put in place of a record over the limit.
func jsonStub(size, offset int64, _ int) []byte {
	return fmt.Appendf(nil, `%s{"size":%d,"offset":%d}}`, clipKey, size, offset)
}

// begin starts holding back a value that starts with the byte just read,
// when it is a record.
func (c *JSONClip) begin() {
	if c.Holding() || !c.isRecord(c.path) {
		return
	}
	c.recDepth = len(c.path)
	c.Begin(c.Consumed()-1, nil)
}

// end closes the record after its last byte, if one is held back and the
// value that ended is it.
func (c *JSONClip) end() {
	if c.Holding() && len(c.path) == c.recDepth {
		c.Finish(jsonStub)
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
		c.Put(b)
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
			c.Put(b)
			return
		}
	}
	switch b {
	case ' ', '\t', '\n', '\r':
		c.Put(b)
	case '"':
		if c.expect == 'k' {
			c.Put(b)
			c.str, c.isKey, c.key = true, true, c.key[:0]
			return
		}
		c.begin()
		c.Put(b)
		c.str, c.isKey = true, false
	case '{', '[':
		c.begin()
		c.Put(b)
		c.path = append(c.path, JSONFrame{Array: b == '['})
		c.expect = 'v'
		if b == '{' {
			c.expect = 'k'
		}
	case '}', ']':
		c.Put(b)
		if len(c.path) > 0 {
			c.path = c.path[:len(c.path)-1]
		}
		c.valueDone()
	case ':':
		c.Put(b)
		c.expect = 'v'
	case ',':
		c.Put(b)
		c.expect = 'v'
		if n := len(c.path); n > 0 && !c.path[n-1].Array {
			c.expect = 'k'
		}
	default:
		c.begin()
		c.Put(b)
		c.scalar = true
	}
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
