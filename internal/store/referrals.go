package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

var (
	// ErrNotConfirmed is returned when a referral is asked for a case that
	// no analyst confirmed.
	ErrNotConfirmed = errors.New("case not confirmed")
	// ErrReferralState is returned (wrapped, saying why) for a change a
	// referral's status does not allow, such as approving a sent one.
	ErrReferralState = errors.New("referral state")
	// ErrSelfApproval is returned when the user who asked for a referral
	// tries to approve it too.
	ErrSelfApproval = errors.New("a referral needs a second person to approve it")
	// ErrLeaseLost is returned when a sender finishes a referral whose
	// lease it no longer holds.
	ErrLeaseLost = errors.New("referral lease lost")
)

// ReferralStatus is where a referral stands.
type ReferralStatus string

// Referral states. A referral is created awaiting approval (when seniors
// approve referrals) or queued; a sender takes queued ones and leaves
// them sent, failed, or manual (a bundle item an analyst submits through
// the platform's web form, then records as sent).
const (
	ReferralAwaiting ReferralStatus = "awaiting_approval"
	ReferralQueued   ReferralStatus = "queued"
	ReferralManual   ReferralStatus = "manual"
	ReferralSent     ReferralStatus = "sent"
	ReferralFailed   ReferralStatus = "failed"
)

