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
	resp, cur, err := env.GetPage(ctx, src, "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5")
	if err != nil {
		return collect.Batch{}, err
	}
	if resp.Status == http.StatusNotModified {
		return collect.PageBatch(cur, resp, nil, nil), nil
	}
	ps, rejected, err := source.Collect(sourcefeed.Decoder{}, source.Input{Name: src.Location, R: bytes.NewReader(resp.Body)})
	if err != nil {
		return collect.Batch{}, fmt.Errorf("feed %s: %w", src.Location, err)
	}
	return collect.PageBatch(cur, resp, ps, rejected), nil
}
