package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// campaignWord is in the text of every generated campaign post, so that a
// search finds them all for a bulk action.
const campaignWord = "حملةتجريبية"

// reviewStore stores the fixtures and n campaign posts (hand-made text), each
// violating and in a case of its own, and opens cases for every violating
// post.
func reviewStore(t testing.TB, n int) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st := tempStore(t)
	ps := loadFixtures(t)
	for i := range n {
		text := fmt.Sprintf("%s منشور رقم %d من حملة دعائية", campaignWord, i)
		ps = append(ps, post.Post{Platform: post.X, ID: fmt.Sprint(9000 + i), Kind: post.Message,
			Channel: post.Channel{Platform: post.X, ID: "campaign"}, Author: post.Account{Platform: post.X, ID: fmt.Sprintf("bot%d", i)},
			Text: text, Norm: arabic.Normalize(text), Lang: "ar", PostedAt: testNow.Add(-time.Duration(i) * time.Minute), CollectedAt: testNow,
			Origin:   post.Origin{Format: "xapi"},
			Signals:  []post.Signal{{Detector: "classifier", Label: post.Propaganda, Score: 0.7, Explanation: "n-gram model"}},
			Decision: post.Decision{Label: post.Propaganda, Tier: post.TierPromotional, Score: 0.7, Violating: true, Reasons: []string{"classifier: n-gram model above threshold"}}})
	}
	if _, err := st.SavePosts(ctx, ps); err != nil {
		t.Fatal(err)
	}
	var props []post.CaseProposal
	for _, p := range ps {
		if d := p.Decision; d.Violating {
			props = append(props, post.CaseProposal{PostKey: p.Key(), Label: d.Label, Tier: d.Tier, Entity: d.Entity, Score: d.Score,
				Reason: "supporter propaganda; repeat author: flagged posts in the last day", At: testNow.Add(-100 * time.Hour)})
		}
	}
	if _, err := st.ProposeCases(ctx, props); err != nil {
		t.Fatal(err)
	}
	return st
}

// handlerAs serves st to role, with a CSRF token on every page.
func handlerAs(st *sqlite.Store, role auth.Role) http.Handler {
	return New(Options{Store: st, Authenticate: as(role), Version: "test", Now: func() time.Time { return testNow },
		CSRFToken: func(*http.Request) string { return "csrf-token" }})
}

// caseOf returns the id of the open case of the post with key.
func caseOf(t testing.TB, st *sqlite.Store, key string) int64 {
	t.Helper()
	ids, err := st.OpenCasesOf(context.Background(), []string{key})
	if err != nil || len(ids) != 1 {
		t.Fatalf("case of %s: %v %v", key, ids, err)
	}
	return ids[0]
}

