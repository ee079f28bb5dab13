package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// ReferralStore is what the referral suite needs of a store.
type ReferralStore interface {
	store.Store
	store.Referrals
	store.CaseStatusSetter
}

// OpenCase stores a violating post with id (and a URL) and opens its case;
// it returns the case id and the post.
func OpenCase(t testing.TB, s store.Store, id string) (int64, post.Post) {
	t.Helper()
	ctx := context.Background()
	p := sample(id, "نص مخالف تجريبي "+id)
	p.URL = "https://t.me/test/" + id
	p.Decision = post.Decision{Label: post.Propaganda, Tier: post.TierOfficial, Entity: "isis", Score: 0.97, Violating: true}
	if _, err := s.SavePosts(ctx, []post.Post{p}); err != nil {
		t.Fatal(err)
	}
	d := p.Decision
	if _, err := s.ProposeCases(ctx, []post.CaseProposal{{PostKey: p.Key(), Label: d.Label, Tier: d.Tier, Entity: d.Entity, Score: d.Score, Reason: "test"}}); err != nil {
		t.Fatal(err)
	}
	cs, err := s.Cases(ctx, post.CaseOpen, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.PostKey == p.Key() {
			return c.ID, p
		}
	}
	t.Fatalf("no open case of %s", p.Key())
	return 0, p
}

// NewReferral is a queued referral of post p in case id to target.
func NewReferral(caseID int64, p post.Post, target string, at time.Time) store.Referral {
	return store.Referral{CaseID: caseID, PostKey: p.Key(), URL: p.URL, Platform: p.Platform, Target: target, Kind: "webhook",
		Label: p.Decision.Label, Tier: p.Decision.Tier, Entity: p.Decision.Entity, EvidenceHash: "e3b0", Round: 1,
		Status: store.ReferralQueued, CreatedBy: "amina", CreatedAt: at}
}

