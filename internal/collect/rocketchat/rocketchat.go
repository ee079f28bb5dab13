// Package rocketchat watches Rocket.Chat rooms through the REST API:
// channels.history for public channels, groups.history for private groups,
// oldest first from the cursor, with the X-User-Id and X-Auth-Token of a
// bot account. Responses are decoded by the Rocket.Chat importer
// (source/rocketchat). Channel URLs and names, which responses lack, come
// from the source.
package rocketchat

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
	sourcerc "github.com/raqib-project/raqib/internal/source/rocketchat"
)

// PageSize is the count asked for per request.
const PageSize = 100

// Connector polls rooms. The cursor is the timestamp of the newest message
// committed; each request asks for messages from it on, oldest first
// (inclusive, so that messages sharing the cursor's millisecond are not
// lost; the one committed before is a duplicate the store ignores), and
// the next page starts at the newest message of the last.
type Connector struct{}

// Poll implements collect.Connector.
func (Connector) Poll(ctx context.Context, env collect.Env, src post.Source) (collect.Batch, error) {
	server, group, room, err := collect.RocketRoom(src.Location)
	if err != nil {
		return collect.Batch{}, fmt.Errorf("%w: %s: %w", collect.ErrBadSource, src.Location, err)
	}
	token, err := env.Token(src)
	if err != nil {
		return collect.Batch{}, err
	}
	userID, authToken, ok := strings.Cut(token, ":")
	if !ok || userID == "" || authToken == "" {
		return collect.Batch{}, fmt.Errorf("%w: %s must hold USER_ID:AUTH_TOKEN", collect.ErrNoToken, src.Watch.TokenEnv)
	}
	endpoint := server + "/api/v1/channels.history"
	if group {
		endpoint = server + "/api/v1/groups.history"
	}
	var b collect.Batch
	oldest := src.Watch.Cursor
	for range env.Pages() {
		q := url.Values{"count": {strconv.Itoa(PageSize)}, "sort": {`{"ts":1}`}}
		if isID(room) {
			q.Set("roomId", room)
		} else {
			q.Set("roomName", room)
		}
		if oldest != "" {
			q.Set("oldest", oldest)
			q.Set("inclusive", "true")
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"?"+q.Encode(), nil)
		if err != nil {
			return collect.Batch{}, fmt.Errorf("rocket.chat %s: %w", src.Location, err)
		}
		req.Header.Set("X-User-Id", userID)
		req.Header.Set("X-Auth-Token", authToken)
		resp, err := env.Fetch(req)
		if err != nil {
			return collect.Batch{}, err
		}
		b.NotBefore = resp.NotBefore
		ps, rejected, err := source.Collect(sourcerc.Decoder{}, source.Input{Name: src.Location, R: bytes.NewReader(resp.Body)})
		if err != nil {
			return collect.Batch{}, fmt.Errorf("rocket.chat %s: %w", src.Location, err)
		}
		b.Rejected = append(b.Rejected, rejected...)
		newest := oldest
		for _, p := range ps {
			p.Channel.URL = src.Location
			if p.Channel.Name == "" {
				p.Channel.Name = room
			}
			b.Posts = append(b.Posts, p)
			if ts := stamp(p.PostedAt); !p.PostedAt.IsZero() && ts > newest {
				newest = ts
			}
		}
		// A short page is the last; a full one whose newest message is
		// the cursor itself would repeat forever.
		if len(ps)+len(rejected) < PageSize || newest == oldest {
			oldest = newest
			break
		}
		oldest = newest
	}
	b.Cursor = oldest
	return b, nil
}

// stamp writes a message time as Rocket.Chat takes it in oldest: ISO 8601
// in UTC with milliseconds, so that cursors compare as strings.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// isID tells a room id (17 base-62 characters, or GENERAL) from a name.
func isID(room string) bool {
	if room == "GENERAL" {
		return true
	}
	if len(room) != 17 {
		return false
	}
	for _, c := range room {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
