package referral

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/act/referral/referraltest"
	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/demo/platform"
	"github.com/raqib-project/raqib/internal/fetch"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
	"github.com/raqib-project/raqib/internal/store/storetest"
	"github.com/raqib-project/raqib/internal/testclock"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// testHTTP is the SSRF-safe client, opened to the servers the tests start.
func testHTTP() Doer {
	return fetch.New(fetch.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Timeout: 10 * time.Second})
}

type env struct {
	t     testing.TB
	st    *sqlite.Store
	dir   string
	plat  *platform.Platform
	clock *testclock.Clock
	svc   *Service
	mu    sync.Mutex
	sent  []Sent
}

// configJSON is a configuration with a telegram target on the platform's
// webhook (extra fields of that target go in tg), x by email to the sink
// at smtp, facebook by bundle, and a host of t.me posts by webhook.
func configJSON(webhook, tg, smtp string) string {
	return `{
	"reporter": {"name": "وحدة الرصد التجريبية", "email": "unit@example.org"},
	"legal_basis": {"ar": "اللائحة (الاتحاد الأوروبي) 2021/784 بشأن المحتوى الإرهابي", "en": "Regulation (EU) 2021/784 on terrorist content online"},
	"rereport_after": "1h", "rereports": 1,
	"targets": [
		{"name": "telegram", "platforms": ["telegram"], "webhook": {"url": "` + webhook + `"}` + tg + `},
		{"name": "x", "platforms": ["x"], "email": {"server": "` + smtp + `", "from": "unit@example.org", "to": ["abuse@x.example"], "tls": "none"}},
		{"name": "facebook", "platforms": ["facebook"], "bundle": {"form_url": "https://www.facebook.example/report"}},
		{"name": "host-a", "domains": ["t.me"], "webhook": {"url": "` + webhook + `"}}
	]}`
}

func newEnv(t testing.TB, popt platform.Options, tg string, opt Options) *env {
	t.Helper()
	e := &env{t: t, clock: testclock.New(t0)}
	if popt.Now == nil {
		popt.Now = e.clock.Now
	}
	var err error
	e.plat, err = platform.Start(popt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.plat.Close() })
	e.dir = t.TempDir()
	e.st, err = sqlite.Open(context.Background(), e.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	e.svc = e.service(e.st, configJSON(e.plat.WebhookURL(), tg, "127.0.0.1:1"), "w1", opt)
	return e
}

