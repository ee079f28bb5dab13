package telegramweb

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// Connector polls channels' web previews. The cursor is the highest post
// id committed. A poll reads the newest page and pages back with ?before=
// until it reaches the cursor, so that a burst of posts between two polls
// is read whole; a new source reads Env.Pages pages of its history.
type Connector struct{}

// gapPages bounds the pages read back to a cursor: a channel that posted
// more than that between two polls loses the oldest, and the poll says so.
const gapPages = 50

// Poll implements collect.Connector.
func (Connector) Poll(ctx context.Context, env collect.Env, src post.Source) (collect.Batch, error) {
	channel, ok := collect.TelegramChannel(src.Location)
	if !ok {
		// A mirror of the preview (and a test's server) keeps the path.
		u, err := url.Parse(src.Location)
		if err != nil || !strings.HasPrefix(u.Path, "/s/") {
			return collect.Batch{}, fmt.Errorf("%w: %s is not a Telegram channel preview", collect.ErrBadSource, src.Location)
		}
		channel = strings.TrimPrefix(u.Path, "/s/")
	}
	var cursor int64
	if src.Watch.Cursor != "" {
		var err error
		if cursor, err = strconv.ParseInt(src.Watch.Cursor, 10, 64); err != nil {
			return collect.Batch{}, fmt.Errorf("cursor %q: %w", src.Watch.Cursor, err)
		}
	}
	limit := env.Pages()
	if cursor > 0 {
		limit = gapPages
	}
	var (
		b      collect.Batch
		newest = cursor
		before int64
	)
	for page := 0; page < limit; page++ {
		u := src.Location
		if before > 0 {
			u += "?" + url.Values{"before": {strconv.FormatInt(before, 10)}}.Encode()
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return collect.Batch{}, fmt.Errorf("telegram %s: %w", u, err)
		}
		resp, err := env.Fetch(req)
		if err != nil {
			return collect.Batch{}, err
		}
		pg, err := Parse(bytes.NewReader(resp.Body), channel, u)
		if err != nil {
			return collect.Batch{}, err
		}
		b.Rejected = append(b.Rejected, pg.Rejected...)
		b.NotBefore = resp.NotBefore
		lowest := int64(0)
		for _, p := range pg.Posts {
			id, _ := strconv.ParseInt(p.ID, 10, 64)
			if lowest == 0 || id < lowest {
				lowest = id
			}
			newest = max(newest, id)
			// Posts up to the cursor were committed before; an edited one
			// on the newest page is read again, as a new version.
			if id <= cursor && !(page == 0 && pg.Edited[p.ID]) {
				continue
			}
			if pg.Edited[p.ID] {
				p.EditedAt = env.Time().UTC()
			}
			b.Posts = append(b.Posts, p)
		}
		before = min(pg.Before, lowest)
		if pg.Before == 0 {
			before = 0
		}
		if before == 0 || before <= cursor+1 {
			break
		}
		if page == limit-1 && cursor > 0 {
			b.Rejected = append(b.Rejected, source.Rejection{File: src.Location,
				Reason: fmt.Sprintf("more than %d pages were posted since the last poll: posts %d to %d were not read", limit, cursor+1, before-1)})
		}
	}
	b.Cursor = strconv.FormatInt(newest, 10)
	if newest == 0 {
		b.Cursor = src.Watch.Cursor
	}
	return b, nil
}
