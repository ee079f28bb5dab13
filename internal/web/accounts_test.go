package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/account"
	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// accountFixture is a store with a removed supporter's account (a1), its
// re-creation (a2, same invite link), an innocent look-alike and a
// channel they post in, with a1's successors proposed. Hand-made.
type accountFixture struct {
	st *sqlite.Store
	h  func(role auth.Role) http.Handler
}

func newAccountFixture(t testing.TB) accountFixture {
	t.Helper()
	ctx := context.Background()
	st := tempStore(t)
	mk := func(id, author, handle, name string, at time.Time, violating bool, text string, links ...string) post.Post {
		p := post.Post{Platform: post.Telegram, ID: id, Kind: post.Message,
			Channel: post.Channel{Platform: post.Telegram, ID: "room", Name: "غرفة النقاش"},
			Author:  post.Account{Platform: post.Telegram, ID: author, Handle: handle, DisplayName: name},
			Text:    text, Norm: text, PostedAt: at, Outlinks: links}
		if violating {
			p.Decision = post.Decision{Label: post.Propaganda, Tier: post.TierPromotional, Violating: true, Entity: "isis"}
		}
		return p
	}
	var ps []post.Post
	for d := range 12 {
		ps = append(ps, mk(fmt.Sprint("a", d), "a1", "abu_muhammad_shami", "أبو محمد الشامي", testNow.Add(-time.Duration(40-d)*24*time.Hour), d%2 == 0,
			"نص تجريبي مكتوب يدويا رقم "+fmt.Sprint(d), "https://t.me/+Inv1te"))
	}
	ps = append(ps,
		mk("i1", "inn", "mohammed_ali", "محمد علي", testNow.Add(-30*24*time.Hour), false, "صباح الخير", "https://www.youtube.com/watch?v=1"),
		mk("s1", "a2", "abumuhammad_shami_7", "أبو محمد الشامي", testNow.Add(-24*time.Hour), true, "نص تجريبي مكتوب يدويا رقم 0", "t.me/+Inv1te"),
		mk("s2", "a2", "abumuhammad_shami_7", "أبو محمد الشامي", testNow.Add(-23*time.Hour), false, "<script>alert('xss')</script>"),
	)
	ps[len(ps)-1].ForwardFrom = "official_outlet"
	ps[len(ps)-1].Mentions = []string{"@mohammed_ali"}
	if _, err := st.SavePosts(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if err := st.NoteLinks(ctx, account.PostedLinks(ps, testNow)); err != nil {
		t.Fatal(err)
	}
	reg := &account.Registry{Store: st, Now: func() time.Time { return testNow }}
	if _, err := reg.SetStatus(ctx, account.Actor{User: "amal"}, store.StatusChange{Account: store.AccountRef{Platform: post.Telegram, ID: "a1"},
		Status: store.StatusRemoved, Source: "analyst", Evidence: "t.me/abu_muhammad_shami: this account no longer exists", At: testNow.Add(-3 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return accountFixture{st: st, h: func(role auth.Role) http.Handler {
		return New(Options{Authenticate: as(role), Store: st, Version: "test", Now: func() time.Time { return testNow },
			Accounts: &account.Registry{Store: st, Now: func() time.Time { return testNow }}})
	}}
}

func TestAccountPages(t *testing.T) {
	f := newAccountFixture(t)
	h := f.h(auth.Analyst)
	for _, tc := range []struct {
		name, target string
		status       int
		want         []string
	}{
		{"account", "/accounts/telegram/a1", 200, []string{"abu_muhammad_shami", "this account no longer exists", "acctstatus-removed", "<svg", "Inv1te", "abumuhammad_shami_7"}},
		{"successor account", "/accounts/telegram/a2", 200, []string{"official_outlet", "telegram/inn", "&lt;script&gt;"}},
		{"missing account", "/accounts/telegram/nobody", 404, nil},
		{"channel", "/channels/telegram/room", 200, []string{"غرفة النقاش", "<svg", "/accounts/telegram/a1"}},
		{"queue", "/successors", 200, []string{"abumuhammad_shami_7", `value="confirm"`, "Inv1te"}},
		{"queue bad status", "/successors?status=maybe", 400, nil},
		{"overview", "/overview", 200, []string{"<svg", "official_outlet", "Inv1te"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := get(t, h, tc.target)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d\n%s", w.Code, tc.status, w.Body.String())
			}
			for _, s := range tc.want {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("page lacks %q", s)
				}
			}
			if strings.Contains(w.Body.String(), "<script>alert") {
				t.Error("a post's script is live on the page")
			}
		})
	}
	if w := get(t, f.h(auth.Auditor), "/successors"); w.Code != 200 || strings.Contains(w.Body.String(), `value="confirm"`) {
		t.Errorf("an auditor sees the decision buttons (status %d)", w.Code)
	}
}

func TestSuccessorDecisionAndStatus(t *testing.T) {
	ctx := context.Background()
	f := newAccountFixture(t)
	queue, err := f.st.SuccessorLinks(ctx, store.LinkProposed, 10)
	if err != nil || len(queue) == 0 || queue[0].To.ID != "a2" {
		t.Fatalf("queue %+v, %v: want a2 first", queue, err)
	}
	target := fmt.Sprintf("/successors/%d/decision", queue[0].ID)
	if w := send(t, f.h(auth.Auditor), target, "decision=confirm"); w.Code != http.StatusForbidden {
		t.Errorf("auditor's decision: status %d, want 403", w.Code)
	}
	if w := send(t, f.h(auth.Analyst), target, "decision=maybe"); w.Code != http.StatusBadRequest {
		t.Errorf("bad decision: status %d, want 400", w.Code)
	}
	if w := send(t, f.h(auth.Analyst), target, "decision=confirm"); w.Code != http.StatusSeeOther {
		t.Fatalf("confirm: status %d\n%s", w.Code, w.Body.String())
	}
	if w := send(t, f.h(auth.Analyst), target, "decision=reject"); w.Code != http.StatusBadRequest {
		t.Errorf("second decision: status %d, want 400", w.Code)
	}
	cases, err := f.st.Cases(ctx, post.CaseOpen, 10)
	if err != nil || len(cases) != 1 || !strings.HasPrefix(cases[0].PostKey, "telegram:room:s") {
		t.Errorf("cases %+v, %v: want one for a2's newest post", cases, err)
	}
	w := get(t, f.h(auth.Analyst), "/api/accounts/telegram/a2")
	var got struct {
		Lineage []store.AccountRef `json:"lineage"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Lineage) != 2 || got.Lineage[0].ID != "a1" {
		t.Errorf("lineage %+v, %v", got.Lineage, err)
	}
	form := url.Values{"platform": {"telegram"}, "id": {"inn"}, "status": {"referred"}, "evidence": {"report #12 to the platform"}}
	if w := send(t, f.h(auth.Analyst), "/accounts/status", form.Encode()); w.Code != http.StatusSeeOther {
		t.Fatalf("status change: %d\n%s", w.Code, w.Body.String())
	}
	for _, bad := range []url.Values{
		{"platform": {"telegram"}, "id": {"inn"}, "status": {"gone"}, "evidence": {"x"}},
		{"platform": {"telegram"}, "id": {"inn"}, "status": {"removed"}},
		{"platform": {"telegram"}, "id": {"nobody"}, "status": {"removed"}, "evidence": {"x"}},
	} {
		if w := send(t, f.h(auth.Analyst), "/accounts/status", bad.Encode()); w.Code != http.StatusBadRequest && w.Code != http.StatusNotFound {
			t.Errorf("bad status change %v: %d", bad, w.Code)
		}
	}
	entries, err := f.st.AuditEntries(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Actor+":"+e.Action)
	}
	if want := "amal:account.status test-analyst:successor.confirm test-analyst:account.status"; strings.Join(actions, " ") != want {
		t.Errorf("audit trail %v, want %s", actions, want)
	}
}

// TestAccountBrowser renders the account pages in Chromium: right to
// left, the SVG charts drawn, nothing refused by the CSP, and screenshots
// (kept when RAQIB_SCREENSHOTS names a folder).
func TestAccountBrowser(t *testing.T) {
	bin := browser(t)
	f := newAccountFixture(t)
	srv := httptest.NewServer(f.h(auth.Analyst))
	defer srv.Close()
	for _, tc := range []struct {
		name, path, lang string
		want             []string
	}{
		{"account", "/accounts/telegram/a1", "ar", []string{`dir="rtl"`, "السلالة", "<polyline"}},
		{"successors", "/successors", "ar", []string{`dir="rtl"`, "مراجعة الحسابات البديلة", "abumuhammad_shami_7"}},
		{"overview", "/overview", "en-US,en", []string{`dir="ltr"`, "Flagged posts by platform", "<polyline"}},
		{"channel", "/channels/telegram/room", "ar", []string{"غرفة النقاش"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dom, log := chromium(t, bin, srv.URL+tc.path, "--dump-dom", "--virtual-time-budget=3000", "--accept-lang="+tc.lang)
			for _, s := range tc.want {
				if !strings.Contains(dom, s) {
					t.Errorf("DOM lacks %q", s)
				}
			}
			for _, line := range strings.Split(log, "\n") {
				if strings.Contains(line, "Content Security Policy") || strings.Contains(line, "Uncaught") {
					t.Errorf("browser: %s", line)
				}
			}
			shot := filepath.Join(t.TempDir(), "account-"+tc.name+".png")
			chromium(t, bin, srv.URL+tc.path, "--screenshot="+shot, "--window-size=1280,1400", "--hide-scrollbars", "--accept-lang="+tc.lang)
			b, err := os.ReadFile(shot)
			if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
				t.Fatalf("no screenshot: %v", err)
			}
			if dir := os.Getenv("RAQIB_SCREENSHOTS"); dir != "" {
				if err := os.WriteFile(filepath.Join(dir, "account-"+tc.name+".png"), b, 0o644); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
