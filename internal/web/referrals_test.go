package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/act/referral"
	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/demo/platform"
	"github.com/raqib-project/raqib/internal/fetch"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
	"github.com/raqib-project/raqib/internal/store/storetest"
)

// referralServer is a store with a confirmed Telegram case (to a webhook
// target) and a confirmed Facebook-like case, here a web form target, and
// the referral service over them.
func referralServer(t *testing.T, approval bool) (*sqlite.Store, *referral.Service, [2]int64) {
	t.Helper()
	ctx := context.Background()
	plat, err := platform.Start(platform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plat.Close() })
	st := tempStore(t)
	var ids [2]int64
	for i := range ids {
		ids[i], _ = storetest.OpenCase(t, st, fmt.Sprint(i+1))
		if err := st.SetCaseStatus(ctx, ids[i], post.CaseConfirmed, post.CaseOpen); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := referral.ParseConfig([]byte(`{"reporter": {"name": "unit"}, "legal_basis": {"ar": "أساس", "en": "basis"}, "targets": [
		{"name": "telegram", "platforms": ["telegram"], "bundle": {"form_url": "https://telegram.example/report"}}]}`), "test.json")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := referral.New(st, cfg, referral.Options{RequireApproval: approval, Owner: "web-test",
		HTTP: fetch.New(fetch.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})})
	if err != nil {
		t.Fatal(err)
	}
	return st, svc, ids
}

func do(t *testing.T, h http.Handler, method, target string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	h.ServeHTTP(rec, req)
	return rec
}

func TestReferralPages(t *testing.T) {
	ctx := context.Background()
	st, svc, ids := referralServer(t, true)
	analyst := New(Options{Store: st, Referrals: svc, Authenticate: as(auth.Analyst)})
	senior := New(Options{Store: st, Referrals: svc, Authenticate: as(auth.Senior)})

	w := do(t, analyst, "GET", "/referrals", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), fmt.Sprintf(`action="/cases/%d/refer"`, ids[0])) {
		t.Fatalf("referrals page %d lacks the refer button:\n%s", w.Code, w.Body)
	}
	if w := do(t, analyst, "POST", "/cases/999/refer", url.Values{}); w.Code != http.StatusNotFound {
		t.Errorf("refer no case: %d, want 404", w.Code)
	}
	open, _ := storetest.OpenCase(t, st, "3")
	if w := do(t, analyst, "POST", fmt.Sprintf("/cases/%d/refer", open), url.Values{}); w.Code != http.StatusConflict {
		t.Errorf("refer a case that is not confirmed: %d, want 409", w.Code)
	}
	if w := do(t, analyst, "POST", fmt.Sprintf("/cases/%d/refer", ids[0]), url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("refer: %d\n%s", w.Code, w.Body)
	}
	rs, err := st.ListReferrals(ctx, store.ReferralFilter{})
	if err != nil || len(rs) != 1 || rs[0].Status != store.ReferralAwaiting || rs[0].CreatedBy != "test-analyst" {
		t.Fatalf("referrals = %+v, %v", rs, err)
	}
	id := rs[0].ID
	page := do(t, analyst, "GET", "/referrals", nil).Body.String()
	if strings.Contains(page, fmt.Sprintf(`action="/referrals/%d/approve"`, id)) {
		t.Error("an analyst is shown the approve button")
	}
	if w := do(t, analyst, "POST", fmt.Sprintf("/referrals/%d/approve", id), url.Values{}); w.Code != http.StatusForbidden {
		t.Errorf("analyst approves: %d, want 403", w.Code)
	}
	page = do(t, senior, "GET", "/referrals?status=awaiting_approval", nil).Body.String()
	if !strings.Contains(page, fmt.Sprintf(`action="/referrals/%d/approve"`, id)) {
		t.Errorf("the senior is not shown the approve button:\n%s", page)
	}
	if w := do(t, senior, "POST", fmt.Sprintf("/referrals/%d/approve", id), url.Values{}); w.Code != http.StatusSeeOther {
		t.Fatalf("senior approves: %d\n%s", w.Code, w.Body)
	}
	if n, err := svc.SendOnce(ctx); err != nil || n != 1 {
		t.Fatalf("SendOnce = %d, %v", n, err)
	}
	// A web-form referral: the page shows each text with a copy button.
	w = do(t, analyst, "GET", fmt.Sprintf("/referrals/%d", id), nil)
	body := w.Body.String()
	for _, want := range []string{`data-copy="ref-text-ar"`, `data-copy="ref-text-en"`, `/static/referrals.js`, "https://telegram.example/report", rs[0].EvidenceHash, "أساس", fmt.Sprintf(`action="/referrals/%d/submit"`, id)} {
		if !strings.Contains(body, want) {
			t.Errorf("referral page lacks %q", want)
		}
	}
	if m := inlineCode.FindString(body); m != "" {
		t.Errorf("inline code on the referral page: %q", m)
	}
	csv := do(t, analyst, "GET", "/referrals/bundle.csv", nil)
	if !strings.Contains(csv.Body.String(), "https://t.me/test/1") || !strings.HasPrefix(csv.Header().Get("Content-Type"), "text/csv") {
		t.Errorf("bundle CSV:\n%s", csv.Body)
	}
	if w := do(t, analyst, "POST", fmt.Sprintf("/referrals/%d/submit", id), url.Values{"ticket": {"TG-3"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("submit: %d\n%s", w.Code, w.Body)
	}
	if w := do(t, analyst, "POST", fmt.Sprintf("/referrals/%d/reply", id), url.Values{"text": {"أزيل المحتوى"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("reply: %d\n%s", w.Code, w.Body)
	}
	r, replies, err := st.Referral(ctx, id)
	if err != nil || r.Status != store.ReferralSent || r.Ticket != "TG-3" || len(replies) != 1 {
		t.Errorf("after submit and reply: %+v %+v %v", r, replies, err)
	}
	es, _ := st.AuditEntries(ctx, store.AuditFilter{})
	var actions []string
	for _, e := range es {
		actions = append(actions, e.Actor+":"+e.Action)
	}
	want := "test-analyst:referral.create test-senior:referral.approve raqib:referral.send test-analyst:referral.submit test-analyst:referral.reply"
	if strings.Join(actions, " ") != want {
		t.Errorf("audit = %v, want %s", actions, want)
	}
	if w := do(t, analyst, "GET", "/referrals?lang=en", nil); w.Code != 200 || !strings.Contains(w.Body.String(), "Referrals to platforms") {
		t.Errorf("English page: %d", w.Code)
	}
}

func TestReferralPagesOff(t *testing.T) {
	h := newTestHandler(t)
	if w := get(t, h, "/referrals"); w.Code != 200 || !strings.Contains(w.Body.String(), "raqib serve --referrals") {
		t.Errorf("referrals page without referrals: %d", w.Code)
	}
	if w := get(t, h, "/referrals/1"); w.Code != http.StatusNotFound {
		t.Errorf("a referral without referrals: %d, want 404", w.Code)
	}
}
