// Package feed watches RSS and Atom feeds: a conditional GET (ETag,
// Last-Modified) each poll, parsed by the feed importer (source/feed), and
// only items that are new or changed since the last poll handed on.
package feed

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
	sourcefeed "github.com/raqib-project/raqib/internal/source/feed"
)

// Connector polls feeds.
type Connector struct{}

// Poll implements collect.Connector.
func (Connector) Poll(ctx context.Context, env collect.Env, src post.Source) (collect.Batch, error) {
	cur, err := collect.ParsePageCursor(src.Watch.Cursor)
	if err != nil {
		return collect.Batch{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.Location, nil)
	if err != nil {
		return collect.Batch{}, fmt.Errorf("feed %s: %w", src.Location, err)
	}
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5")
	if cur.ETag != "" {
		req.Header.Set("If-None-Match", cur.ETag)
	}
	if cur.LastModified != "" {
		req.Header.Set("If-Modified-Since", cur.LastModified)
	}
	resp, err := env.Fetch(req)
	if err != nil {
		return collect.Batch{}, err
	}
	if resp.Status == http.StatusNotModified {
		return collect.Batch{Cursor: src.Watch.Cursor, NotBefore: resp.NotBefore}, nil
	}
	ps, rejected, err := source.Collect(sourcefeed.Decoder{}, source.Input{Name: src.Location, R: bytes.NewReader(resp.Body)})
	if err != nil {
		return collect.Batch{}, fmt.Errorf("feed %s: %w", src.Location, err)
	}
	fresh, seen := cur.Seen.Fresh(ps)
	next := collect.PageCursor{Seen: seen}
	// A feed with a broken item is read in full next time rather than
	// answered 304, so that a fixed item is not missed.
	if len(rejected) == 0 {
		next.ETag, next.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	}
	return collect.Batch{Posts: fresh, Rejected: rejected, Cursor: next.String(), NotBefore: resp.NotBefore}, nil
}
