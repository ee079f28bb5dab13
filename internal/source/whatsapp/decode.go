package whatsapp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// run decodes one chat text. With rewind the text is read twice, first to
// gather the file's facts from every header; without it only the first
// lookahead bytes are examined, and a later date that contradicts the
// decision is rejected.
func (d *textDecoder) run(r io.Reader, rewind func() (io.Reader, error)) error {
	if rewind != nil {
		if err := d.scanFacts(r); err != nil {
			return d.broken(err)
		}
		var err error
		if r, err = rewind(); err != nil {
			return err
		}
	} else {
		br := bufio.NewReaderSize(r, lookahead)
		head, err := br.Peek(lookahead)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("read %s: %w", d.in.Name, err)
		}
		if err := d.scanFacts(bytes.NewReader(head)); err != nil {
			return d.broken(err)
		}
		r = br
	}
	if d.facts.firstHeader < 0 || d.facts.firstHeader >= sniffSize {
		return fmt.Errorf("%s: no WhatsApp message header in the first 4 KiB: %w", d.in.Name, source.ErrFormat)
	}
	d.dayFirst = d.facts.dayFirst()
	d.channel.Kind = "chat"
	if d.facts.isGroup() {
		d.channel.Kind = "group"
	}
	sc := source.NewLines(r, int(d.in.RecordLimit()))
	for sc.Next() {
		var err error
		if sc.TooLong() {
			err = d.longLine(sc.Head(), sc.Size())
		} else {
			err = d.line(sc.Bytes())
		}
		if err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return d.broken(err)
	}
	return d.flush()
}

// scanFacts reads headers only. It gives up on a file whose first 4 KiB
// hold no header, so that a wrong file is not read to its end.
func (d *textDecoder) scanFacts(r io.Reader) error {
	sc := source.NewLines(r, int(d.in.RecordLimit()))
	for sc.Next() {
		// The head of an over-long line still holds its header, if any.
		raw := sc.Head()
		line := string(bytes.TrimRight(raw, "\r\n"))
		if sc.Line() == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if h, ok := parseHeader(line); ok {
			d.facts.add(&h, classify(&h), sc.Offset())
		} else if d.facts.headers == 0 && sc.Offset() >= sniffSize {
			return nil
		}
	}
	// Without a header yet, a read error just means the file is not ours;
	// run reports ErrFormat.
	if err := sc.Err(); err != nil && (d.facts.headers > 0 || errors.Is(err, errUnpackedLimit)) {
		return err
	}
	return nil
}

// broken is the outcome of a chat text that cannot be read to its end (a
// damaged zip member, or the zip's unpacked-size limit): what was read is
// kept, the rest is rejected once at the line where reading stopped.
func (d *textDecoder) broken(err error) error {
	if errors.Is(err, errUnpackedLimit) {
		if ferr := d.flush(); ferr != nil {
			return ferr
		}
		return d.reject(d.lineNo+1, err.Error()+"; rest of the chat skipped")
	}
	return fmt.Errorf("%s:%d: %w", d.in.Name, d.lineNo+1, damaged(err))
}

func (d *textDecoder) reject(line int, reason string) error {
	return d.sink.Reject(source.Rejection{File: d.in.Name, Line: line, Reason: reason})
}

// line handles one line: a header starts a record, anything else continues
// the current one.
func (d *textDecoder) line(raw []byte) error {
	d.lineNo++
	text := string(bytes.TrimRight(raw, "\r\n"))
	if d.lineNo == 1 {
		text = strings.TrimPrefix(text, "\ufeff")
	}
	if h, ok := parseHeader(text); ok {
		if err := d.flush(); err != nil {
			return err
		}
		return d.start(h, raw)
	}
	r := &d.rec
	switch {
	case r.active:
		if limit := d.in.RecordLimit(); int64(r.raw.Len()+len(raw)) > limit {
			return d.tooLarge(int64(r.raw.Len() + len(raw)))
		}
		r.raw.Write(raw)
		r.body.WriteByte('\n')
		r.body.WriteString(text)
	case r.skip, strings.TrimFunc(text, func(r rune) bool { return isMark(r) || isBlank(r) }) == "":
	default:
		return d.reject(d.lineNo, "text before the first message header")
	}
	return nil
}