func postForm(h http.Handler, target string, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestQueueAndCasePages(t *testing.T) {
	st := reviewStore(t, 3)
	h := handlerAs(st, auth.Analyst)
	id := caseOf(t, st, keyPropaganda)

	ar := get(t, h, "/cases").Body.String()
	for _, want := range []string{"غير مكلَّفة", "دعاية المناصرين", "كاتب متكرر: منشورات مُعلَّمة في اليوم الأخير", "متأخرة", `class="case-row`,
		`href="/cases/` + fmt.Sprint(id) + `?i=`, `src="/static/review.js"`} {
		if !strings.Contains(ar, want) {
			t.Errorf("Arabic queue lacks %q", want)
		}
	}
	if strings.Contains(ar, "supporter propaganda") {
		t.Error("the Arabic queue shows a reason in English")
	}
	en := get(t, h, "/cases?queue=all&lang=en").Body.String()
	for _, want := range []string{"Unassigned", "All open", "supporter propaganda", "overdue"} {
		if !strings.Contains(en, want) {
			t.Errorf("English queue lacks %q", want)
		}
	}
	if w := get(t, h, "/cases?queue=nope"); w.Code != http.StatusBadRequest {
		t.Errorf("unknown queue: %d", w.Code)
	}

	w := get(t, h, fmt.Sprintf("/cases/%d?queue=unassigned&i=0", id))
	page := w.Body.String()
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("case page %d, Cache-Control %q", w.Code, w.Header().Get("Cache-Control"))
	}
	for _, want := range []string{"الدولة الإسلامية باقية وتتمدد", `<mark class="hl-propaganda"`, `id="form-confirm"`, `id="form-dismiss"`,
		`id="form-escalate"`, `id="form-merge"`, `id="form-comment"`, `name="csrf" value="csrf-token"`, `id="next-case"`, "خطاب مضاد"} {
		if !strings.Contains(page, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	if n := strings.Count(page, `<form method="post"`); n != strings.Count(page, `name="csrf" value="csrf-token"`) {
		t.Errorf("%d forms but another number of CSRF fields", n)
	}
	if strings.Contains(page, `id="form-approve"`) {
		t.Error("an open case offers approval")
	}
	if w := get(t, h, "/cases/99999"); w.Code != http.StatusNotFound {
		t.Errorf("missing case: %d", w.Code)
	}
	ro := get(t, handlerAs(st, auth.Auditor), fmt.Sprintf("/cases/%d", id)).Body.String()
	if strings.Contains(ro, `id="form-confirm"`) || !strings.Contains(ro, catalogue["ar"]["case.readonly"]) {
		t.Error("the auditor is offered actions")
	}
}

func TestWorkCaseOverHTTP(t *testing.T) {
	ctx := context.Background()
	st := reviewStore(t, 3)
	analyst, senior := handlerAs(st, auth.Analyst), handlerAs(st, auth.Senior)
	id := caseOf(t, st, keyPropaganda)

	w := postForm(analyst, fmt.Sprintf("/cases/%d/confirm", id), url.Values{"label": {"recruitment"}, "tier": {"3"}, "entity": {"isis"}, "note": {"recruiting"}, "queue": {"unassigned"}, "i": {"0"}})
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/cases/") || strings.HasPrefix(w.Header().Get("Location"), fmt.Sprintf("/cases/%d?", id)) {
		t.Fatalf("confirm: %d to %q, want a redirect to the next case", w.Code, w.Header().Get("Location"))
	}
	c, err := st.Case(ctx, id)
	if err != nil || c.Status != post.CaseConfirmed || c.Label != post.Recruitment || c.Tier != post.TierOfficial || c.Approval != post.ApprovalPending || c.DecidedBy != "test-analyst" {
		t.Fatalf("confirmed case %+v, %v", c, err)
	}
	if w := postForm(analyst, fmt.Sprintf("/cases/%d/approve", id), nil); w.Code != http.StatusForbidden {
		t.Errorf("analyst approving: %d, want 403", w.Code)
	}
	if w := postForm(handlerAs(st, auth.Auditor), fmt.Sprintf("/cases/%d/comment", id), url.Values{"note": {"x"}}); w.Code != http.StatusForbidden {
		t.Errorf("auditor commenting: %d, want 403", w.Code)
	}
	page := get(t, senior, fmt.Sprintf("/cases/%d", id)).Body.String()
	if !strings.Contains(page, `id="form-approve"`) || !strings.Contains(page, "recruiting") {
		t.Error("the senior's case page lacks the approve form or the history note")
	}
	if w := postForm(senior, fmt.Sprintf("/cases/%d/approve", id), url.Values{"note": {"ok"}}); w.Code != http.StatusSeeOther {
		t.Errorf("senior approving: %d %s", w.Code, w.Body)
	}
	if w := postForm(analyst, fmt.Sprintf("/cases/%d/dismiss", caseOf(t, st, keyXSS)), url.Values{"dismissal": {"boring"}}); w.Code != http.StatusBadRequest {
		t.Errorf("dismissing with an unknown reason: %d", w.Code)
	}
	if w := postForm(analyst, fmt.Sprintf("/cases/%d/delete", id), nil); w.Code != http.StatusBadRequest {
		t.Errorf("unknown action: %d", w.Code)
	}
	es, _ := st.CaseEvents(ctx, id, 0)
	all, _ := st.AuditEntries(ctx, store.AuditFilter{})
	au, reads := decisionsIn(all)
	if len(es) != 2 || len(au) != 2 || au[1].Action != "case.approve" || au[1].Actor != "test-senior" {
		t.Errorf("%d events and %d audit entries (%+v), want 2 of each", len(es), len(au), au)
	}
	if reads != 1 {
		t.Errorf("%d reads of the case audited, want the senior's one", reads)
	}

	// The API does the same for machines.
	xss := caseOf(t, st, keyXSS)
	r := httptest.NewRequest(http.MethodPost, fmt.Sprintf("/api/cases/%d/dismiss", xss), strings.NewReader(`{"dismissal":"research","note":"a study"}`))
	rec := httptest.NewRecorder()
	analyst.ServeHTTP(rec, r)
	var got struct {
		Case  post.Case
		Event post.CaseEvent
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != http.StatusOK || err != nil || got.Case.Dismissal != post.DismissResearch || got.Event.Note != "a study" {
		t.Errorf("API dismiss: %d %s", rec.Code, rec.Body)
	}
	if w := get(t, analyst, fmt.Sprintf("/api/cases/%d", xss)); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"action":"dismiss"`) {
		t.Errorf("API case: %d %s", w.Code, w.Body)
	}
	if w := get(t, analyst, "/api/queue?queue=all"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"due":`) {
		t.Errorf("API queue: %d %s", w.Code, w.Body)
	}
	if w := get(t, analyst, "/precision?lang=en"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "2</b> decided cases") {
		t.Errorf("precision page: %d", w.Code)
	}
}

func TestBulkDismissFromSearch(t *testing.T) {
	ctx := context.Background()
	st := reviewStore(t, 30)
	h := handlerAs(st, auth.Analyst)
	page := get(t, h, "/cases/bulk?q="+url.QueryEscape(campaignWord)).Body.String()
	if n := strings.Count(page, `name="case" value=`); n != 30 || !strings.Contains(page, `<b class="num" id="bulk-count">30</b>`) {
		t.Fatalf("bulk page lists %d cases, want 30", n)
	}
	form := url.Values{"action": {"dismiss"}, "dismissal": {"duplicate"}, "note": {"campaign"}}
	for _, p := range strings.Split(page, `name="case" value="`)[1:] {
		form.Add("case", p[:strings.IndexByte(p, '"')])
	}
	w := postForm(h, "/cases/bulk", form)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `<b class="num" id="bulk-done">30</b>`) {
		t.Fatalf("bulk dismiss: %d", w.Code)
	}
	if all, _ := st.AuditEntries(ctx, store.AuditFilter{Limit: 1000}); len(all) != 30 {
		t.Errorf("%d audit entries, want one per case", len(all))
	}
	if after := get(t, h, "/cases/bulk?q="+url.QueryEscape(campaignWord)).Body.String(); !strings.Contains(after, catalogue["ar"]["bulk.none"]) {
		t.Error("dismissed cases are still offered")
	}
	if w := postForm(h, "/cases/bulk", url.Values{"action": {"approve"}, "case": {"1"}}); w.Code != http.StatusBadRequest {
		t.Errorf("bulk approve: %d", w.Code)
	}
}

