package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Collection = (*Store)(nil)

// Watch implements store.Collection.
func (s *Store) Watch(ctx context.Context, src post.Source) error {
	if err := store.CheckWatch(src); err != nil {
		return err
	}
	w := src.Watch
	return s.tx(ctx, "watch source "+src.Location, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sources(id, format, platform, location) VALUES (?,?,?,?)
			ON CONFLICT(id) DO UPDATE SET platform = CASE WHEN excluded.platform != '' THEN excluded.platform ELSE platform END`,
			src.ID, src.Format, string(src.Platform), src.Location); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO watches(id, kind, every_ms, token_env, selector, paused, added_by, added_at)
			VALUES (?,?,?,?,?,?,?,?)
			ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, every_ms = excluded.every_ms, token_env = excluded.token_env,
				selector = excluded.selector, paused = excluded.paused`,
			src.ID, w.Kind, w.Every.Milliseconds(), w.TokenEnv, w.Selector, boolInt(w.Paused), w.AddedBy, unixMilli(w.AddedAt))
		return err
	})
}

// tx runs fn in a write transaction under the writer lock.
func (s *Store) tx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		if errors.Is(err, store.ErrNotFound) {
			return err
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	s.ckpt.committed()
	return nil
}

// changeWatch runs an update of one watch and says ErrNotFound when there
// is none.
func (s *Store) changeWatch(ctx context.Context, id, query string, args ...any) error {
	return s.tx(ctx, "source "+id, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("watched source %s: %w", id, store.ErrNotFound)
		}
		return nil
	})
}

// Unwatch implements store.Collection.
func (s *Store) Unwatch(ctx context.Context, id string) error {
	return s.changeWatch(ctx, id, `DELETE FROM watches WHERE id = ?`, id)
}

// SetPaused implements store.Collection.
func (s *Store) SetPaused(ctx context.Context, id string, paused bool) error {
	return s.changeWatch(ctx, id, `UPDATE watches SET paused = ? WHERE id = ?`, boolInt(paused), id)
}

const watchedSQL = `SELECT %s FROM watches w JOIN sources s ON s.id = w.id`

func watchedQuery(where string) string {
	return fmt.Sprintf(watchedSQL, store.WatchColumns(`(SELECT count(*) FROM posts p WHERE p.source = s.id AND p.posted_at >= ?)`)) + where
}

// Watched implements store.Collection.
func (s *Store) Watched(ctx context.Context, now time.Time) ([]post.Source, error) {
	rows, err := s.db.QueryContext(ctx, watchedQuery(` ORDER BY s.location, s.id`), unixMilli(now.Add(-24*time.Hour)))
	if err != nil {
		return nil, fmt.Errorf("list watched sources: %w", err)
	}
	defer rows.Close()
	return store.ScanWatched(rows)
}

// WatchedSource implements store.Collection.
func (s *Store) WatchedSource(ctx context.Context, id string, now time.Time) (post.Source, error) {
	rows, err := s.db.QueryContext(ctx, watchedQuery(` WHERE w.id = ?`), unixMilli(now.Add(-24*time.Hour)), id)
	if err != nil {
		return post.Source{}, fmt.Errorf("read watched source: %w", err)
	}
	defer rows.Close()
	srcs, err := store.ScanWatched(rows)
	if err != nil {
		return post.Source{}, err
	}
	if len(srcs) == 0 {
		return post.Source{}, fmt.Errorf("watched source %s: %w", id, store.ErrNotFound)
	}
	return srcs[0], nil
}

// Polled implements store.Collection.
func (s *Store) Polled(ctx context.Context, id string, p store.Poll) error {
	if p.Err != "" {
		return s.changeWatch(ctx, id, `UPDATE watches SET last_poll = ?, last_error = ?, last_error_at = ?, failures = failures + 1 WHERE id = ?`,
			unixMilli(p.At), p.Err, unixMilli(p.At), id)
	}
	return s.tx(ctx, "source "+id, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE watches SET last_poll = ?, last_success = ?, cursor = ?, newest = MAX(newest, ?), failures = 0 WHERE id = ?`,
			unixMilli(p.At), unixMilli(p.At), p.Cursor, unixMilli(p.Newest), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("watched source %s: %w", id, store.ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, `UPDATE sources SET last_collected = MAX(last_collected, ?),
			first_collected = CASE WHEN first_collected = 0 THEN ? ELSE first_collected END WHERE id = ?`,
			unixMilli(p.At), unixMilli(p.At), id)
		return err
	})
}

// Propose implements store.Collection.
func (s *Store) Propose(ctx context.Context, ps []store.Pointer) error {
	if len(ps) == 0 {
		return nil
	}
	return s.tx(ctx, "propose sources", func(tx *sql.Tx) error {
		for _, p := range ps {
			id := post.SourceID(p.Kind, p.Location)
			res, err := tx.ExecContext(ctx, `INSERT INTO proposal_posts(id, post_key) VALUES (?,?) ON CONFLICT DO NOTHING`, id, p.PostKey)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			at := unixMilli(p.At)
			if _, err := tx.ExecContext(ctx, `INSERT INTO proposals(id, kind, location, posts, first_seen, last_seen, example)
				VALUES (?,?,?,1,?,?,?)
				ON CONFLICT(id) DO UPDATE SET posts = posts + 1, first_seen = MIN(first_seen, excluded.first_seen),
					example = CASE WHEN excluded.last_seen >= last_seen THEN excluded.example ELSE example END,
					last_seen = MAX(last_seen, excluded.last_seen)`,
				id, p.Kind, p.Location, at, at, p.PostKey); err != nil {
				return err
			}
		}
		return nil
	})
}

// Proposals implements store.Collection.
func (s *Store) Proposals(ctx context.Context, limit int) ([]store.Proposal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+store.ProposalColumns+` FROM proposals
		WHERE id NOT IN (SELECT id FROM watches) ORDER BY posts DESC, last_seen DESC, id LIMIT ?`, store.ListLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list proposed sources: %w", err)
	}
	defer rows.Close()
	return store.ScanProposals(rows)
}

// DropProposal implements store.Collection.
func (s *Store) DropProposal(ctx context.Context, id string) error {
	return s.tx(ctx, "drop proposed source "+id, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM proposals WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("proposed source %s: %w", id, store.ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM proposal_posts WHERE id = ?`, id)
		return err
	})
}
