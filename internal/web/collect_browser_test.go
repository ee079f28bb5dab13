package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/collect/feed"
	"github.com/raqib-project/raqib/internal/fetch"
)

// TestBrowserAddFeed adds a feed on the sources page of a real browser: the
// form posts (same-origin, CSRF field included), the running collector
// picks the source up without a restart, and its items appear on the posts
// page.
func TestBrowserAddFeed(t *testing.T) {
	bin := browser(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const item = "خبر مختلق من موجز أضيف من الواجهة"
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>موجز الواجهة</title><link>https://news.example.invalid/</link>
<item><guid>https://news.example.invalid/ui/1</guid><description>%s</description></item></channel></rss>`, item)
	}))
	defer feedSrv.Close()

	st := tempStore(t)
	c := collect.New(collect.Config{
		Store:      st,
		Connectors: collect.Connectors{collect.Feed: feed.Connector{}},
		Env:        collect.Env{Client: fetch.New(fetch.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})},
		Commit:     st.SavePosts, Tick: 100 * time.Millisecond, Log: slog.New(slog.DiscardHandler),
	})
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	srv := httptest.NewServer(New(Options{Store: st, Collection: st, Hooks: c, Authenticate: asAdmin, CSRFToken: func(*http.Request) string { return "tok" }}))
	defer srv.Close()

	d := openDevtools(t, bin, srv.URL+"/sources", "ar")
	d.waitFor(`document.readyState === "complete" && document.getElementById("add-source") !== null`)
	d.eval(`const f = document.getElementById("add-source");
		f.querySelector("select[name=kind]").value = "feed";
		f.querySelector("input[name=location]").value = ` + strconv.Quote(feedSrv.URL+"/rss") + `;
		f.querySelector("input[name=every]").value = "10s";
		f.querySelector("button[type=submit]").click(); true`)
	d.waitFor(`location.search.startsWith("?added=") && document.getElementById("watched") !== null`)
	// The posts page, reloaded until the collector has read the feed.
	d.eval(`location.href = "/"; true`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if d.eval(`document.readyState === "complete" && document.body.innerText.includes(`+strconv.Quote(item)+`)`) == "true" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feed's item never appeared on the posts page")
		}
		time.Sleep(300 * time.Millisecond)
		d.eval(`location.reload(); true`)
		time.Sleep(300 * time.Millisecond)
	}
	srcs, err := st.Watched(ctx, time.Now())
	if err != nil || len(srcs) != 1 || srcs[0].Watch.AddedBy != "test-admin" || srcs[0].Watch.LastSuccess.IsZero() {
		t.Fatalf("watched = %+v, %v", srcs, err)
	}
}
