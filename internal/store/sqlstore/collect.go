package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Collection = Store{}

// tx runs fn in a write transaction; its errors but a missing row's are
// wrapped naming what.
func (s Store) tx(ctx context.Context, what string, fn func(tx DB) error) error {
	err := s.db.Tx(ctx, fn)
	if err == nil || errors.Is(err, store.ErrNotFound) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Watch implements store.Collection.
func (s Store) Watch(ctx context.Context, src post.Source) error {
	if err := store.CheckWatch(src); err != nil {
		return err
	}
	if !s.d.Storable(src.ID) {
		return fmt.Errorf("watch source %q: %w: bad id", src.Location, store.ErrBadSource)
	}
	w := src.Watch
	return s.tx(ctx, "watch source "+src.Location, func(tx DB) error {
		if _, err := tx.Exec(ctx, `INSERT INTO sources (id, format, platform, location) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET platform = CASE WHEN excluded.platform <> '' THEN excluded.platform ELSE sources.platform END`,
			src.ID, s.d.Text(src.Format), s.d.Text(string(src.Platform)), s.d.Text(src.Location)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO watches (id, kind, every_ms, token_env, selector, paused, added_by, added_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, every_ms = excluded.every_ms, token_env = excluded.token_env,
				selector = excluded.selector, paused = excluded.paused`,
			src.ID, s.d.Text(w.Kind), w.Every.Milliseconds(), s.d.Text(w.TokenEnv), s.d.Text(w.Selector), w.Paused,
			s.d.Text(w.AddedBy), s.d.OptTime(w.AddedAt))
		return err
	})
}

// changeWatch runs an update of one watch and says ErrNotFound when there
// is none.
func (s Store) changeWatch(ctx context.Context, id, query string, args ...any) error {
	if !s.d.Storable(id) {
		return fmt.Errorf("watched source %q: %w", id, store.ErrNotFound)
	}
	n, err := s.db.Exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("source %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("watched source %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// Unwatch implements store.Collection.
func (s Store) Unwatch(ctx context.Context, id string) error {
	return s.changeWatch(ctx, id, `DELETE FROM watches WHERE id = $1`, id)
}

// SetPaused implements store.Collection.
func (s Store) SetPaused(ctx context.Context, id string, paused bool) error {
	return s.changeWatch(ctx, id, `UPDATE watches SET paused = $2 WHERE id = $1`, id, paused)
}

// watched lists the watched sources that where selects, with their posts
// of the day before now.
func (s Store) watched(ctx context.Context, what, where string, now time.Time, args ...any) ([]post.Source, error) {
	q := `SELECT ` + store.WatchColumns(`(SELECT count(*) FROM posts p WHERE p.source = s.id AND p.posted_at >= $1)`) +
		` FROM watches w JOIN sources s ON s.id = w.id` + where
	var srcs []post.Source
	err := s.db.Query(ctx, q, append([]any{s.d.Time(now.Add(-24 * time.Hour))}, args...), func(rows store.Rows) (err error) {
		srcs, err = store.ScanWatched(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return srcs, nil
}

// Watched implements store.Collection.
func (s Store) Watched(ctx context.Context, now time.Time) ([]post.Source, error) {
	return s.watched(ctx, "list watched sources", ` ORDER BY s.location, s.id`, now)
}

// WatchedSource implements store.Collection.
func (s Store) WatchedSource(ctx context.Context, id string, now time.Time) (post.Source, error) {
	if !s.d.Storable(id) {
		return post.Source{}, fmt.Errorf("watched source %q: %w", id, store.ErrNotFound)
	}
	srcs, err := s.watched(ctx, "read watched source", ` WHERE w.id = $2`, now, id)
	if err != nil {
		return post.Source{}, err
	}
	if len(srcs) == 0 {
		return post.Source{}, fmt.Errorf("watched source %s: %w", id, store.ErrNotFound)
	}
	return srcs[0], nil
}

// Polled implements store.Collection.
func (s Store) Polled(ctx context.Context, id string, p store.Poll) error {
	if p.Err != "" {
		return s.changeWatch(ctx, id, `UPDATE watches SET last_poll = $2, last_error = $3, last_error_at = $2, failures = failures + 1 WHERE id = $1`,
			id, s.d.OptTime(p.At), s.d.Text(p.Err))
	}
	if !s.d.Storable(id) {
		return fmt.Errorf("watched source %q: %w", id, store.ErrNotFound)
	}
	return s.tx(ctx, "source "+id, func(tx DB) error {
		n, err := tx.Exec(ctx, `UPDATE watches SET last_poll = $2, last_success = $2, cursor = $3,
			newest = `+s.d.Greatest+`(newest, $4), failures = 0 WHERE id = $1`, id, s.d.OptTime(p.At), s.d.Text(p.Cursor), s.d.OptTime(p.Newest))
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("watched source %s: %w", id, store.ErrNotFound)
		}
		_, err = tx.Exec(ctx, `UPDATE sources SET last_collected = `+s.d.Greatest+`(last_collected, $2),
			first_collected = CASE WHEN first_collected`+s.d.Unset+` THEN $2 ELSE first_collected END WHERE id = $1`, id, s.d.OptTime(p.At))
		return err
	})
}

// Propose implements store.Collection.
func (s Store) Propose(ctx context.Context, ps []store.Pointer) error {
	if len(ps) == 0 {
		return nil
	}
	return s.tx(ctx, "propose sources", func(tx DB) error {
		for _, p := range ps {
			if !s.d.Storable(p.PostKey) || !s.d.Storable(p.Location) {
				continue
			}
			id := post.SourceID(p.Kind, p.Location)
			n, err := tx.Exec(ctx, `INSERT INTO proposal_posts (id, post_key) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, p.PostKey)
			if err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO proposals (id, kind, location, posts, first_seen, last_seen, example)
				VALUES ($1, $2, $3, 1, $4, $4, $5)
				ON CONFLICT (id) DO UPDATE SET posts = proposals.posts + 1,
					first_seen = `+s.d.Least+`(proposals.first_seen, excluded.first_seen),
					example = CASE WHEN excluded.last_seen >= proposals.last_seen THEN excluded.example ELSE proposals.example END,
					last_seen = `+s.d.Greatest+`(proposals.last_seen, excluded.last_seen)`,
				id, p.Kind, p.Location, s.d.Time(p.At), p.PostKey); err != nil {
				return err
			}
		}
		return nil
	})
}

// Proposals implements store.Collection.
func (s Store) Proposals(ctx context.Context, limit int) ([]store.Proposal, error) {
	var ps []store.Proposal
	err := s.db.Query(ctx, `SELECT `+store.ProposalColumns+` FROM proposals
		WHERE id NOT IN (SELECT id FROM watches) ORDER BY posts DESC, last_seen DESC, id LIMIT $1`, []any{store.ListLimit(limit)},
		func(rows store.Rows) (err error) {
			ps, err = store.ScanProposals(rows)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("list proposed sources: %w", err)
	}
	return ps, nil
}

// DropProposal implements store.Collection.
func (s Store) DropProposal(ctx context.Context, id string) error {
	if !s.d.Storable(id) {
		return fmt.Errorf("proposed source %q: %w", id, store.ErrNotFound)
	}
	return s.tx(ctx, "drop proposed source "+id, func(tx DB) error {
		n, err := tx.Exec(ctx, `DELETE FROM proposals WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("proposed source %s: %w", id, store.ErrNotFound)
		}
		_, err = tx.Exec(ctx, `DELETE FROM proposal_posts WHERE id = $1`, id)
		return err
	})
}