// Referral is one post of a confirmed case reported to one target: the
// platform, or the host of a self-hosted server or website.
type Referral struct {
	ID       int64         `json:"id"`
	CaseID   int64         `json:"case_id"`
	PostKey  string        `json:"post_key"`
	URL      string        `json:"url"`
	Platform post.Platform `json:"platform"`
	// Target names the configured recipient; Kind is its channel kind
	// (email, webhook, bundle).
	Target string     `json:"target"`
	Kind   string     `json:"kind"`
	Label  post.Label `json:"label"`
	Tier   post.Tier  `json:"tier"`
	Entity string     `json:"entity,omitempty"`
	// EvidenceHash is the SHA-256 (hex) of the post's raw record.
	EvidenceHash string `json:"evidence_hash"`
	// Round is 1 for the first report of the post in its case and counts
	// up with every re-report; Escalation marks a report to the host after
	// the platform left the post online.
	Round      int            `json:"round"`
	Escalation bool           `json:"escalation,omitempty"`
	Status     ReferralStatus `json:"status"`
	Attempts   int            `json:"attempts"`
	NextAt     time.Time      `json:"next_at,omitzero"` // a queued referral is not sent before
	Ticket     string         `json:"ticket,omitempty"` // the platform's id of the report
	LastError  string         `json:"last_error,omitempty"`
	CreatedBy  string         `json:"created_by"`
	ApprovedBy string         `json:"approved_by,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	SentAt     time.Time      `json:"sent_at,omitzero"`
	// FollowedAt is when the re-report check of a sent referral ran.
	FollowedAt time.Time `json:"followed_at,omitzero"`
}

// ReferralReply is an answer of the platform to a referral: a webhook
// response, or a reply an analyst recorded.
type ReferralReply struct {
	ReferralID int64     `json:"referral_id"`
	At         time.Time `json:"at"`
	By         string    `json:"by"`  // the user who recorded it, or the sender
	Via        string    `json:"via"` // webhook, email, ui, cli
	Ticket     string    `json:"ticket,omitempty"`
	Text       string    `json:"text,omitempty"`
}

// ReferralFilter selects referrals. Zero fields do not filter.
type ReferralFilter struct {
	CaseID int64
	Status ReferralStatus
	Target string
	Limit  int // default 50, at most 1000
}

// ReferralClaim asks for a batch of queued referrals to send.
type ReferralClaim struct {
	Owner   string // the sender: a lease holder name unique among processes
	Now     time.Time
	Lease   time.Duration // how long the batch is the owner's
	Max     int           // the most referrals in a batch; Batches overrides it per target
	Batches map[string]int
	// Pace is the least time between two batches to one target; Paces
	// overrides it per target. The next time a target may be sent to is
	// kept in the store, so every sender of a deployment keeps the pace.
	Pace  time.Duration
	Paces map[string]time.Duration
}

// ReferralOutcome is what became of a claimed referral.
type ReferralOutcome struct {
	Status ReferralStatus // sent, manual, failed, or queued to retry
	At     time.Time
	Ticket string
	Error  string
	NextAt time.Time // of a retry
	// HoldTarget keeps every referral of the target from being claimed
	// before it, as a platform's Retry-After asks.
	HoldTarget time.Time
}

// Referrals keeps referrals, their leases and replies. A referral is only
// ever created, claimed or sent while its case is confirmed (or already
// referred): the store checks the case in the same statement.
type Referrals interface {
	// CreateReferrals stores rs, all of one case, with their Status
	// (awaiting approval or queued), and returns them as stored, with ids.
	// It fails with ErrNotConfirmed, storing none, unless the case is
	// confirmed or referred and no senior's approval is pending. A referral of the same case, post and round
	// stored before is returned as it is, not stored twice.
	CreateReferrals(ctx context.Context, rs []Referral) ([]Referral, error)
	// ApproveReferral moves a referral awaiting approval to the queue.
	// The user who created it cannot approve it (ErrSelfApproval).
	ApproveReferral(ctx context.Context, id int64, by string, at time.Time) (Referral, error)
	// ClaimReferrals leases up to c.Max queued, due referrals of one target
	// whose pace allows a batch to c.Owner, and sets the target's next
	// batch time. No two claims hold the same referral while a lease runs.
	// It returns none when nothing is due.
	ClaimReferrals(ctx context.Context, c ReferralClaim) ([]Referral, error)
	// FinishReferral records the outcome of a claimed referral and ends
	// its lease; ErrLeaseLost when owner no longer holds it. The first
	// referral sent of a confirmed case makes the case referred.
	FinishReferral(ctx context.Context, owner string, id int64, o ReferralOutcome) (Referral, error)
	// SubmitReferral records that an analyst submitted a manual referral
	// through the platform's form: it becomes sent at at.
	SubmitReferral(ctx context.Context, id int64, ticket string, at time.Time) (Referral, error)
	// AddReferralReply keeps a reply; a reply with a ticket gives the
	// referral that ticket when it had none.
	AddReferralReply(ctx context.Context, r ReferralReply) error
	// Referral returns a referral and its replies, oldest first.
	Referral(ctx context.Context, id int64) (Referral, []ReferralReply, error)
	// ListReferrals lists referrals matching f, newest first.
	ListReferrals(ctx context.Context, f ReferralFilter) ([]Referral, error)
	// DueFollowUps lists up to limit sent referrals, sent at or before
	// sentBefore, whose re-report check has not run, the oldest first.
	DueFollowUps(ctx context.Context, sentBefore time.Time, limit int) ([]Referral, error)
	// MarkFollowed records that the re-report check of a referral ran.
	MarkFollowed(ctx context.Context, id int64, at time.Time) error
}

// CaseStatusSetter changes a case's status. The review workflow owns
// decisions; referrals need only this to mark a case referred, and tests
// and the demo to confirm one.
type CaseStatusSetter interface {
	// SetCaseStatus sets case id to status to if it is in one of from;
	// ErrNotFound when no such case is in one of them.
	SetCaseStatus(ctx context.Context, id int64, to post.CaseStatus, from ...post.CaseStatus) error
}

// ReferralColumns are the columns ScanReferrals reads, in its order; both
// stores keep times as Unix milliseconds, 0 for none.
const ReferralColumns = `id, case_id, post_key, url, platform, target, kind, label, tier, entity, evidence_hash,
	round, escalation, status, attempts, next_at, ticket, last_error, created_by, approved_by, created_at, sent_at, followed_at`

// ScanReferrals reads referrals from rows of ReferralColumns, in id order.
func ScanReferrals(rows Rows) ([]Referral, error) {
	var out []Referral
	for rows.Next() {
		var (
			r                       Referral
			platform, label, status string
			escalation              int
		)
		if err := rows.Scan(&r.ID, &r.CaseID, &r.PostKey, &r.URL, &platform, &r.Target, &r.Kind, &label, &r.Tier, &r.Entity,
			&r.EvidenceHash, &r.Round, &escalation, &status, &r.Attempts, &timeScanner{&r.NextAt}, &r.Ticket, &r.LastError,
			&r.CreatedBy, &r.ApprovedBy, &timeScanner{&r.CreatedAt}, &timeScanner{&r.SentAt}, &timeScanner{&r.FollowedAt}); err != nil {
			return nil, fmt.Errorf("read referrals: %w", err)
		}
		r.Platform, r.Label, r.Status, r.Escalation = post.Platform(platform), post.Label(label), ReferralStatus(status), escalation != 0
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read referrals: %w", err)
	}
	slices.SortFunc(out, func(a, b Referral) int { return int(a.ID - b.ID) })
	return out, nil
}

// ReplyColumns are the columns ScanReplies reads, in its order.
const ReplyColumns = `referral_id, at, by_user, via, ticket, text`

// ScanReplies reads replies from rows of ReplyColumns.
func ScanReplies(rows Rows) ([]ReferralReply, error) {
	var out []ReferralReply
	for rows.Next() {
		var r ReferralReply
		if err := rows.Scan(&r.ReferralID, &timeScanner{&r.At}, &r.By, &r.Via, &r.Ticket, &r.Text); err != nil {
			return nil, fmt.Errorf("read referral replies: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReferralCaseOK is the SQL condition, on a cases table named c, of a case
// referrals may be created for and sent of: confirmed by an analyst (or
// referred already) and not waiting for a senior's approval.
const ReferralCaseOK = `c.status IN ('confirmed', 'referred') AND c.approval != 'pending'`

// CheckReferable says why a case of status and approval may not be
// referred, nil when it may.
func CheckReferable(id int64, status post.CaseStatus, approval post.Approval) error {
	switch {
	case status != post.CaseConfirmed && status != post.CaseReferred:
		return fmt.Errorf("case %d is %s: %w", id, status, ErrNotConfirmed)
	case approval == post.ApprovalPending:
		return fmt.Errorf("case %d awaits a senior's approval: %w", id, ErrNotConfirmed)
	}
	return nil
}

// PaceOf is the pace of target in c.
func (c ReferralClaim) PaceOf(target string) time.Duration {
	if p, ok := c.Paces[target]; ok {
		return p
	}
	return c.Pace
}

// MaxOf is the largest batch to target in c, at least 1.
func (c ReferralClaim) MaxOf(target string) int {
	if n, ok := c.Batches[target]; ok && n > 0 {
		return n
	}
	return max(c.Max, 1)
}

// CheckReferrals checks referrals before a store creates them: all of one
// case, each with a post, URL, target, kind, round and a creating status.
func CheckReferrals(rs []Referral) error {
	for i, r := range rs {
		switch {
		case r.CaseID != rs[0].CaseID:
			return fmt.Errorf("referral %d: case %d, want every referral of case %d: %w", i, r.CaseID, rs[0].CaseID, ErrReferralState)
		case r.PostKey == "" || r.URL == "" || r.Target == "" || r.Kind == "" || r.Round < 1 || r.CreatedBy == "":
			return fmt.Errorf("referral %d of case %d: post key, url, target, kind, round and creator are required: %w", i, r.CaseID, ErrReferralState)
		case r.Status != ReferralAwaiting && r.Status != ReferralQueued:
			return fmt.Errorf("referral %d of case %d: created %s, want %s or %s: %w", i, r.CaseID, r.Status, ReferralAwaiting, ReferralQueued, ErrReferralState)
		}
	}
	return nil
}

// UnixMilli is t in Unix milliseconds, 0 for the zero time: how both
// stores keep referral times.
func UnixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// ReferralLimit is how many referrals a list returns when the caller asked
// for limit: 50 by default, at most 1000.
func ReferralLimit(limit int) int {
	if limit <= 0 {
		return 50
	}
	return min(limit, 1000)
}

// NewestFirst orders rs, read in id order, newest first.
func NewestFirst(rs []Referral) { slices.Reverse(rs) }

// WhyNotApproved says why by could not approve the referral got holds
// (none when it does not exist).
func WhyNotApproved(got []Referral, by string) error {
	switch {
	case len(got) == 0:
		return ErrNotFound
	case got[0].Status != ReferralAwaiting:
		return fmt.Errorf("it is %s: %w", got[0].Status, ErrReferralState)
	default:
		return fmt.Errorf("%s asked for it: %w", by, ErrSelfApproval)
	}
}

// NotManual is the error of submitting referral id, which is no manual
// referral waiting for its form.
func NotManual(id int64) error {
	return fmt.Errorf("referral %d is not waiting for a form submission: %w", id, ErrReferralState)
}
