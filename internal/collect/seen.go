package collect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// Seen remembers the versions of the posts a page showed last time, for
// the sources that show the same items poll after poll (feeds, web
// pages): only new items and items whose content changed are handed on,
// so the pipeline does not detect the same text every few minutes.
type Seen []string

// Fresh returns the posts of ps not in s, and the memory to keep for the
// next poll: the versions ps holds now.
func (s Seen) Fresh(ps []post.Post) ([]post.Post, Seen) {
	old := make(map[string]bool, len(s))
	for _, v := range s {
		old[v] = true
	}
	var fresh []post.Post
	next := make(Seen, 0, len(ps))
	for _, p := range ps {
		v := version(&p)
		next = append(next, v)
		if !old[v] {
			fresh = append(fresh, p)
		}
	}
	return fresh, next
}

func version(p *post.Post) string {
	h := sha256.Sum256([]byte(p.Key() + "\x00" + p.ContentHash()))
	return hex.EncodeToString(h[:8])
}

// PageCursor is the cursor of a source read whole each time: the
// validators of its last response for a conditional GET, and what it
// showed.
type PageCursor struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	Seen         Seen   `json:"seen,omitempty"`
}

// ParsePageCursor reads a stored PageCursor; an empty cursor is the zero
// one.
func ParsePageCursor(s string) (PageCursor, error) {
	var c PageCursor
	if s == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return c, fmt.Errorf("cursor %q: %w", s, err)
	}
	return c, nil
}

// String is the cursor as stored.
func (c PageCursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// GetPage sends the conditional GET of a source read whole each poll. The
// response is nil when the page did not change (304).
func (e Env) GetPage(ctx context.Context, src post.Source, accept string) (*Response, PageCursor, error) {
	cur, err := ParsePageCursor(src.Watch.Cursor)
	if err != nil {
		return nil, cur, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.Location, nil)
	if err != nil {
		return nil, cur, fmt.Errorf("%s: %w", src.Location, err)
	}
	req.Header.Set("Accept", accept)
	if cur.ETag != "" {
		req.Header.Set("If-None-Match", cur.ETag)
	}
	if cur.LastModified != "" {
		req.Header.Set("If-Modified-Since", cur.LastModified)
	}
	resp, err := e.Fetch(req)
	if err != nil {
		return nil, cur, err
	}
	return resp, cur, nil
}

// PageBatch is the batch of a page read whole: the posts new or changed
// since the last poll, and the cursor to keep. A page with a broken item
// keeps no validators, so that it is read in full next time rather than
// answered 304 and a fixed item is not missed.
func PageBatch(cur PageCursor, resp *Response, ps []post.Post, rejected []source.Rejection) Batch {
	if resp.Status == http.StatusNotModified {
		return Batch{Cursor: cur.String(), NotBefore: resp.NotBefore}
	}
	fresh, seen := cur.Seen.Fresh(ps)
	next := PageCursor{Seen: seen}
	if len(rejected) == 0 {
		next.ETag, next.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	}
	return Batch{Posts: fresh, Rejected: rejected, Cursor: next.String(), NotBefore: resp.NotBefore}
}
