package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Referrals = Store{}

const (
	referralSelect = `SELECT ` + store.ReferralColumns + ` FROM referrals`
	// dueReferral is the condition of a referral a claim may take, on
	// referrals r joined to cases c; $1 is now.
	dueReferral = `r.status = 'queued' AND r.next_at <= $1 AND r.lease_until <= $1 AND ` + store.ReferralCaseOK
)

// holdTarget keeps a target from being claimed before $2.
func (s Store) holdTarget(ctx context.Context, tx DB, target string, until time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO referral_targets (name, next_at) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET next_at = `+s.d.Greatest+`(referral_targets.next_at, excluded.next_at)`,
		target, store.UnixMilli(until))
	return err
}

func queryReferrals(ctx context.Context, db DB, q string, args ...any) ([]store.Referral, error) {
	var rs []store.Referral
	err := db.Query(ctx, q, args, func(rows store.Rows) (err error) {
		rs, err = store.ScanReferrals(rows)
		return err
	})
	return rs, err
}

// CreateReferrals implements store.Referrals. The case row is locked
// while the referrals are stored, so that its status cannot change under
// them.
func (s Store) CreateReferrals(ctx context.Context, rs []store.Referral) (out []store.Referral, err error) {
	if len(rs) == 0 {
		return nil, nil
	}
	if err := store.CheckReferrals(rs); err != nil {
		return nil, err
	}
	caseID := rs[0].CaseID
	err = s.db.Tx(ctx, func(tx DB) error {
		out = nil
		var status, approval string
		err := tx.QueryRow(ctx, `SELECT status, approval FROM cases WHERE id = $1`+s.d.ForShare, caseID).Scan(&status, &approval)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("case %d: %w", caseID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := store.CheckReferable(caseID, post.CaseStatus(status), post.Approval(approval)); err != nil {
			return err
		}
		for _, r := range rs {
			_, err := tx.Exec(ctx, `INSERT INTO referrals (case_id, post_key, url, platform, target, kind, label, tier, entity,
				evidence_hash, round, escalation, status, next_at, created_by, approved_by, created_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) ON CONFLICT (case_id, post_key, round) DO NOTHING`,
				r.CaseID, r.PostKey, r.URL, string(r.Platform), r.Target, r.Kind, string(r.Label), int(r.Tier), r.Entity,
				r.EvidenceHash, r.Round, escalation(r.Escalation), string(r.Status), store.UnixMilli(r.NextAt), r.CreatedBy, r.ApprovedBy,
				store.UnixMilli(r.CreatedAt))
			if err != nil {
				return fmt.Errorf("referral of %s: %w", r.PostKey, err)
			}
			got, err := queryReferrals(ctx, tx, referralSelect+` WHERE case_id = $1 AND post_key = $2 AND round = $3`, r.CaseID, r.PostKey, r.Round)
			if err != nil {
				return fmt.Errorf("referral of %s: %w", r.PostKey, err)
			}
			out = append(out, got...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create referrals of case %d: %w", caseID, err)
	}
	return out, nil
}

func escalation(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ApproveReferral implements store.Referrals.
func (s Store) ApproveReferral(ctx context.Context, id int64, by string, at time.Time) (r store.Referral, err error) {
	err = s.db.Tx(ctx, func(tx DB) error {
		got, err := queryReferrals(ctx, tx, `UPDATE referrals SET status = 'queued', approved_by = $1, next_at = $2
			WHERE id = $3 AND status = 'awaiting_approval' AND created_by <> $1 RETURNING `+store.ReferralColumns,
			by, store.UnixMilli(at), id)
		if err != nil {
			return err
		}
		if len(got) == 1 {
			r = got[0]
			return nil
		}
		if got, err = queryReferrals(ctx, tx, referralSelect+` WHERE id = $1`, id); err != nil {
			return err
		}
		return store.WhyNotApproved(got, by)
	})
	if err != nil {
		return r, fmt.Errorf("approve referral %d: %w", id, err)
	}
	return r, nil
}

// ClaimReferrals implements store.Referrals. Claims are serialized across
// every worker: they are few and short, and one at a time keeps each
// target's pace exact.
func (s Store) ClaimReferrals(ctx context.Context, c store.ReferralClaim) (out []store.Referral, err error) {
	now := store.UnixMilli(c.Now)
	err = s.db.Tx(ctx, func(tx DB) error {
		out = nil
		if err := s.serialize(ctx, tx, "referral claim"); err != nil {
			return err
		}
		var target string
		err := tx.QueryRow(ctx, `SELECT r.target FROM referrals r JOIN cases c ON c.id = r.case_id
			LEFT JOIN referral_targets t ON t.name = r.target
			WHERE `+dueReferral+` AND coalesce(t.next_at, 0) <= $1 ORDER BY r.next_at, r.id LIMIT 1`, now).Scan(&target)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		out, err = queryReferrals(ctx, tx, `UPDATE referrals SET lease_owner = $2, lease_until = $3 WHERE id IN (
			SELECT r.id FROM referrals r JOIN cases c ON c.id = r.case_id WHERE r.target = $4 AND `+dueReferral+`
			ORDER BY r.next_at, r.id LIMIT $5) RETURNING `+store.ReferralColumns,
			now, c.Owner, store.UnixMilli(c.Now.Add(c.Lease)), target, c.MaxOf(target))
		if err != nil {
			return err
		}
		return s.holdTarget(ctx, tx, target, c.Now.Add(c.PaceOf(target)))
	})
	if err != nil {
		return nil, fmt.Errorf("claim referrals: %w", err)
	}
	return out, nil
}

// FinishReferral implements store.Referrals.
func (s Store) FinishReferral(ctx context.Context, owner string, id int64, o store.ReferralOutcome) (r store.Referral, err error) {
	err = s.db.Tx(ctx, func(tx DB) error {
		sentAt := int64(0)
		if o.Status == store.ReferralSent {
			sentAt = store.UnixMilli(o.At)
		}
		got, err := queryReferrals(ctx, tx, `UPDATE referrals SET status = $1, attempts = attempts + 1, next_at = $2,
			ticket = CASE WHEN $3 <> '' THEN $3 ELSE ticket END, last_error = $4,
			sent_at = CASE WHEN CAST($5 AS bigint) <> 0 THEN $5 ELSE sent_at END, lease_owner = '', lease_until = 0
			WHERE id = $6 AND lease_owner = $7 AND status = 'queued' RETURNING `+store.ReferralColumns,
			string(o.Status), store.UnixMilli(o.NextAt), o.Ticket, o.Error, sentAt, id, owner)
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return store.ErrLeaseLost
		}
		r = got[0]
		if !o.HoldTarget.IsZero() {
			if err := s.holdTarget(ctx, tx, r.Target, o.HoldTarget); err != nil {
				return err
			}
		}
		if o.Status == store.ReferralSent {
			return s.markReferred(ctx, tx, r.CaseID, o.At)
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("finish referral %d: %w", id, err)
	}
	return r, nil
}

func (s Store) markReferred(ctx context.Context, tx DB, caseID int64, at time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE cases SET status = 'referred', updated_at = $1 WHERE id = $2 AND status = 'confirmed'`,
		s.d.Time(at.UTC()), caseID)
	return err
}

