// Package referral reports confirmed cases to the platforms, or to the
// hosts of self-hosted servers and websites, and keeps what became of each
// report. A case becomes referrals only once an analyst confirmed it (and a
// second person approved them, where configured); the store refuses
// anything else, and a sender takes only referrals whose case is still
// confirmed. Senders in any number of processes share the work through
// leases in the store, keep each target's pace, retry with exponential
// backoff and jitter, record the platform's ticket, and audit every send.
// Posts still online some time after a report are reported again, then
// escalated to their host.
package referral

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

var (
	// ErrNoTarget is returned (wrapped) for a post no configured target
	// takes.
	ErrNoTarget = errors.New("no referral target configured")
	// ErrNothingToRefer is returned when no post of a case can be referred
	// (none has a URL or a target).
	ErrNothingToRefer = errors.New("nothing to refer")
)

// Store is what referrals need of a store.
type Store interface {
	Post(ctx context.Context, key string) (post.Post, []store.Version, error)
	CasePosts(ctx context.Context, caseID int64, limit int) ([]string, error)
	Case(ctx context.Context, id int64) (post.Case, error)
	store.Referrals
	store.Auditor
}

// Actor is who does something audited: a user with the source of the
// request, or the sender process.
type Actor struct {
	User   string
	Source string
}

// Sent is what OnSent hooks learn of a referral that left.
type Sent struct {
	ReferralID int64
	CaseID     int64
	PostKey    string
	URL        string
	Platform   post.Platform
	Target     string
	Kind       string // channel kind: email, webhook, bundle
	Label      post.Label
	Tier       post.Tier
	At         time.Time
}

// Liveness tells whether a URL is still online; the liveness tracker
// implements it.
type Liveness interface {
	StillOnline(ctx context.Context, url string) (bool, error)
}

// Doer sends HTTP requests: the SSRF-safe client of package fetch.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Options are a Service's settings beside its configuration file.
type Options struct {
	// RequireApproval makes referrals wait for a second person (a senior)
	// to approve them before they are sent.
	RequireApproval bool
	// HTTP sends webhooks; it must be the SSRF-safe client.
	HTTP Doer
	// Online, when set, is asked about referred posts RereportAfter after
	// each send; nil turns re-reports off.
	Online Liveness
	// OnSent is called after every successful send; its error is logged.
	OnSent func(ctx context.Context, s Sent) error
	// Observe, when set, is told the outcome of every send attempt
	// (metrics): queued again, sent, manual or failed.
	Observe func(target, channel string, outcome store.ReferralStatus)
	// Owner names this sender in leases and audit entries; unique among
	// the processes that share a store.
	Owner string
	// Lease is how long a claimed batch is this sender's (default 10m):
	// longer than the slowest send.
	Lease time.Duration
	// MaxAttempts bounds the sends of one referral (default 8).
	MaxAttempts int
	// Backoff is the first retry delay (default 1m), doubled per attempt
	// up to MaxBackoff (default 6h), with jitter.
	Backoff, MaxBackoff time.Duration
	// MaxCasePosts bounds the posts of one case referred (default 500).
	MaxCasePosts int
	Now          func() time.Time
	Log          *slog.Logger
}

// Service creates, sends and follows referrals.
type Service struct {
	st       Store
	cfg      *Config
	opt      Options
	channels map[string]channel
}

