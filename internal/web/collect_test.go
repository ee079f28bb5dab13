package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// collectRig is a web handler over a real store with a real collector
// whose commit is the store's batch save.
func collectRig(t *testing.T, role auth.Role) (*sqlite.Store, *collect.Collector, http.Handler) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := collect.New(collect.Config{
		Store: st, Env: collect.Env{Getenv: func(k string) string { return map[string]string{"PARTNER_SECRET": "s3cret"}[k] }},
		Commit: st.SavePosts, Log: slog.New(slog.DiscardHandler),
	})
	return st, c, New(Options{Store: st, Collection: st, Hooks: c, Authenticate: as(role), Now: func() time.Time { return testNow }})
}

// TestHookSignature: the webhook route is open to sessions, so its guard
// is the signature: unsigned, badly signed and unknown hooks are refused
// with the same 401, and a signed push is stored.
func TestHookSignature(t *testing.T) {
	ctx := context.Background()
	st, c, _ := collectRig(t, auth.Analyst)
	src, err := collect.NewSource(collect.Webhook, "partner-a", collect.Options{TokenEnv: "PARTNER_SECRET"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Watch(ctx, src); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"text":"منشور مدفوع من شريك (مختلق)","id":"p1","platform":"web","channel":{"platform":"web","id":"partner-a"}}` + "\n")
	push := func(id, sig string) int {
		req := httptest.NewRequest("POST", "/hooks/"+id, strings.NewReader(string(body)))
		if sig != "" {
			req.Header.Set(collect.SignatureHeader, sig)
		}
		rec := httptest.NewRecorder()
		// No authenticator at all: a push carries no session.
		New(Options{Store: st, Collection: st, Hooks: c}).ServeHTTP(rec, req)
		return rec.Code
	}
	for name, tc := range map[string]struct {
		id, sig string
	}{
		"unsigned":     {src.ID, ""},
		"bad":          {src.ID, "sha256=00"},
		"other secret": {src.ID, collect.Sign([]byte("guess"), body)},
		"unknown":      {"0123456789abcdef", collect.Sign([]byte("s3cret"), body)},
	} {
		if code := push(tc.id, tc.sig); code != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, code)
		}
	}
	if stats, _ := st.Stats(ctx); stats.Posts != 0 {
		t.Fatalf("refused pushes stored %d posts", stats.Posts)
	}
	if code := push(src.ID, collect.Sign([]byte("s3cret"), body)); code != http.StatusOK {
		t.Fatalf("signed push: %d", code)
	}
	if stats, _ := st.Stats(ctx); stats.Posts != 1 {
		t.Fatalf("signed push stored %d posts, want 1", stats.Posts)
	}
}

// TestSourcesManage adds, pauses, resumes and removes a source through the
// forms, accepts and dismisses proposals; every change is audited with the
// signed-in user, and a bad source is refused with the reason.
func TestSourcesManage(t *testing.T) {
	ctx := context.Background()
	st, _, h := collectRig(t, auth.Admin)
	rec := postForm(h, "/sources", url.Values{"kind": {"feed"}, "location": {"https://news.example.invalid/rss"}, "every": {"5m"}, "token_env": {"FEED_TOKEN"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("add: %d %s", rec.Code, rec.Body)
	}
	id := post.SourceID("feed", "https://news.example.invalid/rss")
	src, err := st.WatchedSource(ctx, id, testNow)
	if err != nil || src.Watch.Every != 5*time.Minute || src.Watch.TokenEnv != "FEED_TOKEN" || src.Watch.AddedBy != "test-admin" {
		t.Fatalf("added: %+v %v", src.Watch, err)
	}
	for _, bad := range []url.Values{
		{"kind": {"feed"}, "location": {"file:///etc/passwd"}},
		{"kind": {"web"}, "location": {"https://forum.example.invalid/"}},
		{"kind": {"feed"}, "location": {"https://news.example.invalid/x"}, "every": {"soon"}},
	} {
		if rec := postForm(h, "/sources", bad); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "role=\"alert\"") {
			t.Errorf("bad source %v: %d", bad, rec.Code)
		}
	}
	for _, step := range []struct {
		target string
		form   url.Values
		check  func(post.Source, error) bool
	}{
		{"/sources/" + id + "/paused", url.Values{"paused": {"1"}}, func(s post.Source, err error) bool { return err == nil && s.Watch.Paused }},
		{"/sources/" + id + "/paused", url.Values{"paused": {"0"}}, func(s post.Source, err error) bool { return err == nil && !s.Watch.Paused }},
		{"/sources/" + id + "/remove", nil, func(s post.Source, err error) bool { return err != nil }},
	} {
		if rec := postForm(h, step.target, step.form); rec.Code != http.StatusSeeOther {
			t.Fatalf("%s: %d", step.target, rec.Code)
		}
		if !step.check(st.WatchedSource(ctx, id, testNow)) {
			t.Fatalf("%s %v: not applied", step.target, step.form)
		}
	}
	if rec := postForm(h, "/sources/"+id+"/paused", url.Values{"paused": {"1"}}); rec.Code != http.StatusNotFound {
		t.Errorf("pause a removed source: %d", rec.Code)
	}
	if err := st.Propose(ctx, []store.Pointer{
		{Kind: collect.TelegramWeb, Location: "https://t.me/s/fake_found_chan", PostKey: "telegram:x:1", At: testNow},
		{Kind: collect.Invite, Location: "https://t.me/+AbC", PostKey: "telegram:x:1", At: testNow},
	}); err != nil {
		t.Fatal(err)
	}
	page := httptest.NewRecorder()
	h.ServeHTTP(page, httptest.NewRequest("GET", "/sources?lang=en", nil))
	for _, want := range []string{"https://t.me/s/fake_found_chan", "Invite link: no public reader", `action="/sources"`, "Proposed sources"} {
		if !strings.Contains(page.Body.String(), want) {
			t.Errorf("sources page lacks %q", want)
		}
	}
	chanID := post.SourceID(collect.TelegramWeb, "https://t.me/s/fake_found_chan")
	if rec := postForm(h, "/proposals/"+chanID+"/accept", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", rec.Code, rec.Body)
	}
	if _, err := st.WatchedSource(ctx, chanID, testNow); err != nil {
		t.Fatalf("accepted proposal not watched: %v", err)
	}
	if rec := postForm(h, "/proposals/"+post.SourceID(collect.Invite, "https://t.me/+AbC")+"/drop", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("drop: %d", rec.Code)
	}
	if props, _ := st.Proposals(ctx, 0); len(props) != 0 {
		t.Errorf("proposals left: %+v", props)
	}
	entries, err := st.AuditEntries(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if e.Actor != "test-admin" {
			t.Errorf("entry %s by %q", e.Action, e.Actor)
		}
		if strings.Contains(string(e.After)+string(e.Before), "s3cret") {
			t.Errorf("a secret in the audit trail: %s", e.After)
		}
		actions = append(actions, e.Action)
	}
	want := "source.add source.pause source.resume source.remove source.accept source.proposal.drop"
	if strings.Join(actions, " ") != want {
		t.Errorf("audited %q, want %q", actions, want)
	}
}