func (e *env) service(st Store, cfgJSON, owner string, opt Options) *Service {
	e.t.Helper()
	cfg, err := ParseConfig([]byte(cfgJSON), "test.json")
	if err != nil {
		e.t.Fatal(err)
	}
	opt.Owner, opt.HTTP, opt.Now = owner, testHTTP(), e.clock.Now
	opt.OnSent = func(_ context.Context, s Sent) error {
		e.mu.Lock()
		e.sent = append(e.sent, s)
		e.mu.Unlock()
		return nil
	}
	svc, err := New(st, cfg, opt)
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

// confirmed stores a post of platform (a Telegram post by default) in a
// case an analyst confirmed and returns the case.
func (e *env) confirmed(id string, platform post.Platform) (post.Case, post.Post) {
	e.t.Helper()
	ctx := context.Background()
	var p post.Post
	c, p := storetest.OpenCase(e.t, e.st, id)
	if platform != post.Telegram {
		// A second post of another platform, in its own case.
		p.Platform, p.Channel.Platform, p.Author.Platform, p.URL = platform, platform, platform, "https://"+string(platform)+".example/"+id
		if _, err := e.st.SavePosts(ctx, []post.Post{p}); err != nil {
			e.t.Fatal(err)
		}
		d := p.Decision
		if _, err := e.st.ProposeCases(ctx, []post.CaseProposal{{PostKey: p.Key(), Label: d.Label, Tier: d.Tier, Entity: d.Entity, Score: d.Score, Reason: "test"}}); err != nil {
			e.t.Fatal(err)
		}
		cs, _ := e.st.Cases(ctx, post.CaseOpen, 1000)
		for _, k := range cs {
			if k.PostKey == p.Key() {
				c = k.ID
			}
		}
	}
	if err := e.st.SetCaseStatus(ctx, c, post.CaseConfirmed, post.CaseOpen); err != nil {
		e.t.Fatal(err)
	}
	cs, err := e.st.Cases(ctx, post.CaseConfirmed, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, k := range cs {
		if k.ID == c {
			return k, p
		}
	}
	e.t.Fatalf("case %d not confirmed", c)
	return post.Case{}, p
}

var amina = Actor{User: "amina", Source: "test"}

// drain sends until nothing is due now.
func (e *env) drain() int {
	e.t.Helper()
	n := 0
	for {
		k, err := e.svc.SendOnce(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if k == 0 {
			return n
		}
		n += k
	}
}

func (e *env) referral(id int64) store.Referral {
	e.t.Helper()
	r, _, err := e.st.Referral(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// auditOf returns the audit entries of action.
func (e *env) auditOf(action string) []audit.Entry {
	e.t.Helper()
	es, err := e.st.AuditEntries(context.Background(), store.AuditFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []audit.Entry
	for _, a := range es {
		if a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

func TestNeverWithoutConfirmedCase(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, platform.Options{}, "", Options{})
	id, _ := storetest.OpenCase(t, e.st, "1")
	open := post.Case{ID: id, Status: post.CaseOpen, Label: post.Propaganda}
	if _, err := e.svc.FromCase(ctx, open, amina); !errors.Is(err, store.ErrNotConfirmed) {
		t.Fatalf("FromCase of an open case: %v, want ErrNotConfirmed", err)
	}
	// A caller that claims the case is confirmed is not believed: the
	// store checks the stored case.
	lie := open
	lie.Status = post.CaseConfirmed
	if _, err := e.svc.FromCase(ctx, lie, amina); !errors.Is(err, store.ErrNotConfirmed) {
		t.Fatalf("FromCase of a case confirmed only in the caller's copy: %v, want ErrNotConfirmed", err)
	}
	// Confirmed, referred, then dismissed before the sender ran: nothing
	// leaves.
	c, _ := e.confirmed("2", post.Telegram)
	if _, err := e.svc.FromCase(ctx, c, amina); err != nil {
		t.Fatal(err)
	}
	if err := e.st.SetCaseStatus(ctx, c.ID, post.CaseDismissed, post.CaseConfirmed); err != nil {
		t.Fatal(err)
	}
	if n := e.drain(); n != 0 || e.plat.Calls() != 0 {
		t.Errorf("sent %d referrals (%d webhook calls) of unconfirmed cases, want none", n, e.plat.Calls())
	}
	if got := e.auditOf("referral.send"); len(got) != 0 {
		t.Errorf("audited %d sends, want none", len(got))
	}
}

func TestWebhookSendRecordsTicketAndAudits(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, platform.Options{Delays: []time.Duration{30 * time.Minute}}, "", Options{})
	c, p := e.confirmed("1", post.Telegram)
	rs, err := e.svc.FromCase(ctx, c, amina)
	if err != nil || len(rs) != 1 || rs[0].Status != store.ReferralQueued || rs[0].Target != "telegram" || rs[0].Kind != KindWebhook {
		t.Fatalf("FromCase = %+v, %v", rs, err)
	}
	if n := e.drain(); n != 1 {
		t.Fatalf("sent %d, want 1", n)
	}
	sum := sha256.Sum256(p.Raw)
	reports := e.plat.Reports()
	if len(reports) != 1 || reports[0].URL != p.URL || reports[0].Evidence != hex.EncodeToString(sum[:]) || reports[0].ID != rs[0].ID {
		t.Fatalf("platform received %+v; want the post's URL and the SHA-256 of its raw record", reports)
	}
	r, replies, err := e.st.Referral(ctx, rs[0].ID)
	if err != nil || r.Status != store.ReferralSent || r.Ticket != "SIM-1" || !r.SentAt.Equal(t0) || len(replies) != 1 || replies[0].Via != KindWebhook {
		t.Fatalf("referral = %+v, replies %+v, %v", r, replies, err)
	}
	if cs, _ := e.st.Cases(ctx, post.CaseReferred, 10); len(cs) != 1 || cs[0].ID != c.ID {
		t.Errorf("referred cases = %+v, want case %d", cs, c.ID)
	}
	want := Sent{ReferralID: r.ID, CaseID: c.ID, PostKey: p.Key(), URL: p.URL, Platform: post.Telegram, Target: "telegram", Kind: KindWebhook,
		Label: post.Propaganda, Tier: post.TierOfficial, At: t0}
	if len(e.sent) != 1 || e.sent[0] != want {
		t.Errorf("OnSent got %+v, want %+v", e.sent, want)
	}
	if got := e.auditOf("referral.create"); len(got) != 1 || got[0].Actor != "amina" || got[0].Subject != fmt.Sprintf("case:%d", c.ID) {
		t.Errorf("create audit = %+v", got)
	}
	sends := e.auditOf("referral.send")
	if len(sends) != 1 || sends[0].Subject != fmt.Sprintf("referral:%d", r.ID) {
		t.Fatalf("send audit = %+v", sends)
	}
	var after map[string]any
	json.Unmarshal(sends[0].After, &after)
	if after["status"] != "sent" || after["channel"] != KindWebhook || after["ticket"] != "SIM-1" || after["requested_by"] != "amina" {
		t.Errorf("send audit after = %s", sends[0].After)
	}
	// The platform removes the post after its delay.
	if _, gone := e.plat.Removed(p.URL); gone {
		t.Error("removed at once, want after 30 minutes")
	}
	e.clock.Add(30 * time.Minute)
	if at, gone := e.plat.Removed(p.URL); !gone || !at.Equal(t0.Add(30*time.Minute)) {
		t.Errorf("removed = %v at %v, want at %v", gone, at, t0.Add(30*time.Minute))
	}
	// Referring the case again stores nothing new and sends nothing.
	if again, err := e.svc.FromCase(ctx, c, amina); err != nil || len(again) != 1 || again[0].ID != r.ID {
		t.Errorf("referring again = %+v, %v", again, err)
	}
	if n := e.drain(); n != 0 {
		t.Errorf("sent %d more, want 0", n)
	}
}

func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		retryAfter string
		wantDelay  time.Duration // 0: backoff
	}{
		{"429 with Retry-After", 429, "120", 2 * time.Minute},
		{"503 with Retry-After", 503, "300", 5 * time.Minute},
		{"500 backs off", 500, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			var seen []string
			observe := func(target, channel string, o store.ReferralStatus) {
				seen = append(seen, target+" "+channel+" "+string(o))
			}
			e := newEnv(t, platform.Options{Fail: 2, FailStatus: tc.status, RetryAfter: tc.retryAfter}, "", Options{Backoff: time.Minute, Observe: observe})
			c, _ := e.confirmed("1", post.Telegram)
			rs, err := e.svc.FromCase(ctx, c, amina)
			if err != nil {
				t.Fatal(err)
			}
			for attempt := 1; attempt <= 2; attempt++ {
				start := e.clock.Now()
				if n := e.drain(); n != 1 {
					t.Fatalf("attempt %d: handled %d, want 1", attempt, n)
				}
				r := e.referral(rs[0].ID)
				delay := r.NextAt.Sub(start)
				if r.Status != store.ReferralQueued || r.Attempts != attempt || !strings.Contains(r.LastError, fmt.Sprint(tc.status)) {
					t.Fatalf("attempt %d: %+v", attempt, r)
				}
				if tc.wantDelay != 0 && delay != tc.wantDelay {
					t.Errorf("attempt %d: retry after %v, want %v", attempt, delay, tc.wantDelay)
				}
				base := time.Minute << (attempt - 1)
				if tc.wantDelay == 0 && (delay < base/2 || delay > base) {
					t.Errorf("attempt %d: backoff %v, want within [%v, %v]", attempt, delay, base/2, base)
				}
				if n := e.drain(); n != 0 {
					t.Fatalf("attempt %d: retried at once", attempt)
				}
				e.clock.Add(delay)
			}
			if n := e.drain(); n != 1 {
				t.Fatalf("third attempt handled %d", n)
			}
			if r := e.referral(rs[0].ID); r.Status != store.ReferralSent || r.Attempts != 3 || r.Ticket != "SIM-1" {
				t.Errorf("after the third attempt: %+v", r)
			}
			if got := e.auditOf("referral.send"); len(got) != 3 {
				t.Errorf("audited %d sends, want every attempt: 3", len(got))
			}
			if want := "[telegram webhook queued telegram webhook queued telegram webhook sent]"; fmt.Sprint(seen) != want {
				t.Errorf("observed %v, want %s", seen, want)
			}
		})
	}
}

func TestPermanentFailureAndGivingUp(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, platform.Options{Fail: 100, FailStatus: 400}, "", Options{})
	c, _ := e.confirmed("1", post.Telegram)
	rs, err := e.svc.FromCase(ctx, c, amina)
	if err != nil {
		t.Fatal(err)
	}
	e.drain()
	if r := e.referral(rs[0].ID); r.Status != store.ReferralFailed || r.Attempts != 1 {
		t.Errorf("after a 400: %+v, want failed at once", r)
	}
	e2 := newEnv(t, platform.Options{Fail: 100, FailStatus: 503}, "", Options{MaxAttempts: 3})
	c, _ = e2.confirmed("1", post.Telegram)
	rs, err = e2.svc.FromCase(ctx, c, amina)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		e2.drain()
		e2.clock.Add(time.Hour)
	}
	if r := e2.referral(rs[0].ID); r.Status != store.ReferralFailed || r.Attempts != 3 || e2.plat.Calls() != 3 {
		t.Errorf("after 503s: %+v with %d calls, want failed after 3", r, e2.plat.Calls())
	}
	if len(e2.sent) != 0 {
		t.Errorf("OnSent called %d times for failed referrals", len(e2.sent))
	}
}

func TestBatchAndPace(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, platform.Options{}, `, "batch": 2, "pace": "1m"`, Options{})
	for i := range 5 {
		c, _ := e.confirmed(fmt.Sprint(i+1), post.Telegram)
		if _, err := e.svc.FromCase(ctx, c, amina); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []int{2, 2, 1} {
		if n := e.drain(); n != want {
			t.Fatalf("minute %d: sent %d, want %d", i, n, want)
		}
		if n := e.drain(); n != 0 {
			t.Fatalf("minute %d: sent %d more within the pace", i, n)
		}
		e.clock.Add(time.Minute)
	}
	if calls, reports := e.plat.Calls(), len(e.plat.Reports()); calls != 3 || reports != 5 {
		t.Errorf("%d webhook calls with %d referrals, want 3 batches of 5", calls, reports)
	}
}

func TestEmail(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		refuse []int
		want   store.ReferralStatus
	}{
		{"delivered", nil, store.ReferralSent},
		{"451 retried", []int{451}, store.ReferralQueued},
		{"550 failed", []int{550}, store.ReferralFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := referraltest.StartSMTPSink(t, nil, tc.refuse...)
			e := newEnv(t, platform.Options{}, "", Options{})
			e.svc = e.service(e.st, configJSON(e.plat.WebhookURL(), "", sink.Addr()), "w1", Options{})
			c, p := e.confirmed("1", post.X)
			rs, err := e.svc.FromCase(ctx, c, amina)
			if err != nil || rs[0].Kind != KindEmail {
				t.Fatalf("FromCase = %+v, %v", rs, err)
			}
			e.drain()
			r := e.referral(rs[0].ID)
			if r.Status != tc.want {
				t.Fatalf("status %s (%s), want %s", r.Status, r.LastError, tc.want)
			}
			if tc.want != store.ReferralSent {
				return
			}
			msgs := sink.Messages()
			if len(msgs) != 1 {
				t.Fatalf("sink got %d messages", len(msgs))
			}
			m := msgs[0]
			if m.From != "unit@example.org" || len(m.To) != 1 || m.To[0] != "abuse@x.example" || !strings.Contains(m.Subject, "بلاغ عن محتوى إرهابي") {
				t.Errorf("mail from %s to %v subject %q", m.From, m.To, m.Subject)
			}
			for _, want := range []string{p.URL, rs[0].EvidenceHash, "دعاية", "Propaganda", "Regulation (EU) 2021/784", "اللائحة", "داعش", "ISIS", "Tier 3"} {
				if !strings.Contains(m.Body, want) {
					t.Errorf("mail body lacks %q:\n%s", want, m.Body)
				}
			}
			if strings.Index(m.Body, "بلاغ رقم") > strings.Index(m.Body, "Referral ") {
				t.Error("English comes before Arabic")
			}
			if len(e.sent) != 1 || e.sent[0].Kind != KindEmail {
				t.Errorf("OnSent = %+v", e.sent)
			}
		})
	}
}

