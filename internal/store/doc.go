package store

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/raqib-project/raqib/internal/post"
)

// EncodeDoc is the stored JSON form of a post: everything but the raw
// payload, which implementations keep in a column of its own so that
// listing never reads it, and the text of the spans that is the
// normalized text at their offsets, which DecodeDoc puts back: a flagged
// post's spans repeated a twentieth of its document.
func EncodeDoc(p post.Post) ([]byte, error) {
	p.Raw = nil
	p.Signals = elideSpanTexts(p.Norm, p.Signals)
	return json.Marshal(p)
}

// DecodeDoc reverses EncodeDoc and puts the raw payload back.
func DecodeDoc(doc, raw []byte) (post.Post, error) {
	var p post.Post
	if err := json.Unmarshal(doc, &p); err != nil {
		return p, fmt.Errorf("decode stored post: %w", err)
	}
	p.Raw = raw
	for i := range p.Signals {
		for j := range p.Signals[i].Spans {
			sp := &p.Signals[i].Spans[j]
			if sp.Text == "" && 0 <= sp.Start && sp.Start < sp.End && sp.End <= len(p.Norm) {
				sp.Text = p.Norm[sp.Start:sp.End]
			}
		}
	}
	return p, nil
}

// elideSpanTexts returns signals with the text of each span left out where
// it is norm at the span's offsets. The caller's signals are not changed:
// those with such spans are copied.
func elideSpanTexts(norm string, signals []post.Signal) []post.Signal {
	var out []post.Signal
	for i, sg := range signals {
		var spans []post.Span
		for j, sp := range sg.Spans {
			if sp.Text == "" || sp.Start < 0 || sp.Start >= sp.End || sp.End > len(norm) || norm[sp.Start:sp.End] != sp.Text {
				continue
			}
			if spans == nil {
				spans = slices.Clone(sg.Spans)
			}
			spans[j].Text = ""
		}
		if spans == nil {
			continue
		}
		if out == nil {
			out = slices.Clone(signals)
		}
		out[i].Spans = spans
	}
	if out == nil {
		return signals
	}
	return out
}

// Page returns the query's limit (default 50, at most 1000) and offset.
func (q Query) Page() (limit, offset int) {
	limit = q.Limit
	if limit <= 0 {
		limit = 50
	}
	return min(limit, 1000), max(q.Offset, 0)
}

// ListLimit is how many cases or sources a list returns when the caller
// asked for limit: 100 when it asked for none.
func ListLimit(limit int) int {
	if limit <= 0 {
		return 100
	}
	return limit
}

// Rows is what database/sql and pgx result sets both offer.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanDocs reads posts from rows of one stored-doc column.
func ScanDocs(rows Rows) ([]post.Post, error) {
	var ps []post.Post
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("list posts: %w", err)
		}
		p, err := DecodeDoc(doc, nil)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// ScanVersions reads earlier versions of a post from rows of (version, doc,
// raw).
func ScanVersions(rows Rows) ([]Version, error) {
	var vs []Version
	for rows.Next() {
		var (
			v          Version
			vdoc, vraw []byte
		)
		if err := rows.Scan(&v.Version, &vdoc, &vraw); err != nil {
			return nil, fmt.Errorf("read versions: %w", err)
		}
		old, err := DecodeDoc(vdoc, vraw)
		if err != nil {
			return nil, err
		}
		v.Text, v.Title, v.EditedAt, v.CollectedAt, v.Raw = old.Text, old.Title, old.EditedAt, old.CollectedAt, vraw
		vs = append(vs, v)
	}
	return vs, rows.Err()
}
