package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Accounts = (*Store)(nil)

// AccountRecord implements store.Accounts.
func (s *Store) AccountRecord(ctx context.Context, a store.AccountRef) (store.AccountRecord, error) {
	r, err := store.ScanAccount(s.pool.QueryRow(ctx, `SELECT `+store.AccountColumns+` FROM accounts WHERE platform = $1 AND id = $2`,
		string(a.Platform), a.ID))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AccountRecord{}, fmt.Errorf("account %s/%s: %w", a.Platform, a.ID, store.ErrNotFound)
	}
	if err != nil {
		return store.AccountRecord{}, fmt.Errorf("account %s/%s: %w", a.Platform, a.ID, err)
	}
	return r, nil
}

// ListAccounts implements store.Accounts.
func (s *Store) ListAccounts(ctx context.Context, status store.AccountStatus, limit int) ([]store.AccountRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.AccountColumns+` FROM accounts WHERE ($1 = '' OR status = $1)
		ORDER BY last_seen DESC LIMIT $2`, string(status), store.ListLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	return store.ScanAccounts(rows)
}

// each calls fn with every row of a query; pgx reads rows as they arrive.
func each[T any](ctx context.Context, s *Store, what string, scan func(pgx.Rows) (T, error), fn func(T) error, q string, args ...any) error {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EachAccount implements store.Accounts.
func (s *Store) EachAccount(ctx context.Context, fn func(store.AccountRecord) error) error {
	return each(ctx, s, "read accounts", func(r pgx.Rows) (store.AccountRecord, error) { return store.ScanAccount(r) }, fn,
		`SELECT `+store.AccountColumns+` FROM accounts`)
}

// ProfileHistory implements store.Accounts.
func (s *Store) ProfileHistory(ctx context.Context, a store.AccountRef) ([]store.ProfileVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.ProfileColumns+` FROM account_profiles
		WHERE platform = $1 AND id = $2 ORDER BY until, seq`, string(a.Platform), a.ID)
	if err != nil {
		return nil, fmt.Errorf("profile history: %w", err)
	}
	defer rows.Close()
	return store.ScanProfiles(rows)
}

// ensureAccountSQL creates an account the registry hears of before any of
// its posts.
const ensureAccountSQL = `INSERT INTO accounts (platform, id, first_seen, last_seen) VALUES ($1, $2, $3, $3) ON CONFLICT DO NOTHING`

// SetAvatar implements store.Accounts.
func (s *Store) SetAvatar(ctx context.Context, a store.AccountRef, pdqHex string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, ensureAccountSQL, string(a.Platform), a.ID, time.Now()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE accounts SET avatar = $1 WHERE platform = $2 AND id = $3`, pdqHex, string(a.Platform), a.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("set avatar: %w", err)
	}
	return nil
}

// SetAccountStatus implements store.Accounts. The row lock of SELECT ...
// FOR UPDATE keeps two workers from recording the same change twice.
func (s *Store) SetAccountStatus(ctx context.Context, c store.StatusChange) (bool, error) {
	if !c.Status.Valid() {
		return false, fmt.Errorf("set status of %s/%s: unknown status %q", c.Account.Platform, c.Account.ID, c.Status)
	}
	at := c.At
	if at.IsZero() {
		at = time.Now()
	}
	changed := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		p, id := string(c.Account.Platform), c.Account.ID
		if _, err := tx.Exec(ctx, ensureAccountSQL, p, id, at); err != nil {
			return err
		}
		var cur string
		if err := tx.QueryRow(ctx, `SELECT status FROM accounts WHERE platform = $1 AND id = $2 FOR UPDATE`, p, id).Scan(&cur); err != nil {
			return err
		}
		if cur == string(c.Status) {
			return nil
		}
		changed = true
		if _, err := tx.Exec(ctx, `UPDATE accounts SET status = $1, status_at = $2 WHERE platform = $3 AND id = $4`,
			string(c.Status), at, p, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO account_status (platform, id, status, source, evidence, actor, at) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
			p, id, string(c.Status), c.Source, c.Evidence, c.Actor, at)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("set account status: %w", err)
	}
	return changed, nil
}

// StatusHistory implements store.Accounts.
func (s *Store) StatusHistory(ctx context.Context, a store.AccountRef) ([]store.StatusChange, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.StatusColumns+` FROM account_status
		WHERE platform = $1 AND id = $2 ORDER BY seq`, string(a.Platform), a.ID)
	if err != nil {
		return nil, fmt.Errorf("status history: %w", err)
	}
	defer rows.Close()
	return store.ScanStatuses(rows)
}

// StatusChanges implements store.Accounts.
func (s *Store) StatusChanges(ctx context.Context, since time.Time, limit int) ([]store.StatusChange, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.StatusColumns+` FROM account_status
		WHERE at >= $1 ORDER BY at, seq LIMIT $2`, since, store.ListLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("status changes: %w", err)
	}
	defer rows.Close()
	return store.ScanStatuses(rows)
}

// LastSeen implements store.Accounts.
func (s *Store) LastSeen(ctx context.Context, as []store.AccountRef) (map[store.AccountRef]time.Time, error) {
	out := make(map[store.AccountRef]time.Time, len(as))
	if len(as) == 0 {
		return out, nil
	}
	ps, ids := make([]string, len(as)), make([]string, len(as))
	for i, a := range as {
		ps[i], ids[i] = string(a.Platform), a.ID
	}
	rows, err := s.pool.Query(ctx, `SELECT a.platform, a.id, a.last_seen FROM unnest($1::text[], $2::text[]) AS q(platform, id)
		JOIN accounts a ON a.platform = q.platform AND a.id = q.id`, ps, ids)
	if err != nil {
		return nil, fmt.Errorf("last seen: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r store.AccountRef
			p string
			t time.Time
		)
		if err := rows.Scan(&p, &r.ID, &t); err != nil {
			return nil, fmt.Errorf("last seen: %w", err)
		}
		r.Platform = post.Platform(p)
		out[r] = t.UTC()
	}
	return out, rows.Err()
}

// NoteLinks implements store.Accounts.
func (s *Store) NoteLinks(ctx context.Context, ls []store.AccountLink) error {
	if len(ls) == 0 {
		return nil
	}
	ps, ids, links, ats := make([]string, len(ls)), make([]string, len(ls)), make([]string, len(ls)), make([]time.Time, len(ls))
	for i, l := range ls {
		ps[i], ids[i], links[i], ats[i] = string(l.Account.Platform), l.Account.ID, l.Link, l.At
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO account_links (platform, id, link, first_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) ON CONFLICT DO NOTHING`, ps, ids, links, ats)
	if err != nil {
		return fmt.Errorf("note links: %w", err)
	}
	return nil
}

