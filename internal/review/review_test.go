package review

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

var (
	analyst = Actor{auth.Principal{User: "amal", Role: auth.Analyst}, "127.0.0.1"}
	senior  = Actor{auth.Principal{User: "samir", Role: auth.Senior}, "127.0.0.1"}
	auditor = Actor{auth.Principal{User: "aya", Role: auth.Auditor}, "127.0.0.1"}
)

// recorder is a hook that keeps what it was handed and fails when told.
type recorder struct {
	events []Event
	fail   error
}

func (r *recorder) Name() string { return "recorder" }
func (r *recorder) AfterEvent(_ context.Context, c post.Case, e Event) error {
	r.events = append(r.events, e)
	return r.fail
}

// fixture stores n posts, each flagged by a rule and two detectors, each in
// a case of its own, and returns the service and the case ids by post.
func fixture(t *testing.T, n int) (*Service, *sqlite.Store, []int64) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	var ps []post.Post
	var props []post.CaseProposal
	for i := range n {
		p := post.Post{Platform: post.Telegram, ID: fmt.Sprint(i), Kind: post.Message, Channel: post.Channel{Platform: post.Telegram, ID: "c"},
			Author: post.Account{Platform: post.Telegram, ID: fmt.Sprintf("u%d", i%3)}, Text: fmt.Sprintf("نص المنشور %d", i),
			PostedAt: at, CollectedAt: at, Origin: post.Origin{Format: "telegram"},
			Signals: []post.Signal{{Detector: "lexicon", Label: post.Propaganda, Score: 0.8}, {Detector: "classifier", Label: post.Propaganda, Score: 0.7}},
			Decision: post.Decision{Label: post.Propaganda, Tier: post.TierPromotional, Score: 0.8, Violating: true,
				Reasons: []string{"supporter_stance: supporter naming", "classifier: n-gram model above threshold"}}}
		ps = append(ps, p)
		props = append(props, post.CaseProposal{PostKey: p.Key(), Label: post.Propaganda, Tier: post.TierPromotional, Score: 0.8, Reason: "supporter propaganda", At: at})
	}
	if _, err := st.SavePosts(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ProposeCases(ctx, props); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, p := range ps {
		got, err := st.OpenCasesOf(ctx, []string{p.Key()})
		if err != nil || len(got) != 1 {
			t.Fatalf("case of %s: %v %v", p.Key(), got, err)
		}
		ids = append(ids, got[0])
	}
	return New(st, nil), st, ids
}