// New returns a Service on st with the configuration cfg.
func New(st Store, cfg *Config, opt Options) (*Service, error) {
	if opt.Owner == "" {
		return nil, errors.New("referral sender: an owner name is required")
	}
	if opt.Lease <= 0 {
		opt.Lease = 10 * time.Minute
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 8
	}
	if opt.Backoff <= 0 {
		opt.Backoff = time.Minute
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 6 * time.Hour
	}
	if opt.MaxCasePosts <= 0 {
		opt.MaxCasePosts = 500
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{st: st, cfg: cfg, opt: opt, channels: map[string]channel{}}
	for i := range cfg.Targets {
		t := &cfg.Targets[i]
		switch t.Kind() {
		case KindEmail:
			e, err := newEmailSender(t.Email, cfg.Reporter, opt.Now)
			if err != nil {
				return nil, fmt.Errorf("target %s: %w", t.Name, err)
			}
			s.channels[t.Name] = e
		case KindWebhook:
			if opt.HTTP == nil {
				return nil, fmt.Errorf("target %s: a webhook needs an HTTP client", t.Name)
			}
			s.channels[t.Name] = &webhookSender{ch: t.Webhook, reporter: cfg.Reporter, http: opt.HTTP}
		case KindBundle:
			s.channels[t.Name] = bundleSender{}
		}
	}
	return s, nil
}

// Config returns the service's configuration.
func (s *Service) Config() *Config { return s.cfg }

func (s *Service) now() time.Time { return s.opt.Now().UTC() }

// FromCase turns a confirmed case into referrals, one for each post of it
// with a URL and a target. They wait for approval when the service
// requires it, else they are queued for the sender. The case must be
// confirmed: the store checks it again as it stores them. Posts that
// cannot be referred are named in the audit entry; ErrNothingToRefer when
// none can.
func (s *Service) FromCase(ctx context.Context, c post.Case, by Actor) ([]store.Referral, error) {
	if err := store.CheckReferable(c.ID, c.Status, c.Approval); err != nil {
		return nil, err
	}
	if by.User == "" {
		return nil, fmt.Errorf("case %d: who refers it is required", c.ID)
	}
	keys, err := s.st.CasePosts(ctx, c.ID, s.opt.MaxCasePosts)
	if err != nil {
		return nil, fmt.Errorf("refer case %d: %w", c.ID, err)
	}
	now := s.now()
	status := store.ReferralQueued
	if s.opt.RequireApproval {
		status = store.ReferralAwaiting
	}
	var (
		rs      []store.Referral
		skipped = map[string]string{}
	)
	for _, k := range keys {
		p, _, err := s.st.Post(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("refer case %d: %w", c.ID, err)
		}
		if p.URL == "" {
			skipped[k] = "no URL"
			continue
		}
		t, err := s.cfg.Resolve(p.Platform, p.URL)
		if err != nil {
			skipped[k] = err.Error()
			continue
		}
		label, tier, entity := c.Label, c.Tier, c.Entity
		if d := p.Decision; d.Violating {
			label, tier, entity = d.Label, d.Tier, d.Entity
		}
		rs = append(rs, store.Referral{CaseID: c.ID, PostKey: k, URL: p.URL, Platform: p.Platform, Target: t.Name, Kind: t.Kind(),
			Label: label, Tier: tier, Entity: entity, EvidenceHash: EvidenceHash(p), Round: 1, Status: status,
			CreatedBy: by.User, CreatedAt: now, NextAt: now})
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("case %d (%d posts, %v): %w", c.ID, len(keys), skipped, ErrNothingToRefer)
	}
	rs, err = s.st.CreateReferrals(ctx, rs)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	s.audit(ctx, by, "referral.create", fmt.Sprintf("case:%d", c.ID), nil,
		map[string]any{"referrals": ids, "status": status, "skipped": skipped})
	return rs, nil
}

// FromCaseID is FromCase of the stored case id.
func (s *Service) FromCaseID(ctx context.Context, id int64, by Actor) ([]store.Referral, error) {
	c, err := s.st.Case(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("refer case %d: %w", id, err)
	}
	return s.FromCase(ctx, c, by)
}

// EvidenceHash is the SHA-256, in hex, of the post's raw record as read:
// the bytes a court can be shown. A post kept without its raw record is
// hashed as its stored JSON.
func EvidenceHash(p post.Post) string {
	b := p.Raw
	if len(b) == 0 {
		b, _ = json.Marshal(p)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Approve lets a referral waiting for approval go; the caller checked
// that by may approve (auth.Approve), and the store that by did not ask
// for it.
func (s *Service) Approve(ctx context.Context, id int64, by Actor) (store.Referral, error) {
	r, err := s.st.ApproveReferral(ctx, id, by.User, s.now())
	if err != nil {
		return r, err
	}
	s.audit(ctx, by, "referral.approve", subject(id), map[string]any{"status": store.ReferralAwaiting},
		map[string]any{"status": r.Status, "case": r.CaseID, "created_by": r.CreatedBy})
	return r, nil
}

// Reply records an answer of the platform to a referral: a ticket, a
// text, or both.
func (s *Service) Reply(ctx context.Context, id int64, by Actor, via, ticket, text string) error {
	if ticket == "" && text == "" {
		return fmt.Errorf("reply to referral %d: a ticket or a text is required", id)
	}
	err := s.st.AddReferralReply(ctx, store.ReferralReply{ReferralID: id, At: s.now(), By: by.User, Via: via, Ticket: ticket, Text: text})
	if err != nil {
		return err
	}
	s.audit(ctx, by, "referral.reply", subject(id), nil, map[string]any{"via": via, "ticket": ticket, "text": text})
	return nil
}

// Submit records that an analyst sent a bundle referral through the
// platform's form: the referral is sent from now on.
func (s *Service) Submit(ctx context.Context, id int64, by Actor, ticket string) (store.Referral, error) {
	r, err := s.st.SubmitReferral(ctx, id, ticket, s.now())
	if err != nil {
		return r, err
	}
	s.audit(ctx, by, "referral.submit", subject(id), map[string]any{"status": store.ReferralManual},
		map[string]any{"status": r.Status, "ticket": r.Ticket, "channel": r.Kind, "target": r.Target})
	s.sent(ctx, r)
	return r, nil
}

// sent calls the OnSent hook for r.
func (s *Service) sent(ctx context.Context, r store.Referral) {
	if s.opt.OnSent == nil {
		return
	}
	err := s.opt.OnSent(ctx, Sent{ReferralID: r.ID, CaseID: r.CaseID, PostKey: r.PostKey, URL: r.URL, Platform: r.Platform,
		Target: r.Target, Kind: r.Kind, Label: r.Label, Tier: r.Tier, At: r.SentAt})
	if err != nil {
		s.opt.Log.Error("referral sent hook", "referral", r.ID, "err", err)
	}
}

func subject(id int64) string { return fmt.Sprintf("referral:%d", id) }

// audit appends an entry; a failure is logged, as the change it records
// is already committed.
func (s *Service) audit(ctx context.Context, by Actor, action, subj string, before, after any) {
	e := audit.Entry{Actor: by.User, Source: by.Source, Action: action, Subject: subj}
	var err error
	if before != nil {
		e.Before, err = json.Marshal(before)
	}
	if err == nil && after != nil {
		e.After, err = json.Marshal(after)
	}
	if err == nil {
		_, err = s.st.Append(context.WithoutCancel(ctx), e)
	}
	if err != nil {
		s.opt.Log.Error("audit referral", "action", action, "subject", subj, "err", err)
	}
}