// longLine handles a line over the record limit, of which only the head
// was kept: the message it starts, or the one it continues, is rejected.
func (d *textDecoder) longLine(head []byte, size int64) error {
	d.lineNo++
	if _, ok := parseHeader(string(bytes.TrimRight(head, "\r\n"))); ok {
		if err := d.flush(); err != nil {
			return err
		}
		d.rec.active, d.rec.skip = false, true
		return d.reject(d.lineNo, source.TooLarge("message", size, d.in.RecordLimit()))
	}
	if d.rec.active {
		return d.tooLarge(int64(d.rec.raw.Len()) + size)
	}
	if d.rec.skip {
		return nil
	}
	return d.reject(d.lineNo, source.TooLarge("text before the first message header", size, d.in.RecordLimit()))
}

// tooLarge rejects the current message, which has grown to at least size
// bytes, and skips the rest of its lines.
func (d *textDecoder) tooLarge(size int64) error {
	r := &d.rec
	r.active, r.skip = false, true
	r.raw.Reset()
	r.body.Reset()
	return d.reject(r.line, fmt.Sprintf("message larger than the limit of %d bytes (--max-record): %d bytes by line %d, rest skipped",
		d.in.RecordLimit(), size, d.lineNo))
}

func (d *textDecoder) start(h header, raw []byte) error {
	r := &d.rec
	at, err := h.resolve(d.dayFirst)
	if err != nil {
		r.active, r.skip = false, true
		return d.reject(d.lineNo, err.Error())
	}
	r.active, r.skip = true, false
	r.line, r.h, r.at = d.lineNo, h, at
	r.raw.Reset()
	r.raw.Write(raw)
	r.body.Reset()
	r.body.WriteString(h.text)
	return nil
}

// flush turns the current record into a post.
func (d *textDecoder) flush() error {
	r := &d.rec
	if !r.active {
		return nil
	}
	r.active = false
	h := &r.h
	c := classify(h)
	body := r.body.String()
	shown := ""
	if h.hasAuthor {
		shown = cleanName(h.author)
	}
	p := post.Post{
		Platform: post.WhatsApp,
		Kind:     post.Message,
		Channel:  d.channel,
		Text:     body,
		PostedAt: r.at,
		Deleted:  c.deleted,
		Origin:   post.Origin{Format: "whatsapp", File: d.in.Name, Line: r.line},
		Raw:      bytes.Clone(r.raw.Bytes()),
	}
	// A service line's author is who it is about; the sender iOS shows for
	// it is the chat's own name.
	author := shown
	if c.service {
		p.Kind = post.Service
		author = c.actor
	} else {
		d.media(&p, c, body)
	}
	if author != "" {
		p.Author = post.Account{Platform: post.WhatsApp, ID: author, DisplayName: author}
	}
	extract(&p)
	p.ID = d.id(r.at, shown, body)
	return d.sink.Post(p)
}

// media moves placeholders and attachment lines out of the text into
// p.Media.
func (d *textDecoder) media(p *post.Post, c class, body string) {
	var keep []string
	for i, l := range strings.Split(body, "\n") {
		if i == 0 && c.omitted != "" {
			p.Media = append(p.Media, post.Media{Kind: c.omitted, Omitted: true})
			continue
		}
		name, ok := attachment(l)
		if !ok {
			keep = append(keep, l)
			continue
		}
		p.Media = append(p.Media, describe(name, d.open))
	}
	if len(p.Media) > 0 {
		p.Text = strings.TrimSpace(strings.Join(keep, "\n"))
	}
}

// id derives a post id from the channel, time, sender and text, plus an
// ordinal among identical messages of the same time, so that importing an
// export again yields the same ids. Only the current time's messages are
// remembered: identical messages of one time separated by a message of
// another (a reordered export) could share an id.
func (d *textDecoder) id(at time.Time, sender, body string) string {
	if !at.Equal(d.seenAt) {
		clear(d.seen)
		d.seenAt = at
	}
	key := post.StableID(sender, body)
	n := d.seen[key]
	d.seen[key] = n + 1
	return post.StableID(d.channel.ID, at.Format(time.RFC3339), sender, body, strconv.Itoa(n))
}
