package app

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// feedServer serves an RSS feed whose items are texts; the first is a
// fictional supporter post that links a (fictional) Telegram channel.
func feedServer(t *testing.T, texts *atomic.Pointer[[]string]) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>موجز مختلق</title><link>https://news.example.invalid/</link><language>ar</language>`)
		for i, txt := range *texts.Load() {
			fmt.Fprintf(&b, `<item><title>%d</title><guid>https://news.example.invalid/%d</guid><pubDate>%s</pubDate><description>%s</description></item>`,
				i, i, time.Now().UTC().Format(time.RFC1123Z), html.EscapeString(txt))
		}
		b.WriteString(`</channel></rss>`)
		w.Write([]byte(b.String()))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestCollectIntoServe adds a feed to a running `raqib serve` from the
// command line: its posts are committed through the queue and the worker
// (detection runs: the supporter post is flagged and the channel it links
// is proposed), new items follow, `source test` stores nothing, and every
// change is audited.
func TestCollectIntoServe(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the collection round trip through serve takes seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var texts atomic.Pointer[[]string]
	first := []string{originals[0] + " https://t.me/fake_found_chan", "خبر محلي عادي عن الطقس في المدينة"}
	texts.Store(&first)
	feed := feedServer(t, &texts)

	srv := testConfig(t, "serve", "--addr", "127.0.0.1:0", "--fetch-allow", "127.0.0.1")
	serveCtx, stopServe := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- Run(serveCtx, "serve", srv) }()
	defer func() {
		stopServe()
		if err := <-served; err != nil {
			t.Errorf("serve: %v\n%s", err, srv.Stderr)
		}
	}()
	waitShared(t, srv, served)
	cli := func(args ...string) string {
		t.Helper()
		c := testConfig(t, append([]string{"source"}, append(args, "--fetch-allow", "127.0.0.1")...)...)
		c.Data = srv.Data
		if err := Run(ctx, "source", c); err != nil {
			t.Fatalf("source %v: %v\n%s", args, err, c.Stderr)
		}
		return c.Stdout.(*bytes.Buffer).String() + c.Stderr.(*bytes.Buffer).String()
	}
	if out := cli("test", feed.URL, "--kind", "feed"); !strings.Contains(out, "2 posts would be imported") || !strings.Contains(out, "خبر محلي") {
		t.Errorf("source test printed:\n%s", out)
	}
	st, err := openStore(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if stats, _ := st.Stats(ctx); stats.Posts != 0 {
		t.Fatalf("source test stored %d posts", stats.Posts)
	}
	cli("add", feed.URL, "--kind", "feed", "--every", "10s")
	id := post.SourceID(collect.Feed, feed.URL)
	waitPosts := func(n int64) {
		t.Helper()
		for {
			stats, err := st.Stats(ctx)
			if err == nil && stats.Posts == n {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%d posts stored, want %d: %v\n%s", stats.Posts, n, err, srv.Stderr)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	waitPosts(2)
	stats, _ := st.Stats(ctx)
	if stats.Violating != 1 {
		t.Errorf("%d violating, want the supporter post flagged by the worker", stats.Violating)
	}
	coll := st.(store.Collection)
	for {
		props, err := coll.Proposals(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(props) == 1 && props[0].Location == "https://t.me/s/fake_found_chan" && props[0].Posts == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("proposals = %+v", props)
		case <-time.After(100 * time.Millisecond):
		}
	}
	more := append(first, "خبر ثالث جديد عن افتتاح مكتبة")
	texts.Store(&more)
	waitPosts(3)
	if out := cli("list"); !strings.Contains(out, id) || !strings.Contains(out, " ok ") {
		t.Errorf("source list:\n%s", out)
	}
	cli("pause", id)
	cli("remove", feed.URL)
	entries, err := st.AuditEntries(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "source.add source.pause source.remove" {
		t.Errorf("audited %q", got)
	}
}
