package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

var (
	_ store.Referrals        = (*Store)(nil)
	_ store.CaseStatusSetter = (*Store)(nil)
)

const (
	referralSelect = `SELECT ` + store.ReferralColumns + ` FROM referrals`
	// dueReferral is the condition of a referral a claim may take, on
	// referrals r joined to cases c; its parameters are now, now.
	dueReferral = `r.status = 'queued' AND r.next_at <= ? AND r.lease_until <= ? AND ` + store.ReferralCaseOK
)

// queryReferrals runs a query of ReferralColumns on the writer
// connection; the caller holds s.mu.
func (s *Store) queryReferrals(ctx context.Context, q string, args ...any) ([]store.Referral, error) {
	rows, err := s.w.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.ScanReferrals(rows)
}

// CreateReferrals implements store.Referrals.
func (s *Store) CreateReferrals(ctx context.Context, rs []store.Referral) (out []store.Referral, err error) {
	if len(rs) == 0 {
		return nil, nil
	}
	if err := store.CheckReferrals(rs); err != nil {
		return nil, err
	}
	caseID := rs[0].CaseID
	err = s.write(ctx, func() error {
		var status, approval string
		err := s.w.QueryRowContext(ctx, `SELECT status, approval FROM cases WHERE id = ?`, caseID).Scan(&status, &approval)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("case %d: %w", caseID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := store.CheckReferable(caseID, post.CaseStatus(status), post.Approval(approval)); err != nil {
			return err
		}
		for _, r := range rs {
			_, err := s.w.ExecContext(ctx, `INSERT INTO referrals(case_id, post_key, url, platform, target, kind, label, tier, entity,
				evidence_hash, round, escalation, status, next_at, created_by, approved_by, created_at)
				VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (case_id, post_key, round) DO NOTHING`,
				r.CaseID, r.PostKey, r.URL, string(r.Platform), r.Target, r.Kind, string(r.Label), int(r.Tier), r.Entity,
				r.EvidenceHash, r.Round, escalation(r.Escalation), string(r.Status), store.UnixMilli(r.NextAt), r.CreatedBy, r.ApprovedBy,
				store.UnixMilli(r.CreatedAt))
			if err != nil {
				return fmt.Errorf("referral of %s: %w", r.PostKey, err)
			}
			got, err := s.queryReferrals(ctx, referralSelect+` WHERE case_id = ? AND post_key = ? AND round = ?`, r.CaseID, r.PostKey, r.Round)
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
func (s *Store) ApproveReferral(ctx context.Context, id int64, by string, at time.Time) (r store.Referral, err error) {
	err = s.write(ctx, func() error {
		got, err := s.queryReferrals(ctx, `UPDATE referrals SET status = 'queued', approved_by = ?, next_at = ?
			WHERE id = ? AND status = 'awaiting_approval' AND created_by != ? RETURNING `+store.ReferralColumns,
			by, store.UnixMilli(at), id, by)
		if err != nil {
			return err
		}
		if len(got) == 1 {
			r = got[0]
			return nil
		}
		return s.whyNot(ctx, id, by)
	})
	if err != nil {
		return r, fmt.Errorf("approve referral %d: %w", id, err)
	}
	return r, nil
}

// whyNot says why referral id could not be approved by by.
func (s *Store) whyNot(ctx context.Context, id int64, by string) error {
	got, err := s.queryReferrals(ctx, referralSelect+` WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return store.WhyNotApproved(got, by)
}

// ClaimReferrals implements store.Referrals.
func (s *Store) ClaimReferrals(ctx context.Context, c store.ReferralClaim) (out []store.Referral, err error) {
	now := store.UnixMilli(c.Now)
	err = s.write(ctx, func() error {
		var target string
		err := s.w.QueryRowContext(ctx, `SELECT r.target FROM referrals r JOIN cases c ON c.id = r.case_id
			LEFT JOIN referral_targets t ON t.name = r.target
			WHERE `+dueReferral+` AND COALESCE(t.next_at, 0) <= ? ORDER BY r.next_at, r.id LIMIT 1`, now, now, now).Scan(&target)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		out, err = s.queryReferrals(ctx, `UPDATE referrals SET lease_owner = ?, lease_until = ? WHERE id IN (
			SELECT r.id FROM referrals r JOIN cases c ON c.id = r.case_id WHERE r.target = ? AND `+dueReferral+`
			ORDER BY r.next_at, r.id LIMIT ?) RETURNING `+store.ReferralColumns,
			c.Owner, store.UnixMilli(c.Now.Add(c.Lease)), target, now, now, c.MaxOf(target))
		if err != nil {
			return err
		}
		_, err = s.w.ExecContext(ctx, `INSERT INTO referral_targets(name, next_at) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET next_at = MAX(next_at, excluded.next_at)`, target, store.UnixMilli(c.Now.Add(c.PaceOf(target))))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim referrals: %w", err)
	}
	return out, nil
}

// FinishReferral implements store.Referrals.
func (s *Store) FinishReferral(ctx context.Context, owner string, id int64, o store.ReferralOutcome) (r store.Referral, err error) {
	err = s.write(ctx, func() error {
		sentAt := int64(0)
		if o.Status == store.ReferralSent {
			sentAt = store.UnixMilli(o.At)
		}
		got, err := s.queryReferrals(ctx, `UPDATE referrals SET status = ?, attempts = attempts + 1, next_at = ?,
			ticket = CASE WHEN ? != '' THEN ? ELSE ticket END, last_error = ?, sent_at = CASE WHEN ? != 0 THEN ? ELSE sent_at END,
			lease_owner = '', lease_until = 0
			WHERE id = ? AND lease_owner = ? AND status = 'queued' RETURNING `+store.ReferralColumns,
			string(o.Status), store.UnixMilli(o.NextAt), o.Ticket, o.Ticket, o.Error, sentAt, sentAt, id, owner)
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return store.ErrLeaseLost
		}
		r = got[0]
		if !o.HoldTarget.IsZero() {
			if _, err := s.w.ExecContext(ctx, `INSERT INTO referral_targets(name, next_at) VALUES (?, ?)
				ON CONFLICT (name) DO UPDATE SET next_at = MAX(next_at, excluded.next_at)`, r.Target, store.UnixMilli(o.HoldTarget)); err != nil {
				return err
			}
		}
		if o.Status == store.ReferralSent {
			return s.markReferred(ctx, r.CaseID, o.At)
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("finish referral %d: %w", id, err)
	}
	return r, nil
}

func (s *Store) markReferred(ctx context.Context, caseID int64, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE cases SET status = 'referred', updated_at = ? WHERE id = ? AND status = 'confirmed'`,
		unixMilli(at), caseID)
	return err
}

// SubmitReferral implements store.Referrals.
func (s *Store) SubmitReferral(ctx context.Context, id int64, ticket string, at time.Time) (r store.Referral, err error) {
	err = s.write(ctx, func() error {
		got, err := s.queryReferrals(ctx, `UPDATE referrals SET status = 'sent', sent_at = ?,
			ticket = CASE WHEN ? != '' THEN ? ELSE ticket END WHERE id = ? AND status = 'manual' RETURNING `+store.ReferralColumns,
			store.UnixMilli(at), ticket, ticket, id)
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return store.NotManual(id)
		}
		r = got[0]
		return s.markReferred(ctx, r.CaseID, at)
	})
	if err != nil {
		return r, fmt.Errorf("submit referral %d: %w", id, err)
	}
	return r, nil
}

// AddReferralReply implements store.Referrals.
func (s *Store) AddReferralReply(ctx context.Context, rp store.ReferralReply) error {
	err := s.write(ctx, func() error {
		res, err := s.w.ExecContext(ctx, `UPDATE referrals SET ticket = CASE WHEN ticket = '' THEN ? ELSE ticket END WHERE id = ?`, rp.Ticket, rp.ReferralID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		_, err = s.w.ExecContext(ctx, `INSERT INTO referral_replies(`+store.ReplyColumns+`) VALUES (?,?,?,?,?,?)`,
			rp.ReferralID, store.UnixMilli(rp.At), rp.By, rp.Via, rp.Ticket, rp.Text)
		return err
	})
	if err != nil {
		return fmt.Errorf("reply to referral %d: %w", rp.ReferralID, err)
	}
	return nil
}

// Referral implements store.Referrals.
func (s *Store) Referral(ctx context.Context, id int64) (store.Referral, []store.ReferralReply, error) {
	rows, err := s.db.QueryContext(ctx, referralSelect+` WHERE id = ?`, id)
	if err != nil {
		return store.Referral{}, nil, fmt.Errorf("referral %d: %w", id, err)
	}
	rs, err := store.ScanReferrals(rows)
	rows.Close()
	if err != nil {
		return store.Referral{}, nil, fmt.Errorf("referral %d: %w", id, err)
	}
	if len(rs) == 0 {
		return store.Referral{}, nil, fmt.Errorf("referral %d: %w", id, store.ErrNotFound)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT `+store.ReplyColumns+` FROM referral_replies WHERE referral_id = ? ORDER BY at, rowid`, id)
	if err != nil {
		return store.Referral{}, nil, fmt.Errorf("replies of referral %d: %w", id, err)
	}
	defer rows.Close()
	replies, err := store.ScanReplies(rows)
	return rs[0], replies, err
}

// ListReferrals implements store.Referrals.
func (s *Store) ListReferrals(ctx context.Context, f store.ReferralFilter) ([]store.Referral, error) {
	var (
		where []string
		args  []any
	)
	if f.CaseID != 0 {
		where, args = append(where, "case_id = ?"), append(args, f.CaseID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.Target != "" {
		where, args = append(where, "target = ?"), append(args, f.Target)
	}
	q := referralSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, store.ReferralLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("list referrals: %w", err)
	}
	defer rows.Close()
	rs, err := store.ScanReferrals(rows)
	if err != nil {
		return nil, fmt.Errorf("list referrals: %w", err)
	}
	store.NewestFirst(rs)
	return rs, nil
}

// DueFollowUps implements store.Referrals.
func (s *Store) DueFollowUps(ctx context.Context, sentBefore time.Time, limit int) ([]store.Referral, error) {
	rows, err := s.db.QueryContext(ctx, referralSelect+` WHERE status = 'sent' AND followed_at = 0 AND sent_at <= ?
		ORDER BY sent_at, id LIMIT ?`, store.UnixMilli(sentBefore), store.ReferralLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("due follow-ups: %w", err)
	}
	defer rows.Close()
	return store.ScanReferrals(rows)
}

// MarkFollowed implements store.Referrals.
func (s *Store) MarkFollowed(ctx context.Context, id int64, at time.Time) error {
	return s.write(ctx, func() error {
		_, err := s.w.ExecContext(ctx, `UPDATE referrals SET followed_at = ? WHERE id = ?`, store.UnixMilli(at), id)
		return err
	})
}

// SetCaseStatus implements store.CaseStatusSetter.
func (s *Store) SetCaseStatus(ctx context.Context, id int64, to post.CaseStatus, from ...post.CaseStatus) error {
	return s.write(ctx, func() error {
		q, args := `UPDATE cases SET status = ?, updated_at = ? WHERE id = ?`, []any{string(to), unixMilli(time.Now()), id}
		if len(from) > 0 {
			q += ` AND status IN (?` + strings.Repeat(",?", len(from)-1) + `)`
			for _, f := range from {
				args = append(args, string(f))
			}
		}
		res, err := s.w.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("set case %d %s: %w", id, to, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("case %d in %v: %w", id, from, store.ErrNotFound)
		}
		return nil
	})
}
