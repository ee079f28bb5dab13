package collect_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/collect/feed"
	"github.com/raqib-project/raqib/internal/collect/rocketchat"
	"github.com/raqib-project/raqib/internal/collect/telegramweb"
	"github.com/raqib-project/raqib/internal/collect/web"
	"github.com/raqib-project/raqib/internal/collect/xapi"
	"github.com/raqib-project/raqib/internal/shareddata"
)

// connectors are the connectors under test, as the application wires them.
var connectors = collect.Connectors{
	collect.TelegramWeb: telegramweb.Connector{},
	collect.Feed:        feed.Connector{},
	collect.RocketChat:  rocketchat.Connector{},
	collect.XAPI:        xapi.Connector{},
	collect.Web:         web.Connector{},
}

// upstream is a platform as a test's local server plays it: it publishes
// numbered posts (1, 2, ...) and serves them in the platform's wire shape,
// with its pagination, and with faults the test injects.
type upstream struct {
	t    *testing.T
	kind string
	// path is the source's path on the server; selector for web pages.
	path, selector string
	// serve writes the response to r for the posts published so far.
	serve func(u *upstream, w http.ResponseWriter, r *http.Request, n int)

	mu       sync.Mutex
	n        int      // posts published
	faults   []string // injected, one per request: 429, 503, 502, truncate
	requests int
	agents   map[string]int // requests per User-Agent
	at       []time.Time    // when each post was published
}

func (u *upstream) publish(k int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for range k {
		u.n++
		u.at = append(u.at, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(u.n)*time.Minute))
	}
}

func (u *upstream) fault(f ...string) {
	u.mu.Lock()
	u.faults = append(u.faults, f...)
	u.mu.Unlock()
}

func (u *upstream) published() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.n
}

func (u *upstream) postedAt(i int) time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.at[i-1]
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.requests++
	if u.agents == nil {
		u.agents = map[string]int{}
	}
	u.agents[r.UserAgent()]++
	var f string
	if len(u.faults) > 0 {
		f, u.faults = u.faults[0], u.faults[1:]
	}
	n := u.n
	u.mu.Unlock()
	switch f {
	case "429":
		w.Header().Set("Retry-After", "120")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	case "x429":
		w.Header().Set("x-rate-limit-remaining", "0")
		w.Header().Set("x-rate-limit-reset", strconv.FormatInt(time.Now().Add(15*time.Minute).Unix(), 10))
		http.Error(w, `{"title":"Too Many Requests"}`, http.StatusTooManyRequests)
		return
	case "503", "502":
		code, _ := strconv.Atoi(f)
		http.Error(w, "upstream trouble", code)
		return
	case "truncate":
		// Promise more than is sent: the client sees an unexpected EOF.
		rec := &recorder{h: http.Header{}}
		u.serve(u, rec, r, n)
		for k, v := range rec.h {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(rec.body)))
		w.WriteHeader(http.StatusOK)
		w.Write(rec.body[:len(rec.body)/2])
		return
	}
	u.serve(u, w, r, n)
}

// recorder captures a response to cut it short.
type recorder struct {
	h    http.Header
	body []byte
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { r.body = append(r.body, b...); return len(b), nil }
func (r *recorder) WriteHeader(int)             {}

// text is the hand-made text of post i.
func text(i int) string { return fmt.Sprintf("منشور تجريبي مختلق رقم %d", i) }

// telegramUpstream serves a channel's web preview, 20 posts a page, the
// newest last, older pages behind ?before=.
func telegramUpstream(t *testing.T) *upstream {
	return &upstream{t: t, kind: collect.TelegramWeb, path: "/s/fake_live_chan", serve: func(u *upstream, w http.ResponseWriter, r *http.Request, n int) {
		hi := n
		if b, err := strconv.Atoi(r.URL.Query().Get("before")); err == nil {
			hi = min(n, b-1)
		}
		lo := max(1, hi-19)
		var sb strings.Builder
		sb.WriteString(`<!DOCTYPE html><!-- hand-made, after the t.me/s structure --><html><head><meta property="og:title" content="قناة حية مختلقة"></head><body><section class="tgme_channel_history">`)
		if lo > 1 {
			fmt.Fprintf(&sb, `<div class="tgme_widget_message_centered js-messages_more_wrap"><a href="/s/fake_live_chan?before=%d" class="tme_messages_more js-messages_more" data-before="%d"></a></div>`, lo, lo)
		}
		for i := lo; i <= hi; i++ {
			fmt.Fprintf(&sb, `<div class="tgme_widget_message_wrap"><div class="tgme_widget_message js-widget_message" data-post="fake_live_chan/%d"><div class="tgme_widget_message_text js-message_text" dir="auto">%s</div><div class="tgme_widget_message_info"><span class="tgme_widget_message_views">%d</span><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/fake_live_chan/%d"><time datetime="%s"></time></a></span></div></div></div>`,
				i, html.EscapeString(text(i)), i*10, i, u.postedAt(i).Format(time.RFC3339))
		}
		sb.WriteString(`</section></body></html>`)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(sb.String()))
	}}
}

