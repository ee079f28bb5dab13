package web

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// caseOnPage is the id of the case page the tab shows, 0 elsewhere.
func caseOnPage(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	id := tabRun(t, ctx, chromedp.Evaluate[string](`(document.getElementById("case") || {dataset: {case: "0"}}).dataset.case`))
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

// waitForCase waits until the tab shows a case page other than not.
func waitForCase(t *testing.T, ctx context.Context, not int64) int64 {
	t.Helper()
	waitUntil(t, ctx, `document.readyState === "complete" && document.getElementById("case") !== null && document.getElementById("case").dataset.case !== "`+strconv.FormatInt(not, 10)+`"`)
	return caseOnPage(t, ctx)
}

// TestBrowserReviewLoop works cases end to end in a real browser, in
// Arabic and in English, as an analyst signed in through the login page
// (a server-side session, and its CSRF token in every form): opens the
// queue, picks the first case with j and Enter, confirms it with c,
// dismisses the next with d and a reason, escalates the next with e (each
// key going on to the next case of the queue), then dismisses the 200
// campaign cases a search finds in one bulk action. Screenshots of the
// queue, a case and the bulk result are kept as test artefacts.
func TestBrowserReviewLoop(t *testing.T) {
	alloc := newChromedp(t)
	const reviewer = "layla"
	for _, tc := range []struct{ lang, dir string }{{"ar", "rtl"}, {"en", "ltr"}} {
		t.Run(tc.lang, func(t *testing.T) {
			// Three cases are worked one by one; at least 200 of the
			// campaign's are left for the bulk action.
			st := reviewStore(t, 203)
			addUser(t, st, reviewer, auth.Analyst)
			srv := httptest.NewServer(New(Options{Store: st, Users: st, Version: "test", Now: func() time.Time { return testNow },
				Argon2: cheapArgon, Hosts: []string{"127.0.0.1"}}))
			defer srv.Close()
			ctx := newTab(t, alloc, 3*time.Minute)
			eval := func(expr string) string {
				t.Helper()
				return string(tabRun(t, ctx, chromedp.Evaluate[json.RawMessage](expr)))
			}
			key := func(k string) {
				t.Helper()
				tabDo(t, ctx, chromedp.KeyEvent(k))
			}

			tabDo(t, ctx, openLogin(srv.URL, tc.lang, "/cases"), submitLogin(reviewer, testPassword))
			waitUntil(t, ctx, `document.readyState === "complete" && location.pathname === "/cases" && document.querySelectorAll("tr.case-row").length > 0`)
			if got := eval(`[document.documentElement.lang, document.documentElement.dir]`); got != `["`+tc.lang+`","`+tc.dir+`"]` {
				t.Errorf("lang, dir = %s", got)
			}
			screenshot(t, ctx, "queue-"+tc.lang)

			key("j")
			waitUntil(t, ctx, `document.querySelector("tr.case-row.selected") === document.querySelector("tr.case-row")`)
			key("\r")
			first := waitForCase(t, ctx, 0)
			waitUntil(t, ctx, `document.querySelector("#form-confirm select[name=label]") !== null`)
			screenshot(t, ctx, "case-"+tc.lang)

			key("c")
			second := waitForCase(t, ctx, first)
			key("d")
			waitUntil(t, ctx, `document.activeElement === document.querySelector("#form-dismiss select")`)
			eval(`document.querySelector("#form-dismiss select").value = "counter_speech"; true`)
			key("\r")
			third := waitForCase(t, ctx, second)
			key("e")
			waitForCase(t, ctx, third)

			bg := context.Background()
			for _, want := range []struct {
				id     int64
				status post.CaseStatus
				check  func(post.Case) bool
			}{
				{first, post.CaseConfirmed, func(c post.Case) bool { return c.Approval == post.ApprovalPending && c.DecidedBy == reviewer }},
				{second, post.CaseDismissed, func(c post.Case) bool { return c.Dismissal == post.DismissCounterSpeech && c.DecidedBy == reviewer }},
				{third, post.CaseOpen, func(c post.Case) bool { return c.Escalated }},
			} {
				c, err := st.Case(bg, want.id)
				if err != nil || c.Status != want.status || !want.check(c) {
					t.Errorf("case %d after the review loop: %+v (%v), want %s", want.id, c, err, want.status)
				}
			}

			eval(`location.href = "/cases/bulk?q=` + url.QueryEscape(campaignWord) + `"; true`)
			waitUntil(t, ctx, `document.readyState === "complete" && document.getElementById("bulk-count") !== null`)
			count, _ := strconv.Atoi(eval(`+document.getElementById("bulk-count").textContent`))
			if count < 200 {
				t.Fatalf("the search found %d open cases, want at least 200", count)
			}
			eval(`document.querySelector("#bulk-form select[name=dismissal]").value = "duplicate"; document.querySelector("#bulk-form button[value=dismiss]").click(); true`)
			waitUntil(t, ctx, `document.readyState === "complete" && document.getElementById("bulk-done") !== null`)
			done, _ := strconv.Atoi(eval(`+document.getElementById("bulk-done").textContent`))
			// The escalated case waits for a senior: the analyst's bulk
			// action skips it, and says so.
			escalated := 0
			if c, _ := st.Case(bg, third); isCampaign(c) {
				escalated = 1
			}
			if done != count-escalated || done < 200 {
				t.Errorf("bulk dismissed %d of %d (%d escalated)", done, count, escalated)
			}
			if escalated == 1 && eval(`document.querySelector(".failed a").getAttribute("href")`) != `"/cases/`+strconv.FormatInt(third, 10)+`"` {
				t.Error("the refused escalated case is not listed")
			}
			screenshot(t, ctx, "bulk-"+tc.lang)
			all, err := st.AuditEntries(bg, store.AuditFilter{Limit: 1000})
			au, reads := decisionsIn(all)
			if reads < 3 {
				t.Errorf("%d reads of cases audited, want one per case page shown", reads)
			}
			logins, decided := 0, 0
			for _, e := range au {
				switch {
				case e.Actor != reviewer:
					t.Errorf("audit entry by %q: %+v", e.Actor, e)
				case e.Action == "login":
					logins++
				case strings.HasPrefix(e.Action, "case."):
					decided++
				}
			}
			if err != nil || logins != 1 || decided != 3+done {
				t.Errorf("%d sign-ins and %d decisions audited (%v), want 1 and one per decision (%d)", logins, decided, err, 3+done)
			}
			open, err := st.OpenCasesOf(bg, campaignKeys(203))
			if err != nil || len(open) != escalated {
				t.Errorf("open campaign cases left: %v (%v)", open, err)
			}
		})
	}
}

func campaignKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = post.KeyOf("x", "campaign", strconv.Itoa(9000+i))
	}
	return keys
}

// isCampaign reports whether c is a case of a campaign post.
func isCampaign(c post.Case) bool { return strings.HasPrefix(c.PostKey, "x:campaign:") }