func TestBundleSubmittedByHand(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, platform.Options{}, "", Options{})
	c, _ := e.confirmed("1", post.Facebook)
	rs, err := e.svc.FromCase(ctx, c, amina)
	if err != nil || rs[0].Kind != KindBundle {
		t.Fatalf("FromCase = %+v, %v", rs, err)
	}
	e.drain()
	if r := e.referral(rs[0].ID); r.Status != store.ReferralManual || len(e.sent) != 0 {
		t.Fatalf("bundle referral %+v, %d sent; want manual, none sent", r, len(e.sent))
	}
	e.clock.Add(time.Hour)
	r, err := e.svc.Submit(ctx, rs[0].ID, amina, "FB-77")
	if err != nil || r.Status != store.ReferralSent || r.Ticket != "FB-77" || !r.SentAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Submit = %+v, %v", r, err)
	}
	if len(e.sent) != 1 || e.sent[0].Kind != KindBundle || !e.sent[0].At.Equal(t0.Add(time.Hour)) {
		t.Errorf("OnSent = %+v", e.sent)
	}
	if got := e.auditOf("referral.submit"); len(got) != 1 || got[0].Actor != "amina" {
		t.Errorf("submit audit = %+v", got)
	}
}

func TestApprovalBySecondPerson(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, platform.Options{}, "", Options{RequireApproval: true})
	c, _ := e.confirmed("1", post.Telegram)
	rs, err := e.svc.FromCase(ctx, c, amina)
	if err != nil || rs[0].Status != store.ReferralAwaiting {
		t.Fatalf("FromCase = %+v, %v", rs, err)
	}
	if n := e.drain(); n != 0 {
		t.Fatalf("sent %d referrals awaiting approval", n)
	}
	if _, err := e.svc.Approve(ctx, rs[0].ID, amina); !errors.Is(err, store.ErrSelfApproval) {
		t.Fatalf("self-approval: %v", err)
	}
	r, err := e.svc.Approve(ctx, rs[0].ID, Actor{User: "salma", Source: "test"})
	if err != nil || r.ApprovedBy != "salma" {
		t.Fatalf("Approve = %+v, %v", r, err)
	}
	if n := e.drain(); n != 1 {
		t.Fatalf("sent %d after approval, want 1", n)
	}
	if got := e.auditOf("referral.approve"); len(got) != 1 || got[0].Actor != "salma" {
		t.Errorf("approve audit = %+v", got)
	}
}

