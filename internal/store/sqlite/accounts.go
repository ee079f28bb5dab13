package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Accounts = (*Store)(nil)

// AccountRecord implements store.Accounts.
func (s *Store) AccountRecord(ctx context.Context, a store.AccountRef) (store.AccountRecord, error) {
	r, err := store.ScanAccount(s.reader(ctx).QueryRowContext(ctx, `SELECT `+store.AccountColumns+` FROM accounts WHERE platform = ? AND id = ?`,
		string(a.Platform), a.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return store.AccountRecord{}, fmt.Errorf("account %s/%s: %w", a.Platform, a.ID, store.ErrNotFound)
	}
	if err != nil {
		return store.AccountRecord{}, fmt.Errorf("account %s/%s: %w", a.Platform, a.ID, err)
	}
	return r, nil
}

// ListAccounts implements store.Accounts.
func (s *Store) ListAccounts(ctx context.Context, status store.AccountStatus, limit int) ([]store.AccountRecord, error) {
	q, args := `SELECT `+store.AccountColumns+` FROM accounts`, []any{}
	if status != "" {
		q, args = q+` WHERE status = ?`, append(args, string(status))
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY last_seen DESC LIMIT ?`, append(args, store.ListLimit(limit))...)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	return store.ScanAccounts(rows)
}

// EachAccount implements store.Accounts.
func (s *Store) EachAccount(ctx context.Context, fn func(store.AccountRecord) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+store.AccountColumns+` FROM accounts`)
	if err != nil {
		return fmt.Errorf("read accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := store.ScanAccount(rows)
		if err != nil {
			return fmt.Errorf("read accounts: %w", err)
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ProfileHistory implements store.Accounts.
func (s *Store) ProfileHistory(ctx context.Context, a store.AccountRef) ([]store.ProfileVersion, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+store.ProfileColumns+` FROM account_profiles
		WHERE platform = ? AND id = ? ORDER BY until, rowid`, string(a.Platform), a.ID)
	if err != nil {
		return nil, fmt.Errorf("profile history: %w", err)
	}
	defer rows.Close()
	return store.ScanProfiles(rows)
}

// writeAs is write with the error wrapped in what was written.
func (s *Store) writeAs(ctx context.Context, what string, fn func() error) error {
	if err := s.write(ctx, fn); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// ensureAccountSQL creates an account the registry hears of before any of
// its posts (an analyst's status, a link).
const ensureAccountSQL = `INSERT INTO accounts(platform, id, first_seen, last_seen) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`

// SetAvatar implements store.Accounts.
func (s *Store) SetAvatar(ctx context.Context, a store.AccountRef, pdqHex string) error {
	return s.writeAs(ctx, "set avatar", func() error {
		now := time.Now().UnixMilli()
		if _, err := s.exec(ctx, ensureAccountSQL, string(a.Platform), a.ID, now, now); err != nil {
			return err
		}
		_, err := s.exec(ctx, `UPDATE accounts SET avatar = ? WHERE platform = ? AND id = ?`, pdqHex, string(a.Platform), a.ID)
		return err
	})
}

// SetAccountStatus implements store.Accounts.
func (s *Store) SetAccountStatus(ctx context.Context, c store.StatusChange) (bool, error) {
	if !c.Status.Valid() {
		return false, fmt.Errorf("set status of %s/%s: unknown status %q", c.Account.Platform, c.Account.ID, c.Status)
	}
	changed := false
	err := s.writeAs(ctx, "set account status", func() error {
		at := unixMilli(c.At)
		if _, err := s.exec(ctx, ensureAccountSQL, string(c.Account.Platform), c.Account.ID, at, at); err != nil {
			return err
		}
		var cur string
		if err := s.w.QueryRowContext(ctx, `SELECT status FROM accounts WHERE platform = ? AND id = ?`,
			string(c.Account.Platform), c.Account.ID).Scan(&cur); err != nil {
			return err
		}
		if cur == string(c.Status) {
			return nil
		}
		changed = true
		if _, err := s.exec(ctx, `UPDATE accounts SET status = ?, status_at = ? WHERE platform = ? AND id = ?`,
			string(c.Status), at, string(c.Account.Platform), c.Account.ID); err != nil {
			return err
		}
		_, err := s.exec(ctx, `INSERT INTO account_status(platform, id, status, source, evidence, actor, at) VALUES (?,?,?,?,?,?,?)`,
			string(c.Account.Platform), c.Account.ID, string(c.Status), c.Source, c.Evidence, c.Actor, at)
		return err
	})
	return changed, err
}

// StatusHistory implements store.Accounts.
func (s *Store) StatusHistory(ctx context.Context, a store.AccountRef) ([]store.StatusChange, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+store.StatusColumns+` FROM account_status
		WHERE platform = ? AND id = ? ORDER BY seq`, string(a.Platform), a.ID)
	if err != nil {
		return nil, fmt.Errorf("status history: %w", err)
	}
	defer rows.Close()
	return store.ScanStatuses(rows)
}

// StatusChanges implements store.Accounts.
func (s *Store) StatusChanges(ctx context.Context, since time.Time, limit int) ([]store.StatusChange, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+store.StatusColumns+` FROM account_status
		WHERE at >= ? ORDER BY at, seq LIMIT ?`, unixMilli(since), store.ListLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("status changes: %w", err)
	}
	defer rows.Close()
	return store.ScanStatuses(rows)
}

// LastSeen implements store.Accounts. The accounts go in as one JSON
// array, so that a batch's thousand authors are one statement.
func (s *Store) LastSeen(ctx context.Context, as []store.AccountRef) (map[store.AccountRef]time.Time, error) {
	out := make(map[store.AccountRef]time.Time, len(as))
	if len(as) == 0 {
		return out, nil
	}
	pairs := make([][2]string, len(as))
	for i, a := range as {
		pairs[i] = [2]string{string(a.Platform), a.ID}
	}
	arg, err := json.Marshal(pairs)
	if err != nil {
		return nil, fmt.Errorf("last seen: %w", err)
	}
	err = s.onWriter(ctx, `SELECT a.platform, a.id, a.last_seen FROM json_each(?) j
		JOIN accounts a ON a.platform = j.value->>0 AND a.id = j.value->>1`, []any{string(arg)}, func(rows *sql.Rows) error {
		for rows.Next() {
			var (
				r  store.AccountRef
				p  string
				ms int64
			)
			if err := rows.Scan(&p, &r.ID, &ms); err != nil {
				return err
			}
			r.Platform = post.Platform(p)
			out[r] = fromMilli(ms)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("last seen: %w", err)
	}
	return out, nil
}

// NoteLinks implements store.Accounts.
func (s *Store) NoteLinks(ctx context.Context, ls []store.AccountLink) error {
	if len(ls) == 0 {
		return nil
	}
	return s.writeAs(ctx, "note links", func() error {
		for _, l := range ls {
			if _, err := s.exec(ctx, `INSERT INTO account_links(platform, id, link, first_at) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`,
				string(l.Account.Platform), l.Account.ID, l.Link, unixMilli(l.At)); err != nil {
				return err
			}
		}
		return nil
	})
}

// LinksOf implements store.Accounts.
func (s *Store) LinksOf(ctx context.Context, a store.AccountRef) ([]store.AccountLink, error) {
	var out []store.AccountLink
	err := s.eachLink(ctx, func(l store.AccountLink) error { out = append(out, l); return nil },
		` WHERE platform = ? AND id = ? ORDER BY first_at, link`, string(a.Platform), a.ID)
	return out, err
}

// EachLink implements store.Accounts.
func (s *Store) EachLink(ctx context.Context, fn func(store.AccountLink) error) error {
	return s.eachLink(ctx, fn, "")
}

func (s *Store) eachLink(ctx context.Context, fn func(store.AccountLink) error, where string, args ...any) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+store.LinkColumns+` FROM account_links`+where, args...)
	if err != nil {
		return fmt.Errorf("read links: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := store.ScanLink(rows)
		if err != nil {
			return err
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ProposeSuccessors implements store.Accounts.
func (s *Store) ProposeSuccessors(ctx context.Context, ls []store.SuccessorLink) (int, error) {
	n := 0
	err := s.writeAs(ctx, "propose successors", func() error {
		for _, l := range ls {
			at := l.CreatedAt
			if at.IsZero() {
				at = time.Now()
			}
			res, err := s.exec(ctx, `INSERT INTO successors(from_platform, from_id, to_platform, to_id, score, evidence, status, created_at)
				VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`, string(l.From.Platform), l.From.ID, string(l.To.Platform), l.To.ID,
				l.Score, l.Evidence, string(store.LinkProposed), unixMilli(at))
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	return n, err
}

// SuccessorLinks implements store.Accounts.
func (s *Store) SuccessorLinks(ctx context.Context, status store.LinkStatus, limit int) ([]store.SuccessorLink, error) {
	q, args := `SELECT `+store.SuccessorColumns+` FROM successors`, []any{}
	if status != "" {
		q, args = q+` WHERE status = ?`, append(args, string(status))
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY score DESC, id LIMIT ?`, append(args, store.ListLimit(limit))...)
	if err != nil {
		return nil, fmt.Errorf("successor links: %w", err)
	}
	defer rows.Close()
	return store.ScanSuccessors(rows)
}

// LinksOfAccount implements store.Accounts.
func (s *Store) LinksOfAccount(ctx context.Context, a store.AccountRef) ([]store.SuccessorLink, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+store.SuccessorColumns+` FROM successors
		WHERE from_platform = ?1 AND from_id = ?2 OR to_platform = ?1 AND to_id = ?2 ORDER BY score DESC, id`, string(a.Platform), a.ID)
	if err != nil {
		return nil, fmt.Errorf("successor links: %w", err)
	}
	defer rows.Close()
	return store.ScanSuccessors(rows)
}

