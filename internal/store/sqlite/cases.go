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

// The statements of ProposeCases.
const (
	inCaseSQL          = `SELECT EXISTS (SELECT 1 FROM case_posts WHERE post_key = ?)`
	openCaseOfGroupSQL = `SELECT id FROM cases WHERE grp = ? AND status = 'open' AND grp != ''`
	insertCaseSQL      = `INSERT INTO cases(post_key, label, tier, entity, score, status, reason, grp, posts, created_at, updated_at)
			VALUES (?,?,?,?,?,'open',?,?,0,?,?) RETURNING id`
	insertCasePostSQL = `INSERT INTO case_posts(case_id, post_key, added_at) VALUES (?,?,?)`
	countCasePostSQL  = `UPDATE cases SET posts = posts + 1, updated_at = MAX(updated_at, ?) WHERE id = ?`
)

// ProposeCases implements store.CaseProposer.
func (s *Store) ProposeCases(ctx context.Context, ps []post.CaseProposal) (opened int, err error) {
	if len(ps) == 0 {
		return 0, nil
	}
	err = s.write(ctx, func() error {
		opened, err = store.ProposeEach(caseBook{ctx, s}, ps, time.Now().UTC())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("propose cases: %w", err)
	}
	return opened, nil
}

// caseBook applies proposals on the writer connection, inside write.
type caseBook struct {
	ctx context.Context
	s   *Store
}

func (b caseBook) queryRow(query string, args ...any) (*sql.Row, error) {
	st, err := b.s.stmt(b.ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryRowContext(b.ctx, args...), nil
}

func (b caseBook) InCase(key string) (in bool, err error) {
	row, err := b.queryRow(inCaseSQL, key)
	if err == nil {
		err = row.Scan(&in)
	}
	return in, err
}

func (b caseBook) OpenCaseOfGroup(group string) (id int64, ok bool, err error) {
	row, err := b.queryRow(openCaseOfGroupSQL, group)
	if err == nil {
		err = row.Scan(&id)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

func (b caseBook) OpenCase(p post.CaseProposal) error {
	at := unixMilli(p.At)
	row, err := b.queryRow(insertCaseSQL, p.PostKey, string(p.Label), int(p.Tier), p.Entity, p.Score, p.Reason, p.Group, at, at)
	var id int64
	if err == nil {
		err = row.Scan(&id)
	}
	if err != nil {
		return err
	}
	return b.JoinCase(id, p)
}

func (b caseBook) JoinCase(id int64, p post.CaseProposal) error {
	at := unixMilli(p.At)
	if _, err := b.s.exec(b.ctx, insertCasePostSQL, id, p.PostKey, at); err != nil {
		return err
	}
	_, err := b.s.exec(b.ctx, countCasePostSQL, at, id)
	return err
}

// CasePosts implements store.Store.
func (s *Store) CasePosts(ctx context.Context, caseID int64, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT post_key FROM case_posts WHERE case_id = ?
		ORDER BY added_at, post_key LIMIT ?`, caseID, store.ListLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("posts of case %d: %w", caseID, err)
	}
	defer rows.Close()
	keys, err := store.ScanKeys(rows)
	if err != nil || len(keys) > 0 {
		return keys, err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases WHERE id = ?`, caseID).Scan(&n); err != nil {
		return nil, fmt.Errorf("case %d: %w", caseID, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("case %d: %w", caseID, store.ErrNotFound)
	}
	return keys, nil
}
