package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// Post implements store.Store.
func (s Store) Post(ctx context.Context, key string) (post.Post, []store.Version, error) {
	var (
		id       int64
		doc, raw []byte
	)
	if !s.d.Storable(key) {
		return post.Post{}, nil, fmt.Errorf("post %q: %w", key, store.ErrNotFound)
	}
	err := s.db.QueryRow(ctx, `SELECT `+s.d.PostRow+`, doc, raw FROM posts WHERE key = $1`, key).Scan(&id, &doc, &raw)
	if errors.Is(err, store.ErrNotFound) {
		return post.Post{}, nil, fmt.Errorf("post %q: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return post.Post{}, nil, fmt.Errorf("read post %q: %w", key, err)
	}
	p, err := store.DecodeDoc(doc, raw)
	if err != nil {
		return p, nil, err
	}
	var vs []store.Version
	err = s.db.Query(ctx, `SELECT version, doc, raw FROM post_versions WHERE post_`+s.d.PostRow+` = $1 ORDER BY version`, []any{id},
		func(rows store.Rows) (err error) {
			vs, err = store.ScanVersions(rows)
			return err
		})
	if err != nil {
		return p, nil, fmt.Errorf("read versions of %q: %w", key, err)
	}
	return p, vs, nil
}

// Cases implements store.Store.
func (s Store) Cases(ctx context.Context, status post.CaseStatus, limit int) ([]post.Case, error) {
	query := `SELECT ` + store.CaseColumns + ` FROM cases`
	args := []any{store.ListLimit(limit)}
	if status != "" {
		query += " WHERE status = $2"
		args = append(args, s.d.Text(string(status)))
	}
	var cs []post.Case
	err := s.db.Query(ctx, query+" ORDER BY id DESC LIMIT $1", args, func(rows store.Rows) (err error) {
		cs, err = store.ScanCases(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	return cs, nil
}

// Sources implements store.Store. SQLite keeps no NULL collection time,
// so NULLS LAST orders only PostgreSQL's.
func (s Store) Sources(ctx context.Context, limit int) ([]post.Source, error) {
	var srcs []post.Source
	err := s.db.Query(ctx, `SELECT `+store.SourceColumns+` FROM sources
		ORDER BY last_collected DESC NULLS LAST, id LIMIT $1`, []any{store.ListLimit(limit)}, func(rows store.Rows) (err error) {
		srcs, err = store.ScanSources(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return srcs, nil
}

// Stats implements store.Store. violating = true is SQLite's 1 and
// PostgreSQL's plain violating, the condition of its partial index.
func (s Store) Stats(ctx context.Context) (store.Stats, error) {
	st := store.Stats{ByPlatform: map[string]int64{}, ByLabel: map[string]int64{}}
	err := s.db.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM posts),
		(SELECT count(*) FROM posts WHERE violating = true),
		(SELECT count(*) FROM cases WHERE status = 'open'),
		(SELECT count(*) FROM accounts)`).Scan(&st.Posts, &st.Violating, &st.OpenCases, &st.Accounts)
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	for _, g := range []struct {
		col string
		dst map[string]int64
	}{{"platform", st.ByPlatform}, {"label", st.ByLabel}} {
		err := s.db.Query(ctx, "SELECT "+g.col+", count(*) FROM posts GROUP BY "+g.col, nil, func(rows store.Rows) error {
			for rows.Next() {
				var (
					k string
					n int64
				)
				if err := rows.Scan(&k, &n); err != nil {
					return err
				}
				g.dst[k] = n
			}
			return rows.Err()
		})
		if err != nil {
			return st, fmt.Errorf("stats by %s: %w", g.col, err)
		}
	}
	return st, nil
}