// RunReferrals runs the referral suite against fresh, empty stores made by
// open.
func RunReferrals(t *testing.T, open func(t *testing.T) ReferralStore) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	confirmed := func(t *testing.T, s ReferralStore, id string) (int64, post.Post) {
		t.Helper()
		c, p := OpenCase(t, s, id)
		if err := s.SetCaseStatus(ctx, c, post.CaseConfirmed, post.CaseOpen); err != nil {
			t.Fatal(err)
		}
		return c, p
	}
	claim := func(owner string, at time.Time) store.ReferralClaim {
		return store.ReferralClaim{Owner: owner, Now: at, Lease: 5 * time.Minute, Max: 10, Pace: time.Minute}
	}

	t.Run("refused unless the case is confirmed", func(t *testing.T) {
		s := open(t)
		c, p := OpenCase(t, s, "1")
		_, err := s.CreateReferrals(ctx, []store.Referral{NewReferral(c, p, "telegram", now)})
		if !errors.Is(err, store.ErrNotConfirmed) {
			t.Fatalf("referral of an open case: err %v, want ErrNotConfirmed", err)
		}
		if err := s.SetCaseStatus(ctx, c, post.CaseDismissed, post.CaseOpen); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateReferrals(ctx, []store.Referral{NewReferral(c, p, "telegram", now)}); !errors.Is(err, store.ErrNotConfirmed) {
			t.Fatalf("referral of a dismissed case: err %v, want ErrNotConfirmed", err)
		}
		if _, err := s.CreateReferrals(ctx, []store.Referral{NewReferral(c+100, p, "telegram", now)}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("referral of no case: err %v, want ErrNotFound", err)
		}
		if rs, err := s.ListReferrals(ctx, store.ReferralFilter{}); err != nil || len(rs) != 0 {
			t.Fatalf("stored %d referrals (err %v), want none", len(rs), err)
		}
	})

	t.Run("create once, claim, send, reply", func(t *testing.T) {
		s := open(t)
		c, p := confirmed(t, s, "1")
		rs, err := s.CreateReferrals(ctx, []store.Referral{NewReferral(c, p, "telegram", now)})
		if err != nil || len(rs) != 1 || rs[0].ID == 0 || rs[0].Status != store.ReferralQueued {
			t.Fatalf("CreateReferrals = %+v, %v", rs, err)
		}
		again, err := s.CreateReferrals(ctx, []store.Referral{NewReferral(c, p, "telegram", now)})
		if err != nil || len(again) != 1 || again[0].ID != rs[0].ID {
			t.Fatalf("creating again = %+v, %v; want the stored referral %d", again, err, rs[0].ID)
		}
		got, err := s.ClaimReferrals(ctx, claim("w1", now))
		if err != nil || len(got) != 1 || got[0].ID != rs[0].ID {
			t.Fatalf("claim = %+v, %v", got, err)
		}
		if more, err := s.ClaimReferrals(ctx, claim("w2", now)); err != nil || len(more) != 0 {
			t.Fatalf("second claim while the lease runs = %+v, %v; want none", more, err)
		}
		if _, err := s.FinishReferral(ctx, "w2", rs[0].ID, store.ReferralOutcome{Status: store.ReferralSent, At: now}); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("finish by a sender without the lease: %v, want ErrLeaseLost", err)
		}
		sent, err := s.FinishReferral(ctx, "w1", rs[0].ID, store.ReferralOutcome{Status: store.ReferralSent, At: now, Ticket: "T-1"})
		if err != nil || sent.Status != store.ReferralSent || sent.Ticket != "T-1" || !sent.SentAt.Equal(now) || sent.Attempts != 1 {
			t.Fatalf("finish = %+v, %v", sent, err)
		}
		cs, err := s.Cases(ctx, post.CaseReferred, 10)
		if err != nil || len(cs) != 1 || cs[0].ID != c {
			t.Errorf("referred cases = %+v, %v; want case %d", cs, err, c)
		}
		if err := s.AddReferralReply(ctx, store.ReferralReply{ReferralID: sent.ID, At: now.Add(time.Hour), By: "omar", Via: "cli", Text: "تمت الإزالة"}); err != nil {
			t.Fatal(err)
		}
		r, replies, err := s.Referral(ctx, sent.ID)
		if err != nil || r.Ticket != "T-1" || len(replies) != 1 || replies[0].Text != "تمت الإزالة" || !replies[0].At.Equal(now.Add(time.Hour)) {
			t.Fatalf("Referral = %+v %+v, %v", r, replies, err)
		}
		if _, _, err := s.Referral(ctx, sent.ID+100); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing referral: %v, want ErrNotFound", err)
		}
		if err := s.AddReferralReply(ctx, store.ReferralReply{ReferralID: sent.ID + 100, At: now, By: "omar", Via: "cli"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("reply to a missing referral: %v, want ErrNotFound", err)
		}
	})

	t.Run("a reply gives a ticket to a referral without one", func(t *testing.T) {
		s := open(t)
		c, p := confirmed(t, s, "1")
		rs, err := s.CreateReferrals(ctx, []store.Referral{NewReferral(c, p, "telegram", now)})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range []string{"A-7", "B-8"} {
			if err := s.AddReferralReply(ctx, store.ReferralReply{ReferralID: rs[0].ID, At: now, By: "omar", Via: "ui", Ticket: tk}); err != nil {
				t.Fatal(err)
			}
		}
		if r, replies, err := s.Referral(ctx, rs[0].ID); err != nil || r.Ticket != "A-7" || len(replies) != 2 {
			t.Errorf("ticket %q with %d replies (err %v), want the first reply's A-7 and 2", r.Ticket, len(replies), err)
		}
	})

	t.Run("approval by a second person", func(t *testing.T) {
		s := open(t)
		c, p := confirmed(t, s, "1")
		r := NewReferral(c, p, "telegram", now)
		r.Status = store.ReferralAwaiting
		rs, err := s.CreateReferrals(ctx, []store.Referral{r})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.ClaimReferrals(ctx, claim("w1", now)); err != nil || len(got) != 0 {
			t.Fatalf("claimed %d referrals awaiting approval (err %v)", len(got), err)
		}
		if _, err := s.ApproveReferral(ctx, rs[0].ID, "amina", now); !errors.Is(err, store.ErrSelfApproval) {
			t.Fatalf("self-approval: %v, want ErrSelfApproval", err)
		}
		ok, err := s.ApproveReferral(ctx, rs[0].ID, "salma", now)
		if err != nil || ok.Status != store.ReferralQueued || ok.ApprovedBy != "salma" {
			t.Fatalf("approve = %+v, %v", ok, err)
		}
		if _, err := s.ApproveReferral(ctx, rs[0].ID, "salma", now); !errors.Is(err, store.ErrReferralState) {
			t.Errorf("approving twice: %v, want ErrReferralState", err)
		}
		if _, err := s.ApproveReferral(ctx, rs[0].ID+100, "salma", now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("approving a missing referral: %v, want ErrNotFound", err)
		}
		if got, err := s.ClaimReferrals(ctx, claim("w1", now)); err != nil || len(got) != 1 {
			t.Errorf("claimed %d approved referrals (err %v), want 1", len(got), err)
		}
	})

	t.Run("nothing leaves of a case no longer confirmed", func(t *testing.T) {
		s := open(t)
		c, p := confirmed(t, s, "1")
		if _, err := s.CreateReferrals(ctx, []store.Referral{NewReferral(c, p, "telegram", now)}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetCaseStatus(ctx, c, post.CaseDismissed, post.CaseConfirmed); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ClaimReferrals(ctx, claim("w1", now)); err != nil || len(got) != 0 {
			t.Errorf("claimed %d referrals of a dismissed case (err %v), want none", len(got), err)
		}
	})

	t.Run("pace, batches and retries", func(t *testing.T) {
		s := open(t)
		var tg []store.Referral
		for i := range 3 {
			c, p := confirmed(t, s, fmt.Sprint(i+1))
			tg = append(tg, NewReferral(c, p, "telegram", now))
		}
		c, p := confirmed(t, s, "9")
		x := NewReferral(c, p, "x", now)
		x.NextAt = now.Add(time.Second) // after telegram's
		for _, r := range append(tg, x) {
			if _, err := s.CreateReferrals(ctx, []store.Referral{r}); err != nil {
				t.Fatal(err)
			}
		}
		c1 := claim("w1", now)
		c1.Max = 2
		b1, err := s.ClaimReferrals(ctx, c1)
		if err != nil || len(b1) != 2 || b1[0].Target != "telegram" || b1[1].Target != "telegram" {
			t.Fatalf("first batch = %+v, %v; want 2 of telegram", b1, err)
		}
		if _, err := s.FinishReferral(ctx, "w1", b1[1].ID, store.ReferralOutcome{Status: store.ReferralSent, At: now}); err != nil {
			t.Fatal(err)
		}
		// telegram's pace holds its third referral; x is not due yet.
		if b, err := s.ClaimReferrals(ctx, claim("w1", now.Add(2*time.Second))); err != nil || len(b) != 1 || b[0].Target != "x" {
			t.Fatalf("second batch = %+v, %v; want x's one", b, err)
		}
		if b, err := s.ClaimReferrals(ctx, claim("w1", now.Add(30*time.Second))); err != nil || len(b) != 0 {
			t.Fatalf("batch within telegram's pace = %+v, %v; want none", b, err)
		}
		// A retry with a Retry-After holds the whole target.
		retry := store.ReferralOutcome{Status: store.ReferralQueued, At: now, Error: "429", NextAt: now.Add(10 * time.Minute), HoldTarget: now.Add(10 * time.Minute)}
		r, err := s.FinishReferral(ctx, "w1", b1[0].ID, retry)
		if err != nil || r.Status != store.ReferralQueued || r.Attempts != 1 || r.LastError != "429" {
			t.Fatalf("retry = %+v, %v", r, err)
		}
		if b, err := s.ClaimReferrals(ctx, claim("w1", now.Add(2*time.Minute))); err != nil || len(b) != 0 {
			t.Fatalf("batch while telegram is held = %+v, %v; want none", b, err)
		}
		b, err := s.ClaimReferrals(ctx, claim("w1", now.Add(11*time.Minute)))
		if err != nil || len(b) != 2 {
			t.Fatalf("batch after the hold = %+v, %v; want the retried and the third", b, err)
		}
		failed, err := s.FinishReferral(ctx, "w1", b[0].ID, store.ReferralOutcome{Status: store.ReferralFailed, At: now, Error: "400 bad request"})
		if err != nil || failed.Status != store.ReferralFailed {
			t.Fatalf("fail = %+v, %v", failed, err)
		}
		if l, err := s.ListReferrals(ctx, store.ReferralFilter{Status: store.ReferralFailed}); err != nil || len(l) != 1 || l[0].ID != b[0].ID {
			t.Errorf("failed referrals = %+v, %v", l, err)
		}
		if l, err := s.ListReferrals(ctx, store.ReferralFilter{Target: "telegram"}); err != nil || len(l) != 3 || l[0].ID < l[2].ID {
			t.Errorf("telegram referrals = %d, %v; want 3 newest first", len(l), err)
		}
	})

	t.Run("an expired lease is claimed again and its first holder loses it", func(t *testing.T) {
		s := open(t)
		c, p := confirmed(t, s, "1")
		rs, err := s.CreateReferrals(ctx, []store.Referral{NewReferral(c, p, "telegram", now)})
		if err != nil {
			t.Fatal(err)
		}
		if b, err := s.ClaimReferrals(ctx, claim("w1", now)); err != nil || len(b) != 1 {
			t.Fatalf("claim = %v, %v", b, err)
		}
		if b, err := s.ClaimReferrals(ctx, claim("w2", now.Add(6*time.Minute))); err != nil || len(b) != 1 {
			t.Fatalf("claim after the lease = %v, %v", b, err)
		}
		if _, err := s.FinishReferral(ctx, "w1", rs[0].ID, store.ReferralOutcome{Status: store.ReferralSent, At: now}); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("finish by the first holder: %v, want ErrLeaseLost", err)
		}
	})

	t.Run("manual referrals are submitted by hand", func(t *testing.T) {
		s := open(t)
		c, p := confirmed(t, s, "1")
		rs, err := s.CreateReferrals(ctx, []store.Referral{NewReferral(c, p, "facebook", now)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SubmitReferral(ctx, rs[0].ID, "", now); !errors.Is(err, store.ErrReferralState) {
			t.Fatalf("submit a queued referral: %v, want ErrReferralState", err)
		}
		if _, err := s.ClaimReferrals(ctx, claim("w1", now)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FinishReferral(ctx, "w1", rs[0].ID, store.ReferralOutcome{Status: store.ReferralManual, At: now}); err != nil {
			t.Fatal(err)
		}
		r, err := s.SubmitReferral(ctx, rs[0].ID, "FB-9", now.Add(time.Hour))
		if err != nil || r.Status != store.ReferralSent || r.Ticket != "FB-9" || !r.SentAt.Equal(now.Add(time.Hour)) {
			t.Fatalf("submit = %+v, %v", r, err)
		}
	})

	t.Run("follow-ups", func(t *testing.T) {
		s := open(t)
		var ids []int64
		for i := range 2 {
			c, p := confirmed(t, s, fmt.Sprint(i+1))
			rs, err := s.CreateReferrals(ctx, []store.Referral{NewReferral(c, p, "telegram", now)})
			if err != nil {
				t.Fatal(err)
			}
			cl := claim("w1", now.Add(time.Duration(i)*time.Hour))
			if _, err := s.ClaimReferrals(ctx, cl); err != nil {
				t.Fatal(err)
			}
			if _, err := s.FinishReferral(ctx, "w1", rs[0].ID, store.ReferralOutcome{Status: store.ReferralSent, At: cl.Now}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, rs[0].ID)
		}
		due, err := s.DueFollowUps(ctx, now.Add(30*time.Minute), 10)
		if err != nil || len(due) != 1 || due[0].ID != ids[0] {
			t.Fatalf("due = %+v, %v; want the first", due, err)
		}
		if err := s.MarkFollowed(ctx, ids[0], now); err != nil {
			t.Fatal(err)
		}
		due, err = s.DueFollowUps(ctx, now.Add(2*time.Hour), 10)
		if err != nil || len(due) != 1 || due[0].ID != ids[1] {
			t.Fatalf("due after following the first = %+v, %v; want the second", due, err)
		}
	})
}

// ClaimReferralsConcurrently has senders claim from the stores at once until no
// referral is left, and fails if any referral was claimed twice or never.
func ClaimReferralsConcurrently(t *testing.T, stores []ReferralStore, senders, referrals int) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	for i := range referrals {
		c, p := OpenCase(t, stores[0], fmt.Sprint(i+1))
		if err := stores[0].SetCaseStatus(ctx, c, post.CaseConfirmed); err != nil {
			t.Fatal(err)
		}
		if _, err := stores[0].CreateReferrals(ctx, []store.Referral{NewReferral(c, p, fmt.Sprint("target", i%3), now)}); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu      sync.Mutex
		claimed = map[int64]string{}
		wg      sync.WaitGroup
		errs    = make(chan error, senders)
	)
	for w := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, owner := stores[w%len(stores)], fmt.Sprint("w", w)
			for {
				b, err := s.ClaimReferrals(ctx, store.ReferralClaim{Owner: owner, Now: now, Lease: time.Hour, Max: 2})
				if err != nil {
					errs <- err
					return
				}
				if len(b) == 0 {
					return
				}
				for _, r := range b {
					mu.Lock()
					if prev, dup := claimed[r.ID]; dup {
						errs <- fmt.Errorf("referral %d claimed by %s and %s", r.ID, prev, owner)
					}
					claimed[r.ID] = owner
					mu.Unlock()
					if _, err := s.FinishReferral(ctx, owner, r.ID, store.ReferralOutcome{Status: store.ReferralSent, At: now}); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(claimed) != referrals {
		t.Errorf("claimed %d referrals, want %d", len(claimed), referrals)
	}
}
