package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Collection = (*Store)(nil)

// Watch implements store.Collection.
func (s *Store) Watch(ctx context.Context, src post.Source) error {
	if err := store.CheckWatch(src); err != nil {
		return err
	}
	if !storable(src.ID) {
		return fmt.Errorf("watch source %q: %w: bad id", src.Location, store.ErrBadSource)
	}
	w := src.Watch
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO sources (id, format, platform, location) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET platform = CASE WHEN excluded.platform <> '' THEN excluded.platform ELSE sources.platform END`,
			src.ID, text(src.Format), text(string(src.Platform)), text(src.Location)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO watches (id, kind, every_ms, token_env, selector, paused, added_by, added_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, every_ms = excluded.every_ms, token_env = excluded.token_env,
				selector = excluded.selector, paused = excluded.paused`,
			src.ID, text(w.Kind), w.Every.Milliseconds(), text(w.TokenEnv), text(w.Selector), w.Paused, text(w.AddedBy), timestamp(w.AddedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("watch source %s: %w", src.Location, err)
	}
	return nil
}

// changeWatch runs an update of one watch and says ErrNotFound when there
// is none.
func (s *Store) changeWatch(ctx context.Context, id, query string, args ...any) error {
	if !storable(id) {
		return fmt.Errorf("watched source %q: %w", id, store.ErrNotFound)
	}
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("source %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("watched source %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// Unwatch implements store.Collection.
func (s *Store) Unwatch(ctx context.Context, id string) error {
	return s.changeWatch(ctx, id, `DELETE FROM watches WHERE id = $1`, id)
}

// SetPaused implements store.Collection.
func (s *Store) SetPaused(ctx context.Context, id string, paused bool) error {
	return s.changeWatch(ctx, id, `UPDATE watches SET paused = $2 WHERE id = $1`, id, paused)
}

func watchedQuery(where string) string {
	return `SELECT ` + store.WatchColumns(`(SELECT count(*) FROM posts p WHERE p.source = s.id AND p.posted_at >= $1)`) +
		` FROM watches w JOIN sources s ON s.id = w.id` + where
}

// Watched implements store.Collection.
func (s *Store) Watched(ctx context.Context, now time.Time) ([]post.Source, error) {
	rows, err := s.pool.Query(ctx, watchedQuery(` ORDER BY s.location, s.id`), now.Add(-24*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("list watched sources: %w", err)
	}
	defer rows.Close()
	return store.ScanWatched(rows)
}

// WatchedSource implements store.Collection.
func (s *Store) WatchedSource(ctx context.Context, id string, now time.Time) (post.Source, error) {
	if !storable(id) {
		return post.Source{}, fmt.Errorf("watched source %q: %w", id, store.ErrNotFound)
	}
	rows, err := s.pool.Query(ctx, watchedQuery(` WHERE w.id = $2`), now.Add(-24*time.Hour), id)
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
		return s.changeWatch(ctx, id, `UPDATE watches SET last_poll = $2, last_error = $3, last_error_at = $2, failures = failures + 1 WHERE id = $1`,
			id, timestamp(p.At), text(p.Err))
	}
	if !storable(id) {
		return fmt.Errorf("watched source %q: %w", id, store.ErrNotFound)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE watches SET last_poll = $2, last_success = $2, cursor = $3,
			newest = greatest(newest, $4), failures = 0 WHERE id = $1`, id, timestamp(p.At), text(p.Cursor), timestamp(p.Newest))
		if err != nil {
			return fmt.Errorf("source %s: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("watched source %s: %w", id, store.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `UPDATE sources SET last_collected = greatest(last_collected, $2),
			first_collected = coalesce(first_collected, $2) WHERE id = $1`, id, timestamp(p.At)); err != nil {
			return fmt.Errorf("source %s: %w", id, err)
		}
		return nil
	})
}

// Propose implements store.Collection.
func (s *Store) Propose(ctx context.Context, ps []store.Pointer) error {
	if len(ps) == 0 {
		return nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, p := range ps {
			if !storable(p.PostKey) || !storable(p.Location) {
				continue
			}
			id := post.SourceID(p.Kind, p.Location)
			tag, err := tx.Exec(ctx, `INSERT INTO proposal_posts (id, post_key) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, p.PostKey)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO proposals (id, kind, location, posts, first_seen, last_seen, example)
				VALUES ($1, $2, $3, 1, $4, $4, $5)
				ON CONFLICT (id) DO UPDATE SET posts = proposals.posts + 1,
					first_seen = least(proposals.first_seen, excluded.first_seen),
					example = CASE WHEN excluded.last_seen >= proposals.last_seen THEN excluded.example ELSE proposals.example END,
					last_seen = greatest(proposals.last_seen, excluded.last_seen)`,
				id, p.Kind, p.Location, p.At, p.PostKey); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("propose sources: %w", err)
	}
	return nil
}

// Proposals implements store.Collection.
func (s *Store) Proposals(ctx context.Context, limit int) ([]store.Proposal, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.ProposalColumns+` FROM proposals
		WHERE id NOT IN (SELECT id FROM watches) ORDER BY posts DESC, last_seen DESC, id LIMIT $1`, store.ListLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list proposed sources: %w", err)
	}
	defer rows.Close()
	return store.ScanProposals(rows)
}

// DropProposal implements store.Collection.
func (s *Store) DropProposal(ctx context.Context, id string) error {
	if !storable(id) {
		return fmt.Errorf("proposed source %q: %w", id, store.ErrNotFound)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM proposals WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("drop proposed source %s: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("proposed source %s: %w", id, store.ErrNotFound)
		}
		_, err = tx.Exec(ctx, `DELETE FROM proposal_posts WHERE id = $1`, id)
		return err
	})
}