// SubmitReferral implements store.Referrals.
func (s Store) SubmitReferral(ctx context.Context, id int64, ticket string, at time.Time) (r store.Referral, err error) {
	err = s.db.Tx(ctx, func(tx DB) error {
		got, err := queryReferrals(ctx, tx, `UPDATE referrals SET status = 'sent', sent_at = $1,
			ticket = CASE WHEN $2 <> '' THEN $2 ELSE ticket END WHERE id = $3 AND status = 'manual' RETURNING `+store.ReferralColumns,
			store.UnixMilli(at), ticket, id)
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return store.NotManual(id)
		}
		r = got[0]
		return s.markReferred(ctx, tx, r.CaseID, at)
	})
	if err != nil {
		return r, fmt.Errorf("submit referral %d: %w", id, err)
	}
	return r, nil
}

// AddReferralReply implements store.Referrals.
func (s Store) AddReferralReply(ctx context.Context, rp store.ReferralReply) error {
	err := s.db.Tx(ctx, func(tx DB) error {
		n, err := tx.Exec(ctx, `UPDATE referrals SET ticket = CASE WHEN ticket = '' THEN $1 ELSE ticket END WHERE id = $2`, rp.Ticket, rp.ReferralID)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		_, err = tx.Exec(ctx, `INSERT INTO referral_replies (`+store.ReplyColumns+`) VALUES ($1,$2,$3,$4,$5,$6)`,
			rp.ReferralID, store.UnixMilli(rp.At), rp.By, rp.Via, rp.Ticket, rp.Text)
		return err
	})
	if err != nil {
		return fmt.Errorf("reply to referral %d: %w", rp.ReferralID, err)
	}
	return nil
}

// Referral implements store.Referrals.
func (s Store) Referral(ctx context.Context, id int64) (store.Referral, []store.ReferralReply, error) {
	rs, err := queryReferrals(ctx, s.db, referralSelect+` WHERE id = $1`, id)
	if err != nil {
		return store.Referral{}, nil, fmt.Errorf("referral %d: %w", id, err)
	}
	if len(rs) == 0 {
		return store.Referral{}, nil, fmt.Errorf("referral %d: %w", id, store.ErrNotFound)
	}
	var replies []store.ReferralReply
	err = s.db.Query(ctx, `SELECT `+store.ReplyColumns+` FROM referral_replies WHERE referral_id = $1 ORDER BY at, `+s.d.RowOrder,
		[]any{id}, func(rows store.Rows) (err error) {
			replies, err = store.ScanReplies(rows)
			return err
		})
	if err != nil {
		return store.Referral{}, nil, fmt.Errorf("replies of referral %d: %w", id, err)
	}
	return rs[0], replies, nil
}

// ListReferrals implements store.Referrals.
func (s Store) ListReferrals(ctx context.Context, f store.ReferralFilter) ([]store.Referral, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+" = $"+strconv.Itoa(len(args)))
	}
	if f.CaseID != 0 {
		add("case_id", f.CaseID)
	}
	if f.Status != "" {
		add("status", string(f.Status))
	}
	if f.Target != "" {
		add("target", f.Target)
	}
	q := referralSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, store.ReferralLimit(f.Limit))
	rs, err := queryReferrals(ctx, s.db, q+` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list referrals: %w", err)
	}
	store.NewestFirst(rs)
	return rs, nil
}

// DueFollowUps implements store.Referrals.
func (s Store) DueFollowUps(ctx context.Context, sentBefore time.Time, limit int) ([]store.Referral, error) {
	rs, err := queryReferrals(ctx, s.db, referralSelect+` WHERE status = 'sent' AND followed_at = 0 AND sent_at <= $1
		ORDER BY sent_at, id LIMIT $2`, store.UnixMilli(sentBefore), store.ReferralLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("due follow-ups: %w", err)
	}
	return rs, nil
}

// MarkFollowed implements store.Referrals.
func (s Store) MarkFollowed(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.db.Exec(ctx, `UPDATE referrals SET followed_at = $1 WHERE id = $2`, store.UnixMilli(at), id); err != nil {
		return fmt.Errorf("mark referral %d followed: %w", id, err)
	}
	return nil
}
