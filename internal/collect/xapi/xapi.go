// Package xapi watches X through the API v2: recent search
// (/2/tweets/search/recent?query=...) and user timelines
// (/2/users/ID/tweets, or /2/users/by/username/NAME, whose id each poll
// looks up first), with a bearer token, since_id cursors and the
// includes expansion, so that authors, media and referenced tweets come
// with each page. Pages are decoded by the X importer (source/xapi). X's
// x-rate-limit-* headers are honoured by collect.Env.Fetch.
package xapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
	sourcex "github.com/raqib-project/raqib/internal/source/xapi"
)

// gapPages bounds the pages read back to since_id, as in telegramweb.
const gapPages = 50

var (
	timeline = regexp.MustCompile(`/2/users/[0-9]+/tweets$`)
	byName   = regexp.MustCompile(`/2/users/by/username/[A-Za-z0-9_]{1,15}$`)
)

// fields asks for everything the importer reads.
var fields = url.Values{
	"max_results":  {"100"},
	"expansions":   {"author_id,attachments.media_keys,referenced_tweets.id,referenced_tweets.id.author_id"},
	"tweet.fields": {"created_at,lang,entities,referenced_tweets,attachments,edit_history_tweet_ids,withheld,conversation_id,in_reply_to_user_id,public_metrics"},
	"user.fields":  {"username,name,created_at,description,public_metrics,verified,withheld,profile_image_url"},
	"media.fields": {"url,preview_image_url,type,width,height,variants"},
}

// Connector polls searches and timelines. The cursor is the newest tweet
// id committed (since_id).
type Connector struct{}

// page is what a poll reads of a response besides the tweets.
type page struct {
	Meta struct {
		NewestID  string `json:"newest_id"`
		NextToken string `json:"next_token"`
	} `json:"meta"`
}

// Poll implements collect.Connector.
func (Connector) Poll(ctx context.Context, env collect.Env, src post.Source) (collect.Batch, error) {
	u, err := url.Parse(src.Location)
	if err != nil {
		return collect.Batch{}, fmt.Errorf("%w: %s: %w", collect.ErrBadSource, src.Location, err)
	}
	tokenParam := "pagination_token"
	switch {
	case strings.HasSuffix(u.Path, "/2/tweets/search/recent"):
		if u.Query().Get("query") == "" {
			return collect.Batch{}, fmt.Errorf("%w: %s: a search needs ?query=", collect.ErrBadSource, src.Location)
		}
		tokenParam = "next_token"
	case timeline.MatchString(u.Path), byName.MatchString(u.Path):
	default:
		return collect.Batch{}, fmt.Errorf("%w: %s: want /2/tweets/search/recent?query=..., /2/users/ID/tweets or /2/users/by/username/NAME", collect.ErrBadSource, src.Location)
	}
	bearer, err := env.Token(src)
	if err != nil {
		return collect.Batch{}, err
	}
	if byName.MatchString(u.Path) {
		// Looked up at every poll, so that a handle given to another
		// account is followed as the analyst asked: by its name.
		if u, err = userTimeline(ctx, env, u, bearer); err != nil {
			return collect.Batch{}, err
		}
	}
	cursor := src.Watch.Cursor
	limit := env.Pages()
	if cursor != "" {
		limit = gapPages
	}
	var (
		b      collect.Batch
		newest = cursor
		next   string
	)
	for range limit {
		q := u.Query()
		for k, v := range fields {
			if !q.Has(k) {
				q[k] = v
			}
		}
		if cursor != "" {
			q.Set("since_id", cursor)
		}
		if next != "" {
			q.Set(tokenParam, next)
		}
		pu := *u
		pu.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, pu.String(), nil)
		if err != nil {
			return collect.Batch{}, fmt.Errorf("x api %s: %w", u.Path, err)
		}
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, err := env.Fetch(req)
		if err != nil {
			return collect.Batch{}, err
		}
		b.NotBefore = resp.NotBefore
		var pg page
		if err := json.Unmarshal(resp.Body, &pg); err != nil {
			return collect.Batch{}, fmt.Errorf("x api %s: %w: %w", u.Path, source.ErrFormat, err)
		}
		ps, rejected, err := source.Collect(sourcex.Decoder{}, source.Input{Name: src.Location, R: bytes.NewReader(resp.Body)})
		if err != nil {
			return collect.Batch{}, fmt.Errorf("x api %s: %w", u.Path, err)
		}
		b.Posts = append(b.Posts, ps...)
		b.Rejected = append(b.Rejected, rejected...)
		for _, id := range append([]string{pg.Meta.NewestID}, ids(ps)...) {
			if later(id, newest) {
				newest = id
			}
		}
		if next = pg.Meta.NextToken; next == "" {
			break
		}
	}
	if next != "" && cursor != "" {
		b.Rejected = append(b.Rejected, source.Rejection{File: src.Location,
			Reason: fmt.Sprintf("more than %d pages were posted since tweet %s: the oldest of them were not read", limit, cursor)})
	}
	b.Cursor = newest
	return b, nil
}

// userTimeline looks the user of a /2/users/by/username/NAME URL up and
// returns the URL of its timeline. A suspended or unknown user is an
// error naming the handle, which the source's health shows.
func userTimeline(ctx context.Context, env collect.Env, u *url.URL, bearer string) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("x api %s: %w", u.Path, err)
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := env.Fetch(req)
	if err != nil {
		return nil, err
	}
	var user struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
		Errors []struct {
			Detail string `json:"detail"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(resp.Body, &user); err != nil {
		return nil, fmt.Errorf("x api %s: %w: %w", u.Path, source.ErrFormat, err)
	}
	name := u.Path[strings.LastIndexByte(u.Path, '/')+1:]
	if user.Data.ID == "" || strings.Trim(user.Data.ID, "0123456789") != "" {
		detail := "no user id in the answer"
		if len(user.Errors) > 0 {
			detail = user.Errors[0].Detail
		}
		return nil, fmt.Errorf("x api: user @%s: %s", name, detail)
	}
	t := *u
	t.Path = strings.TrimSuffix(u.Path, "by/username/"+name) + user.Data.ID + "/tweets"
	return &t, nil
}

func ids(ps []post.Post) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// later reports whether tweet id a is after b: ids are decimal numbers
// too long for some parsers, compared by length, then digit by digit.
func later(a, b string) bool {
	if a == "" || strings.Trim(a, "0123456789") != "" {
		return false
	}
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}