// DecideSuccessor implements store.Accounts.
func (s *Store) DecideSuccessor(ctx context.Context, id int64, status store.LinkStatus, actor string, at time.Time) (store.SuccessorLink, error) {
	if status != store.LinkConfirmed && status != store.LinkRejected {
		return store.SuccessorLink{}, fmt.Errorf("decide successor link %d: status %q is no decision", id, status)
	}
	var out store.SuccessorLink
	err := s.writeAs(ctx, fmt.Sprintf("decide successor link %d", id), func() error {
		rows, err := s.w.QueryContext(ctx, `SELECT `+store.SuccessorColumns+` FROM successors WHERE id = ?`, id)
		if err != nil {
			return err
		}
		ls, err := store.ScanSuccessors(rows)
		rows.Close()
		if err != nil {
			return err
		}
		if len(ls) == 0 {
			return store.ErrNotFound
		}
		if ls[0].Status != store.LinkProposed {
			return store.ErrDecided
		}
		if _, err := s.exec(ctx, `UPDATE successors SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?`,
			string(status), actor, unixMilli(at), id); err != nil {
			return err
		}
		out = ls[0]
		out.Status, out.DecidedBy, out.DecidedAt = status, actor, at.UTC().Truncate(time.Millisecond)
		return nil
	})
	return out, err
}

// EachPost implements store.Accounts.
func (s *Store) EachPost(ctx context.Context, since time.Time, violatingOnly bool, fn func(post.Post) error) error {
	q := `SELECT doc FROM posts WHERE posted_at >= ?`
	if violatingOnly {
		q += ` AND violating = 1`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY posted_at, rowid`, unixMilli(since))
	if err != nil {
		return fmt.Errorf("read posts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return fmt.Errorf("read posts: %w", err)
		}
		p, err := store.DecodeDoc(doc, nil)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EachRoom implements store.Accounts.
func (s *Store) EachRoom(ctx context.Context, fn func(a store.AccountRef, channel string) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT platform, author_id, channel_id FROM posts WHERE author_id != '' AND channel_id != ''`)
	if err != nil {
		return fmt.Errorf("read rooms: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a       store.AccountRef
			p, room string
		)
		if err := rows.Scan(&p, &a.ID, &room); err != nil {
			return fmt.Errorf("read rooms: %w", err)
		}
		a.Platform = post.Platform(p)
		if err := fn(a, room); err != nil {
			return err
		}
	}
	return rows.Err()
}