func TestReply(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, platform.Options{}, "", Options{})
	c, _ := e.confirmed("1", post.Facebook)
	rs, err := e.svc.FromCase(ctx, c, amina)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Reply(ctx, rs[0].ID, amina, "cli", "", ""); err == nil {
		t.Error("an empty reply was recorded")
	}
	if err := e.svc.Reply(ctx, rs[0].ID, amina, "cli", "CASE-5", "we removed it"); err != nil {
		t.Fatal(err)
	}
	r, replies, err := e.st.Referral(ctx, rs[0].ID)
	if err != nil || r.Ticket != "CASE-5" || len(replies) != 1 || replies[0].Text != "we removed it" {
		t.Errorf("after reply: %+v %+v %v", r, replies, err)
	}
	if got := e.auditOf("referral.reply"); len(got) != 1 {
		t.Errorf("reply audit = %+v", got)
	}
}

// online is a liveness tracker that says every URL is online, or not.
type online bool

func (o online) StillOnline(context.Context, string) (bool, error) { return bool(o), nil }

func TestFollowUpReReportsThenEscalates(t *testing.T) {
	ctx := context.Background()
	for _, still := range []bool{true, false} {
		t.Run(fmt.Sprint("online=", still), func(t *testing.T) {
			e := newEnv(t, platform.Options{}, "", Options{Online: online(still)})
			c, _ := e.confirmed("1", post.Telegram)
			if _, err := e.svc.FromCase(ctx, c, amina); err != nil {
				t.Fatal(err)
			}
			e.drain()
			var rounds []string
			for range 4 {
				e.clock.Add(time.Hour)
				if _, err := e.svc.FollowUp(ctx); err != nil {
					t.Fatal(err)
				}
				e.drain()
			}
			rs, err := e.st.ListReferrals(ctx, store.ReferralFilter{CaseID: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			for i := len(rs) - 1; i >= 0; i-- {
				r := rs[i]
				rounds = append(rounds, fmt.Sprintf("%d:%s:%v:%s", r.Round, r.Target, r.Escalation, r.Status))
			}
			want := []string{"1:telegram:false:sent"}
			if still {
				want = append(want, "2:telegram:false:sent", "3:host-a:true:sent")
			}
			if fmt.Sprint(rounds) != fmt.Sprint(want) {
				t.Errorf("referrals %v, want %v", rounds, want)
			}
			if still && (len(e.auditOf("referral.rereport")) != 1 || len(e.auditOf("referral.escalate")) != 1) {
				t.Errorf("audited %d re-reports and %d escalations, want 1 each", len(e.auditOf("referral.rereport")), len(e.auditOf("referral.escalate")))
			}
		})
	}
}

// TestTwoSendersNeverSendTwice runs two senders, each on its own store of
// one database file, as two raqib processes would, until everything is
// sent: the platform receives every referral exactly once.
func TestTwoSendersNeverSendTwice(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, platform.Options{}, "", Options{})
	const n = 40
	for i := range n {
		c, _ := e.confirmed(fmt.Sprint(i+1), post.Telegram)
		if _, err := e.svc.FromCase(ctx, c, amina); err != nil {
			t.Fatal(err)
		}
	}
	second, err := sqlite.Open(ctx, e.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	cfg := configJSON(e.plat.WebhookURL(), `, "batch": 3`, "127.0.0.1:1")
	senders := []*Service{e.service(e.st, cfg, "w1", Options{}), e.service(second, cfg, "w2", Options{})}
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k, err := s.SendOnce(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if k == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	seen := map[int64]int{}
	for _, r := range e.plat.Reports() {
		seen[r.ID]++
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("referral %d sent %d times", id, k)
		}
	}
	if len(seen) != n {
		t.Errorf("platform received %d referrals, want %d", len(seen), n)
	}
}

// TestEmailSTARTTLS sends through a relay that offers STARTTLS, as the
// default channel requires, with AUTH PLAIN over it; the password comes
// from the environment and is written nowhere. A relay without STARTTLS
// is refused for good.
func TestEmailSTARTTLS(t *testing.T) {
	ctx := context.Background()
	sink, ca := referraltest.StartTLSSink(t)
	t.Setenv("RAQIB_TEST_SMTP_PASSWORD", "pa55-word")
	cfg := func(server string) string {
		return `{"reporter": {"name": "unit"}, "targets": [{"name": "x", "platforms": ["x"], "email": {"server": "` + server +
			`", "from": "unit@example.org", "to": ["abuse@x.example"], "user": "unit", "password_env": "RAQIB_TEST_SMTP_PASSWORD", "ca_file": "` + ca + `"}}]}`
	}
	e := newEnv(t, platform.Options{}, "", Options{})
	e.svc = e.service(e.st, cfg(sink.Addr()), "w1", Options{})
	c, _ := e.confirmed("1", post.X)
	rs, err := e.svc.FromCase(ctx, c, amina)
	if err != nil {
		t.Fatal(err)
	}
	e.drain()
	if r := e.referral(rs[0].ID); r.Status != store.ReferralSent {
		t.Fatalf("status %s: %s", r.Status, r.LastError)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].Auth != "unit:pa55-word" {
		t.Fatalf("sink got %+v; want one message over TLS with the credentials", msgs)
	}
	es, _ := e.st.AuditEntries(ctx, store.AuditFilter{Limit: 1000})
	for _, a := range es {
		if strings.Contains(string(a.After)+string(a.Before), "pa55-word") {
			t.Errorf("audit entry %d holds the password", a.Seq)
		}
	}

	plain := referraltest.StartSMTPSink(t, nil)
	e2 := newEnv(t, platform.Options{}, "", Options{})
	e2.svc = e2.service(e2.st, cfg(plain.Addr()), "w1", Options{})
	c, _ = e2.confirmed("1", post.X)
	rs, err = e2.svc.FromCase(ctx, c, amina)
	if err != nil {
		t.Fatal(err)
	}
	e2.drain()
	if r := e2.referral(rs[0].ID); r.Status != store.ReferralFailed || !strings.Contains(r.LastError, "STARTTLS") || len(plain.Messages()) != 0 {
		t.Errorf("relay without STARTTLS: %s (%s), %d messages; want failed, nothing sent", r.Status, r.LastError, len(plain.Messages()))
	}
}
