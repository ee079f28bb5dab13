package referral

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/raqib-project/raqib/internal/store"
)

// defaultBatch is the largest batch to a target that names none.
const defaultBatch = 20

// system is the actor of what the sender does on its own.
const system = "raqib"

// claim is the sender's claim at now: the configured batch sizes and
// paces of every target.
func (s *Service) claim(now time.Time) store.ReferralClaim {
	c := store.ReferralClaim{Owner: s.opt.Owner, Now: now, Lease: s.opt.Lease, Max: defaultBatch,
		Paces: map[string]time.Duration{}, Batches: map[string]int{}}
	for _, t := range s.cfg.Targets {
		c.Paces[t.Name] = t.pace
		if t.Batch > 0 {
			c.Batches[t.Name] = t.Batch
		}
	}
	return c
}

// SendOnce claims one batch of due referrals of one target and sends it.
// It returns how many referrals it handled: 0 when none was due.
func (s *Service) SendOnce(ctx context.Context) (int, error) {
	now := s.now()
	rs, err := s.st.ClaimReferrals(ctx, s.claim(now))
	if err != nil || len(rs) == 0 {
		return 0, err
	}
	var res result
	t, ok := s.cfg.Target(rs[0].Target)
	if ok {
		res, err = s.channels[t.Name].send(ctx, s.cfg, t, rs)
	} else {
		err = fmt.Errorf("target %s: %w", rs[0].Target, ErrNoTarget)
	}
	for _, r := range rs {
		s.finish(ctx, r, res, err)
	}
	return len(rs), nil
}

// finish records the outcome of sending r, audits it, and calls the
// OnSent hook when r left.
func (s *Service) finish(ctx context.Context, r store.Referral, res result, sendErr error) {
	ctx = context.WithoutCancel(ctx) // what was sent must be recorded
	o := store.ReferralOutcome{At: s.now()}
	attempt := r.Attempts + 1
	var te *TempError
	switch {
	case sendErr == nil && res.manual:
		o.Status = store.ReferralManual
	case sendErr == nil:
		o.Status, o.Ticket = store.ReferralSent, res.ticketOf(r.ID)
	case errors.As(sendErr, &te) && attempt < s.opt.MaxAttempts:
		o.Status, o.Error = store.ReferralQueued, sendErr.Error()
		delay := s.backoff(attempt)
		if te.After > 0 {
			delay, o.HoldTarget = te.After, o.At.Add(te.After)
		}
		o.NextAt = o.At.Add(delay)
	default:
		o.Status, o.Error = store.ReferralFailed, sendErr.Error()
	}
	done, err := s.st.FinishReferral(ctx, s.opt.Owner, r.ID, o)
	if s.opt.Observe != nil {
		s.opt.Observe(r.Target, r.Kind, o.Status)
	}
	after := map[string]any{"status": o.Status, "case": r.CaseID, "target": r.Target, "channel": r.Kind, "attempt": attempt,
		"requested_by": r.CreatedBy}
	for k, v := range map[string]string{"ticket": o.Ticket, "error": o.Error, "message_id": res.ref, "approved_by": r.ApprovedBy} {
		if v != "" {
			after[k] = v
		}
	}
	if !o.NextAt.IsZero() {
		after["retry_at"] = o.NextAt
	}
	if err != nil {
		after["record_error"] = err.Error()
		s.opt.Log.Error("record referral outcome", "referral", r.ID, "status", o.Status, "err", err)
	}
	s.audit(ctx, Actor{User: system, Source: "sender:" + s.opt.Owner}, "referral.send", subject(r.ID),
		map[string]any{"status": r.Status, "attempts": r.Attempts}, after)
	if err != nil || o.Status != store.ReferralSent {
		return
	}
	if res.reply != "" || o.Ticket != "" {
		if err := s.st.AddReferralReply(ctx, store.ReferralReply{ReferralID: r.ID, At: o.At, By: r.Target, Via: r.Kind,
			Ticket: o.Ticket, Text: res.reply}); err != nil {
			s.opt.Log.Error("record referral reply", "referral", r.ID, "err", err)
		}
	}
	s.sent(ctx, done)
}

// backoff is the delay before attempt+1: Backoff doubled per attempt up
// to MaxBackoff, of which a random half is added, so that referrals
// failing together do not come back together.
func (s *Service) backoff(attempt int) time.Duration {
	d := s.opt.MaxBackoff
	if attempt < 30 {
		d = min(s.opt.Backoff<<(attempt-1), s.opt.MaxBackoff)
	}
	return d/2 + rand.N(d/2+1)
}

// FollowUp checks referrals sent RereportAfter ago: a post still online is
// reported again to the same target, Rereports times, then escalated to
// its host when one is configured. It returns how many referrals it
// created.
func (s *Service) FollowUp(ctx context.Context) (int, error) {
	if s.opt.Online == nil || s.cfg.rereportAfter <= 0 {
		return 0, nil
	}
	now := s.now()
	due, err := s.st.DueFollowUps(ctx, now.Add(-s.cfg.rereportAfter), 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range due {
		online, err := s.opt.Online.StillOnline(ctx, r.URL)
		if err != nil {
			// Checked again on the next round.
			s.opt.Log.Warn("referral follow-up: liveness", "referral", r.ID, "url", r.URL, "err", err)
			continue
		}
		if next, ok := s.next(r, now); online && ok {
			created, err := s.st.CreateReferrals(ctx, []store.Referral{next})
			switch {
			case errors.Is(err, store.ErrNotConfirmed):
				// The case changed (dismissed, removed): nothing more to report.
			case err != nil:
				return n, err
			case created[0].CreatedAt.Equal(next.CreatedAt.Truncate(time.Millisecond)):
				// Not one another sender created first.
				action := "referral.rereport"
				if next.Escalation {
					action = "referral.escalate"
				}
				s.audit(ctx, Actor{User: system, Source: "sender:" + s.opt.Owner}, action, subject(created[0].ID),
					map[string]any{"after": r.ID, "target": r.Target}, map[string]any{"target": next.Target, "round": next.Round, "case": r.CaseID})
				n++
			}
		}
		if err := s.st.MarkFollowed(ctx, r.ID, now); err != nil {
			return n, err
		}
	}
	return n, nil
}

// next is the referral that follows r when its post is still online.
func (s *Service) next(r store.Referral, now time.Time) (store.Referral, bool) {
	var t *Target
	switch {
	case r.Escalation:
		return r, false
	case r.Round <= s.cfg.Rereports:
		var ok bool
		if t, ok = s.cfg.Target(r.Target); !ok {
			return r, false
		}
	default:
		if t = s.cfg.Host(r.URL, r.Target); t == nil {
			return r, false
		}
		r.Escalation = true
	}
	r.ID, r.Target, r.Kind, r.Round = 0, t.Name, t.Kind(), r.Round+1
	r.Status, r.Attempts, r.Ticket, r.LastError = store.ReferralQueued, 0, "", ""
	r.CreatedBy, r.CreatedAt, r.NextAt, r.SentAt, r.FollowedAt = system, now, now, time.Time{}, time.Time{}
	return r, true
}

// Run sends due batches and follows sent referrals every interval until
// ctx ends. Errors are logged and the loop goes on.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		for ctx.Err() == nil {
			n, err := s.SendOnce(ctx)
			if err != nil && ctx.Err() == nil {
				s.opt.Log.Error("referral sender", "err", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		if _, err := s.FollowUp(ctx); err != nil && ctx.Err() == nil {
			s.opt.Log.Error("referral follow-up", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
