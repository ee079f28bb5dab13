package feed

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"

	"github.com/raqib-project/raqib/internal/source"
)

// Attributes of the empty element a clip puts in place of an item over the
// record limit.
const (
	attrTooLarge = "raqib-too-large"
	attrOffset   = "raqib-offset"
)

// maxKeptLines bounds the line breaks a stand-in element keeps of the item
// it replaces (so that the lines after it keep their numbers).
const maxKeptLines = 1 << 20

// Scanner states of a clip.
const (
	sText     = iota
	sLT       // after '<'
	sName     // in a start tag's name
	sAttrs    // in a start tag after its name
	sEndName  // in an end tag's name
	sEndRest  // in an end tag after its name
	sBang     // after "<!"
	sComment  // in <!-- -->
	sCDATA    // in <![CDATA[ ]]>
	sDecl     // in <!DOCTYPE ...>
	sPI       // in <? ?>
	maxName   = 256
	cdataOpen = "[CDATA["
)

// clip passes a feed's bytes through, except that an <item> or <entry>
// longer than the limit is replaced by an empty element of the same name
// carrying its size and offset (see tooLarge): encoding/xml reads a whole
// element into memory before it can be skipped, and cannot go on after a
// read error. It scans markup, not text, so it works on any ASCII-based
// encoding; an item ends at the end tag of its own name, so sloppy HTML
// inside it does not matter.
type clip struct {
	source.Clip

	st      int
	quote   byte
	prev    [2]byte // the last bytes of a construct whose end is two or three bytes
	name    []byte
	bang    []byte
	bracket int
	// held is a tag held back until its name says whether it starts an
	// item.
	held    []byte
	holding bool

	recName string
	nest    int
	same    bool // the tag being read has the item's name
}

func newClip(r io.Reader, limit int64) *clip {
	return &clip{Clip: source.NewClip(r, limit)}
}

func (c *clip) Read(p []byte) (int, error) { return c.ReadWith(p, c.fill) }

func (c *clip) fill() {
	for !c.Ready() || c.Holding() || c.holding {
		b, ok := c.Next()
		if !ok {
			// Whatever is held back goes on, for the XML decoder to judge:
			// an item cut off by the end of input as it is, or its
			// stand-in when it is too large.
			c.release()
			if c.Holding() {
				c.Finish(c.stub)
			}
			return
		}
		if b == '<' && c.st == sText && !c.Holding() {
			c.holding, c.held = true, c.held[:0]
		}
		c.put(b)
		c.step(b)
	}
}

func (c *clip) put(b byte) {
	if !c.holding {
		c.Put(b)
		return
	}
	c.held = append(c.held, b)
	if len(c.held) > 2*maxName {
		c.release() // not markup raqib reads
	}
}

// stub is the empty element put in place of an item over the limit; it
// keeps the item's line breaks so that the lines after it keep their
// numbers.
func (c *clip) stub(size, offset int64, lines int) []byte {
	return fmt.Appendf(nil, `<%s %s="%d" %s="%d"%s/>`, c.recName, attrTooLarge, size, attrOffset, offset,
		bytes.Repeat([]byte("\n"), min(lines, maxKeptLines)))
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func (c *clip) step(b byte) {
	switch c.st {
	case sText:
		if b == '<' {
			c.st = sLT
		}
	case sLT:
		c.name = c.name[:0]
		switch b {
		case '/':
			c.st = sEndName
		case '!':
			c.st, c.bang = sBang, c.bang[:0]
		case '?':
			c.st, c.prev = sPI, [2]byte{}
		default:
			c.st = sName
			c.name = append(c.name, b)
			return
		}
		c.release()
	case sName:
		if !isSpace(b) && b != '/' && b != '>' {
			if len(c.name) < maxName {
				c.name = append(c.name, b)
			}
			return
		}
		c.nameDone()
		c.st, c.quote, c.prev[1] = sAttrs, 0, b
		if b == '>' {
			c.tagEnd(false)
		}
	case sAttrs:
		switch {
		case c.quote != 0:
			if b == c.quote {
				c.quote = 0
			}
		case b == '"' || b == '\'':
			c.quote = b
		case b == '>':
			c.tagEnd(c.prev[1] == '/')
		}
		if !isSpace(b) {
			c.prev[1] = b
		}
	case sEndName, sEndRest:
		if c.st == sEndName && !isSpace(b) && b != '>' {
			if len(c.name) < maxName {
				c.name = append(c.name, b)
			}
			return
		}
		c.st = sEndRest
		if b == '>' {
			c.st = sText
			if c.Holding() && string(c.name) == c.recName {
				if c.nest--; c.nest == 0 {
					c.Finish(c.stub)
				}
			}
		}
	case sBang:
		c.bang = append(c.bang, b)
		switch {
		case string(c.bang) == "--":
			c.st, c.prev = sComment, [2]byte{}
		case string(c.bang) == cdataOpen:
			c.st, c.prev = sCDATA, [2]byte{}
		case !bytes.HasPrefix([]byte("--"), c.bang) && !bytes.HasPrefix([]byte(cdataOpen), c.bang):
			c.st, c.bracket = sDecl, 0
			c.step(b)
		}
	case sComment, sCDATA, sPI:
		var done bool
		switch c.st {
		case sComment:
			done = c.prev == [2]byte{'-', '-'}
		case sCDATA:
			done = c.prev == [2]byte{']', ']'}
		default:
			done = c.prev[1] == '?'
		}
		if b == '>' && done {
			c.st = sText
		}
		c.prev = [2]byte{c.prev[1], b}
	case sDecl:
		switch b {
		case '[':
			c.bracket++
		case ']':
			c.bracket--
		case '>':
			if c.bracket <= 0 {
				c.st = sText
			}
		}
	}
}

// release passes a held-back tag on: it does not start an item.
func (c *clip) release() {
	if c.holding {
		c.holding = false
		c.Emit(c.held...)
		c.held = c.held[:0]
	}
}

// local is a tag name without its prefix.
func local(name []byte) []byte {
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// nameDone decides, once a start tag's name is read, whether it starts an
// item or nests in the item being read.
func (c *clip) nameDone() {
	c.same = false
	if c.Holding() {
		c.same = string(c.name) == c.recName
		return
	}
	if l := string(local(c.name)); !c.holding || l != "item" && l != "entry" {
		c.release()
		return
	}
	c.holding = false
	c.Begin(c.Consumed()-int64(len(c.held)), c.held)
	c.recName, c.nest, c.same = string(c.name), 0, true
	c.held = c.held[:0]
}

func (c *clip) tagEnd(selfClosing bool) {
	c.st = sText
	if !c.Holding() || !c.same {
		return
	}
	if !selfClosing {
		c.nest++
	} else if c.nest == 0 {
		c.Finish(c.stub)
	}
}

// tooLarge reports whether start is a clip's stand-in for an item over the
// limit, with the item's size and offset.
func tooLarge(start xml.StartElement) (size, offset int64, ok bool) {
	for _, a := range start.Attr {
		switch a.Name.Local {
		case attrTooLarge:
			size, _ = strconv.ParseInt(a.Value, 10, 64)
			ok = true
		case attrOffset:
			offset, _ = strconv.ParseInt(a.Value, 10, 64)
		}
	}
	return size, offset, ok
}