func TestConfirmIsEventAuditAndHook(t *testing.T) {
	ctx := context.Background()
	s, st, ids := fixture(t, 2)
	h := &recorder{}
	s.Register(h)
	c, e, err := s.Apply(ctx, analyst, ids[0], Action{Kind: Confirm, Label: post.Recruitment, Tier: post.TierOfficial, Entity: "isis", Note: "recruiter"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != post.CaseConfirmed || c.Label != post.Recruitment || c.Tier != post.TierOfficial || c.Entity != "isis" ||
		c.Approval != post.ApprovalPending || c.DecidedBy != "amal" || !slices.Equal(c.Rules, []string{"supporter_stance", "classifier"}) ||
		!slices.Equal(c.Detectors, []string{"lexicon", "classifier"}) {
		t.Errorf("confirmed case %+v", c)
	}
	if !strings.Contains(string(e.Before), `"label":"propaganda"`) || !strings.Contains(string(e.After), `"label":"recruitment"`) {
		t.Errorf("event before %s after %s", e.Before, e.After)
	}
	es, err := st.CaseEvents(ctx, ids[0], 0)
	if err != nil || len(es) != 1 || es[0].Note != "recruiter" || es[0].Actor != "amal" {
		t.Errorf("history %+v, %v", es, err)
	}
	au, err := st.AuditEntries(ctx, store.AuditFilter{})
	if err != nil || len(au) != 1 || au[0].Action != "case.confirm" || au[0].Subject != fmt.Sprintf("case:%d", ids[0]) ||
		au[0].Actor != "amal" || au[0].Source != "127.0.0.1" || len(au[0].Before) == 0 || len(au[0].After) == 0 {
		t.Errorf("audit %+v, %v", au, err)
	}
	if len(h.events) != 1 || h.events[0].Action != "confirm" || h.events[0].ID != e.ID {
		t.Errorf("hook got %+v", h.events)
	}

	// A failing hook is recorded and the decision stands.
	h.fail = errors.New("referral queue down")
	c, _, err = s.Apply(ctx, senior, ids[0], Action{Kind: Approve})
	if err != nil || c.Approval != post.ApprovalApproved {
		t.Fatalf("approve: %+v %v", c, err)
	}
	es, _ = st.CaseEvents(ctx, ids[0], 0)
	if last := es[len(es)-1]; last.Action != string(HookFailed) || !strings.Contains(last.Note, "recorder: referral queue down") {
		t.Errorf("last event %+v, want the hook failure", last)
	}
	if c, _ := st.Case(ctx, ids[0]); c.Approval != post.ApprovalApproved {
		t.Errorf("the hook's failure undid the approval: %+v", c)
	}
}

func TestRoles(t *testing.T) {
	ctx := context.Background()
	s, st, ids := fixture(t, 2)
	if _, _, err := s.Apply(ctx, auditor, ids[0], Action{Kind: Dismiss, Dismissal: post.DismissNews}); !errors.Is(err, auth.ErrForbidden) {
		t.Errorf("auditor dismissed: %v", err)
	}
	if _, _, err := s.Apply(ctx, analyst, ids[0], Action{Kind: Confirm}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Apply(ctx, analyst, ids[0], Action{Kind: Approve}); !errors.Is(err, auth.ErrForbidden) {
		t.Errorf("analyst approved: %v", err)
	}
	if _, _, err := s.Apply(ctx, analyst, ids[1], Action{Kind: Escalate, Note: "unsure"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Apply(ctx, analyst, ids[1], Action{Kind: Dismiss, Dismissal: post.DismissNews}); !errors.Is(err, auth.ErrForbidden) {
		t.Errorf("analyst decided an escalated case: %v", err)
	}
	if c, _, err := s.Apply(ctx, senior, ids[1], Action{Kind: Dismiss, Dismissal: post.DismissNews}); err != nil || c.Escalated {
		t.Errorf("senior dismissing an escalated case: %+v %v", c, err)
	}
	if au, _ := st.AuditEntries(ctx, store.AuditFilter{}); len(au) != 3 {
		t.Errorf("%d audit entries, want 3 (refusals change nothing)", len(au))
	}
}

func TestActionsCheckState(t *testing.T) {
	ctx := context.Background()
	s, st, ids := fixture(t, 3)
	for _, tc := range []struct {
		name string
		id   int64
		a    Action
	}{
		{"dismiss without reason", ids[0], Action{Kind: Dismiss}},
		{"dismiss with unknown reason", ids[0], Action{Kind: Dismiss, Dismissal: "boring"}},
		{"confirm as news", ids[0], Action{Kind: Confirm, Label: post.News}},
		{"empty comment", ids[0], Action{Kind: Comment, Note: "  "}},
		{"approve an open case", ids[0], Action{Kind: Approve}},
		{"reopen an open case", ids[0], Action{Kind: Reopen}},
		{"merge into itself", ids[0], Action{Kind: Merge, Into: ids[0]}},
		{"unknown action", ids[0], Action{Kind: "delete"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := s.Apply(ctx, senior, tc.id, tc.a); !errors.Is(err, ErrBadAction) {
				t.Errorf("err = %v, want ErrBadAction", err)
			}
		})
	}
	if _, _, err := s.Apply(ctx, analyst, 999, Action{Kind: Comment, Note: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing case: %v", err)
	}

	// Dismissed, then re-imported: not proposed again; reopened: open.
	c, _, err := s.Apply(ctx, analyst, ids[0], Action{Kind: Dismiss, Dismissal: post.DismissCounterSpeech})
	if err != nil || c.Dismissal != post.DismissCounterSpeech {
		t.Fatalf("dismiss: %+v %v", c, err)
	}
	if n, err := st.ProposeCases(ctx, []post.CaseProposal{{PostKey: c.PostKey, Label: post.Propaganda}}); err != nil || n != 0 {
		t.Errorf("re-proposing a dismissed post opened %d cases (%v)", n, err)
	}
	if c, _, err = s.Apply(ctx, analyst, ids[0], Action{Kind: Reopen, Note: "new context"}); err != nil || c.Status != post.CaseOpen || c.Dismissal != "" || !c.DecidedAt.IsZero() {
		t.Errorf("reopen: %+v %v", c, err)
	}

	// Merge a duplicate: its post moves to the other case.
	from, _, err := s.Apply(ctx, analyst, ids[1], Action{Kind: Merge, Into: ids[2]})
	if err != nil || from.Status != post.CaseMerged || from.MergedInto != ids[2] {
		t.Fatalf("merge: %+v %v", from, err)
	}
	if into, _ := st.Case(ctx, ids[2]); into.Posts != 2 {
		t.Errorf("merged case holds %d posts, want 2", into.Posts)
	}
	if es, _ := st.CaseEvents(ctx, ids[2], 0); len(es) != 1 || !strings.HasPrefix(es[0].Note, fmt.Sprintf("merged case %d", ids[1])) {
		t.Errorf("target history %+v", es)
	}
}

func TestApplyAllAndFeedback(t *testing.T) {
	ctx := context.Background()
	s, st, ids := fixture(t, 6)
	since := time.Now().Add(-time.Minute)
	done, res := s.ApplyAll(ctx, analyst, ids[:4], Action{Kind: Dismiss, Dismissal: post.DismissNews})
	if done != 4 || len(res) != 4 {
		t.Fatalf("bulk dismissed %d: %+v", done, res)
	}
	// Already dismissed: refused one by one, the rest done.
	done, res = s.ApplyAll(ctx, analyst, ids[3:], Action{Kind: Confirm, Label: post.Incitement})
	if done != 2 || res[0].Err == "" || res[1].Err != "" {
		t.Errorf("bulk confirm over a dismissed case: %d %+v", done, res)
	}
	if au, _ := st.AuditEntries(ctx, store.AuditFilter{}); len(au) != 6 {
		t.Errorf("%d audit entries, want one per decision (6)", len(au))
	}

	var buf bytes.Buffer
	n, err := s.ExportDecisions(ctx, since, &buf)
	if err != nil || n != 6 {
		t.Fatalf("exported %d rows: %v", n, err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "id,author,decision,label,reason,text" {
		t.Errorf("header %v", rows[0])
	}
	if r := rows[1]; r[0] != "telegram:c:0" || r[1] != "telegram/u0" || r[2] != "dismissed" || r[3] != "" || r[4] != "news" || r[5] != "نص المنشور 0" {
		t.Errorf("first row %q", r)
	}
	if r := rows[6]; r[2] != "confirmed" || r[3] != "incitement" || r[4] != "" {
		t.Errorf("last row %q", r)
	}
	buf.Reset()
	if n, _ := s.ExportDecisions(ctx, time.Now().Add(time.Hour), &buf); n != 0 {
		t.Errorf("exported %d decisions from the future", n)
	}

	rep, err := s.Precision(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Precision{{"classifier", 2, 4}, {"supporter_stance", 2, 4}}
	if rep.Cases != 6 || !slices.Equal(rep.Rules, want) {
		t.Errorf("precision %+v, want rules %+v", rep, want)
	}
	if len(rep.Detectors) != 2 || rep.Detectors[0].Value() != 2.0/6 {
		t.Errorf("detectors %+v", rep.Detectors)
	}
}

func TestSLA(t *testing.T) {
	s, err := ParseSLA("1=30m, 4=1h")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for tier, want := range map[post.Tier]time.Duration{1: 30 * time.Minute, 2: 4 * time.Hour, 4: time.Hour, 0: 168 * time.Hour} {
		if got := s.Due(post.Case{Tier: tier, CreatedAt: at}); !got.Equal(at.Add(want)) {
			t.Errorf("tier %d due %v, want %v later", tier, got, want)
		}
	}
	for _, bad := range []string{"5=1h", "1=soon", "x", "2=-1h"} {
		if _, err := ParseSLA(bad); err == nil {
			t.Errorf("ParseSLA(%q) accepted", bad)
		}
	}
}

func TestReadAudited(t *testing.T) {
	ctx := context.Background()
	s, st, ids := fixture(t, 1)
	c, _ := st.Case(ctx, ids[0])
	if err := s.Read(ctx, auditor, c); err != nil {
		t.Fatal(err)
	}
	au, err := st.AuditEntries(ctx, store.AuditFilter{Actor: "aya"})
	if err != nil || len(au) != 1 || au[0].Action != "case.read" || au[0].Subject != fmt.Sprintf("case:%d", ids[0]) {
		t.Errorf("audit %+v, %v", au, err)
	}
}