func TestEscalatedCaseIsForSeniors(t *testing.T) {
	st := reviewStore(t, 1)
	id := caseOf(t, st, keyPropaganda)
	analyst := handlerAs(st, auth.Analyst)
	if w := postForm(analyst, fmt.Sprintf("/cases/%d/escalate", id), url.Values{"note": {"unsure"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("escalate: %d", w.Code)
	}
	if page := get(t, analyst, fmt.Sprintf("/cases/%d", id)).Body.String(); strings.Contains(page, `id="form-confirm"`) {
		t.Error("the analyst is offered to confirm an escalated case")
	}
	if w := postForm(analyst, fmt.Sprintf("/cases/%d/confirm", id), nil); w.Code != http.StatusForbidden {
		t.Errorf("analyst confirming an escalated case: %d, want 403", w.Code)
	}
	senior := handlerAs(st, auth.Senior)
	if page := get(t, senior, "/cases?queue=escalated").Body.String(); !strings.Contains(page, fmt.Sprintf(`href="/cases/%d?i=0&amp;queue=escalated"`, id)) {
		t.Error("the escalated queue lacks the case")
	}
	if w := postForm(senior, fmt.Sprintf("/cases/%d/confirm", id), nil); w.Code != http.StatusSeeOther {
		t.Errorf("senior confirming an escalated case: %d", w.Code)
	}
}

// decisionsIn returns the audit entries that are not reads of a case, and
// how many reads there were.
func decisionsIn(es []audit.Entry) (out []audit.Entry, reads int) {
	for _, e := range es {
		if e.Action == "case.read" {
			reads++
			continue
		}
		out = append(out, e)
	}
	return out, reads
}