func scanLink(r pgx.Rows) (store.AccountLink, error) { return store.ScanLink(r) }

// LinksOf implements store.Accounts.
func (s *Store) LinksOf(ctx context.Context, a store.AccountRef) ([]store.AccountLink, error) {
	var out []store.AccountLink
	err := each(ctx, s, "read links", scanLink, func(l store.AccountLink) error { out = append(out, l); return nil },
		`SELECT `+store.LinkColumns+` FROM account_links WHERE platform = $1 AND id = $2 ORDER BY first_at, link`, string(a.Platform), a.ID)
	return out, err
}

// EachLink implements store.Accounts.
func (s *Store) EachLink(ctx context.Context, fn func(store.AccountLink) error) error {
	return each(ctx, s, "read links", scanLink, fn, `SELECT `+store.LinkColumns+` FROM account_links`)
}

// ProposeSuccessors implements store.Accounts.
func (s *Store) ProposeSuccessors(ctx context.Context, ls []store.SuccessorLink) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, l := range ls {
			at := l.CreatedAt
			if at.IsZero() {
				at = time.Now()
			}
			tag, err := tx.Exec(ctx, `INSERT INTO successors (from_platform, from_id, to_platform, to_id, score, evidence, status, created_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING`, string(l.From.Platform), l.From.ID, string(l.To.Platform), l.To.ID,
				l.Score, l.Evidence, string(store.LinkProposed), at)
			if err != nil {
				return err
			}
			n += int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("propose successors: %w", err)
	}
	return n, nil
}

// SuccessorLinks implements store.Accounts.
func (s *Store) SuccessorLinks(ctx context.Context, status store.LinkStatus, limit int) ([]store.SuccessorLink, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.SuccessorColumns+` FROM successors WHERE ($1 = '' OR status = $1)
		ORDER BY score DESC, id LIMIT $2`, string(status), store.ListLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("successor links: %w", err)
	}
	defer rows.Close()
	return store.ScanSuccessors(rows)
}

// LinksOfAccount implements store.Accounts.
func (s *Store) LinksOfAccount(ctx context.Context, a store.AccountRef) ([]store.SuccessorLink, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.SuccessorColumns+` FROM successors
		WHERE from_platform = $1 AND from_id = $2 OR to_platform = $1 AND to_id = $2 ORDER BY score DESC, id`, string(a.Platform), a.ID)
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+store.SuccessorColumns+` FROM successors WHERE id = $1 FOR UPDATE`, id)
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
		if _, err := tx.Exec(ctx, `UPDATE successors SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4`,
			string(status), actor, at, id); err != nil {
			return err
		}
		out = ls[0]
		out.Status, out.DecidedBy, out.DecidedAt = status, actor, at.UTC().Truncate(time.Microsecond)
		return nil
	})
	if err != nil {
		return store.SuccessorLink{}, fmt.Errorf("decide successor link %d: %w", id, err)
	}
	return out, nil
}

// EachPost implements store.Accounts.
func (s *Store) EachPost(ctx context.Context, since time.Time, violatingOnly bool, fn func(post.Post) error) error {
	var from *time.Time
	if !since.IsZero() {
		from = &since
	}
	return each(ctx, s, "read posts", func(r pgx.Rows) (post.Post, error) {
		var doc []byte
		if err := r.Scan(&doc); err != nil {
			return post.Post{}, err
		}
		return store.DecodeDoc(doc, nil)
	}, fn, `SELECT doc FROM posts WHERE ($1::timestamptz IS NULL OR posted_at >= $1) AND (NOT $2 OR violating)
		ORDER BY posted_at NULLS FIRST, id`, from, violatingOnly)
}

type room struct {
	a    store.AccountRef
	room string
}

// EachRoom implements store.Accounts.
func (s *Store) EachRoom(ctx context.Context, fn func(a store.AccountRef, channel string) error) error {
	return each(ctx, s, "read rooms", func(r pgx.Rows) (room, error) {
		var (
			v room
			p string
		)
		err := r.Scan(&p, &v.a.ID, &v.room)
		v.a.Platform = post.Platform(p)
		return v, err
	}, func(v room) error { return fn(v.a, v.room) },
		`SELECT DISTINCT platform, author_id, channel_id FROM posts WHERE author_id <> '' AND channel_id <> ''`)
}