// feedUpstream serves an RSS feed of the newest 30 posts with an ETag.
func feedUpstream(t *testing.T) *upstream {
	return &upstream{t: t, kind: collect.Feed, path: "/rss.xml", serve: func(u *upstream, w http.ResponseWriter, r *http.Request, n int) {
		etag := fmt.Sprintf(`"v%d"`, n)
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		var sb strings.Builder
		sb.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>موقع أخبار مختلق</title><link>https://news.example.invalid/</link><language>ar</language>`)
		for i := n; i >= max(1, n-29); i-- {
			fmt.Fprintf(&sb, `<item><title>خبر %d</title><link>https://news.example.invalid/a/%d</link><guid>https://news.example.invalid/a/%d</guid><pubDate>%s</pubDate><description>%s</description></item>`,
				i, i, i, u.postedAt(i).Format(time.RFC1123Z), html.EscapeString(text(i)))
		}
		sb.WriteString(`</channel></rss>`)
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(sb.String()))
	}}
}

// webUpstream serves a forum thread page with the newest 30 replies.
func webUpstream(t *testing.T) *upstream {
	return &upstream{t: t, kind: collect.Web, path: "/thread/7", selector: "div.reply", serve: func(u *upstream, w http.ResponseWriter, r *http.Request, n int) {
		var sb strings.Builder
		sb.WriteString(`<html><head><title>موضوع مختلق</title></head><body>`)
		for i := max(1, n-29); i <= n; i++ {
			fmt.Fprintf(&sb, `<div class="reply" id="r%d"><span class="author">عضو</span><p>%s</p></div>`, i, html.EscapeString(text(i)))
		}
		sb.WriteString(`</body></html>`)
		w.Write([]byte(sb.String()))
	}}
}

// readShared reads a file of the shared data sets, skipping the test when
// they are absent.
func readShared(t *testing.T, rel ...string) []byte {
	p := shareddata.Path(rel...)
	if p == "" {
		t.Skipf("shared data %s is absent (../shared/data)", strings.Join(rel, "/"))
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rocketUpstream serves channels.history as Rocket.Chat does, its messages
// made from the first message of the API spec's real example: oldest,
// inclusive, count and sort honoured; X-User-Id and X-Auth-Token checked.
func rocketUpstream(t *testing.T) *upstream {
	var example struct {
		Messages []map[string]any `json:"messages"`
	}
	if err := json.Unmarshal(readShared(t, "rocketchat-openapi", "example_channels_history.json"), &example); err != nil || len(example.Messages) == 0 {
		t.Fatalf("rocket.chat example: %v", err)
	}
	tmpl := example.Messages[0]
	return &upstream{t: t, kind: collect.RocketChat, path: "/channel/ByehQjC44FwMeiLbX", serve: func(u *upstream, w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Path != "/api/v1/channels.history" || r.Header.Get("X-User-Id") != "bot-user" || r.Header.Get("X-Auth-Token") != "s3cret" {
			http.Error(w, `{"success":false,"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		q := r.URL.Query()
		if q.Get("roomId") != "ByehQjC44FwMeiLbX" || q.Get("sort") != `{"ts":1}` {
			http.Error(w, `{"success":false}`, http.StatusBadRequest)
			return
		}
		count, _ := strconv.Atoi(q.Get("count"))
		var oldest time.Time
		if s := q.Get("oldest"); s != "" {
			oldest, _ = time.Parse(time.RFC3339, s)
		}
		var msgs []map[string]any
		for i := 1; i <= n && len(msgs) < count; i++ {
			at := u.postedAt(i)
			if at.Before(oldest) || (at.Equal(oldest) && q.Get("inclusive") != "true") {
				continue
			}
			m := map[string]any{}
			for k, v := range tmpl {
				m[k] = v
			}
			m["_id"], m["msg"], m["ts"], m["_updatedAt"] = fmt.Sprintf("msg%014d", i), text(i), at.Format("2006-01-02T15:04:05.000Z"), at.Format("2006-01-02T15:04:05.000Z")
			msgs = append(msgs, m)
		}
		sort.SliceStable(msgs, func(a, b int) bool { return msgs[a]["ts"].(string) < msgs[b]["ts"].(string) })
		json.NewEncoder(w).Encode(map[string]any{"messages": msgs, "count": len(msgs), "offset": 0, "total": n, "success": true})
	}}
}

// xUpstream serves X API v2 recent search as X does, its tweets made from
// a real twarc page (data, includes with users and media): newest first,
// since_id, next_token, max_results honoured; the bearer token checked.
func xUpstream(t *testing.T) *upstream {
	line, _, _ := strings.Cut(string(readShared(t, "x-api-v2-twarc", "media_tweet.jsonl")), "\n")
	var real struct {
		Data     []map[string]any `json:"data"`
		Includes json.RawMessage  `json:"includes"`
	}
	if err := json.Unmarshal([]byte(line), &real); err != nil || len(real.Data) == 0 {
		t.Fatalf("twarc page: %v", err)
	}
	tmpl := real.Data[0]
	// The page's included tweet is a post of its own: left out, so that
	// the test counts only the tweets it publishes.
	var inc map[string]json.RawMessage
	if err := json.Unmarshal(real.Includes, &inc); err != nil {
		t.Fatal(err)
	}
	delete(inc, "tweets")
	real.Includes, _ = json.Marshal(inc)
	const base = 1800000000000000000
	return &upstream{t: t, kind: collect.XAPI, path: "/2/tweets/search/recent?query=%D8%AA%D8%AC%D8%B1%D9%8A%D8%A8", serve: func(u *upstream, w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, `{"title":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		q := r.URL.Query()
		if q.Get("query") == "" || !strings.Contains(q.Get("expansions"), "author_id") {
			http.Error(w, `{"title":"Invalid Request"}`, http.StatusBadRequest)
			return
		}
		size, _ := strconv.Atoi(q.Get("max_results"))
		size = min(size, 25) // smaller pages than asked, as X may send
		since := int64(0)
		if s := q.Get("since_id"); s != "" {
			v, _ := strconv.ParseInt(s, 10, 64)
			since = v - base
		}
		hi := n
		if tok := q.Get("next_token"); tok != "" {
			hi, _ = strconv.Atoi(strings.TrimPrefix(tok, "tok"))
		}
		var data []map[string]any
		i := hi
		for ; i > int(since) && len(data) < size; i-- {
			tw := map[string]any{}
			for k, v := range tmpl {
				tw[k] = v
			}
			id := strconv.FormatInt(base+int64(i), 10)
			tw["id"], tw["text"], tw["created_at"], tw["edit_history_tweet_ids"] = id, text(i), u.postedAt(i).Format("2006-01-02T15:04:05.000Z"), []string{id}
			delete(tw, "entities")
			data = append(data, tw)
		}
		meta := map[string]any{"result_count": len(data)}
		if len(data) > 0 {
			meta["newest_id"], meta["oldest_id"] = data[0]["id"], data[len(data)-1]["id"]
		}
		if i > int(since) && len(data) > 0 {
			meta["next_token"] = "tok" + strconv.Itoa(i)
		}
		page := map[string]any{"meta": meta}
		if len(data) > 0 {
			page["data"], page["includes"] = data, real.Includes
		}
		json.NewEncoder(w).Encode(page)
	}}
}
