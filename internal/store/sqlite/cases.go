package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// The statements of ProposeCases, each for a whole batch: the keys and
// groups go in as JSON arrays, the rows in multi-row inserts.
const (
	// CROSS JOIN makes the batch's keys the outer loop: SQLite would
	// otherwise walk every open case (cases_status) and probe each.
	inCasesSQL = `SELECT cp.post_key FROM json_each(?) AS k
			CROSS JOIN case_posts cp ON cp.post_key = k.value`
	openCasesOfGroupsSQL = `SELECT c.grp, c.id FROM json_each(?) AS g
			CROSS JOIN cases c ON c.grp = g.value
			WHERE c.status = 'open' AND c.grp != ''`
	// countCasePostsSQL adds the posts just joined to their cases' counts;
	// its argument is a JSON array of [case id, added_at] pairs.
	countCasePostsSQL = `UPDATE cases SET posts = posts + j.n, updated_at = MAX(updated_at, j.last)
			FROM (SELECT value->>0 AS id, COUNT(*) AS n, MAX(value->>1) AS last FROM json_each(?) GROUP BY 1) AS j
			WHERE cases.id = j.id`
)

var (
	insertCases = &multiRow{
		head: `INSERT INTO cases(post_key, label, tier, entity, score, status, reason, grp, posts, created_at, updated_at) VALUES `,
		cols: 11,
		tail: ` RETURNING id, post_key`,
	}
	insertCasePosts = &multiRow{head: `INSERT INTO case_posts(case_id, post_key, added_at) VALUES `, cols: 3}
)

// ProposeCases implements store.CaseProposer.
func (s *Store) ProposeCases(ctx context.Context, ps []post.CaseProposal) (opened int, err error) {
	if len(ps) == 0 {
		return 0, nil
	}
	err = s.write(ctx, func() error {
		opened, err = store.ProposeSet(caseBook{ctx, s}, ps, time.Now().UTC())
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

// query runs query on the writer connection with values as its one JSON
// array argument and calls scan for each row.
func (b caseBook) query(query string, values any, scan func(*sql.Rows) error) error {
	js, err := json.Marshal(values)
	if err != nil {
		return err
	}
	st, err := b.s.stmt(b.ctx, query)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(b.ctx, string(js))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (b caseBook) InCases(keys []string) (map[string]bool, error) {
	in := map[string]bool{}
	err := b.query(inCasesSQL, keys, func(rows *sql.Rows) error {
		var key string
		err := rows.Scan(&key)
		in[key] = true
		return err
	})
	return in, err
}

func (b caseBook) OpenCasesOfGroups(groups []string) (map[string]int64, error) {
	ids := map[string]int64{}
	err := b.query(openCasesOfGroupsSQL, groups, func(rows *sql.Rows) error {
		var (
			group string
			id    int64
		)
		err := rows.Scan(&group, &id)
		ids[group] = id
		return err
	})
	return ids, err
}

func (b caseBook) OpenCases(ps []post.CaseProposal) (map[string]int64, error) {
	ids := make(map[string]int64, len(ps))
	for len(ps) > 0 {
		chunk := ps[:min(len(ps), insertChunk)]
		ps = ps[len(chunk):]
		args := make([]any, 0, len(chunk)*insertCases.cols)
		for _, p := range chunk {
			at := unixMilli(p.At)
			args = append(args, p.PostKey, string(p.Label), int(p.Tier), p.Entity, p.Score, string(post.CaseOpen), p.Reason, p.Group, 0, at, at)
		}
		st, err := b.s.stmt(b.ctx, insertCases.sql(len(chunk)))
		if err != nil {
			return nil, err
		}
		rows, err := st.QueryContext(b.ctx, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var (
				id  int64
				key string
			)
			if err := rows.Scan(&id, &key); err != nil {
				rows.Close()
				return nil, err
			}
			ids[key] = id
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

func (b caseBook) JoinCases(ids []int64, ps []post.CaseProposal) error {
	added := make([][2]int64, len(ps))
	args := make([]any, 0, min(len(ps), insertChunk)*insertCasePosts.cols)
	for i := 0; i < len(ps); {
		end := min(len(ps), i+insertChunk)
		args = args[:0]
		for ; i < end; i++ {
			added[i] = [2]int64{ids[i], unixMilli(ps[i].At)}
			args = append(args, ids[i], ps[i].PostKey, added[i][1])
		}
		if _, err := b.s.exec(b.ctx, insertCasePosts.sql(len(args)/insertCasePosts.cols), args...); err != nil {
			return err
		}
	}
	js, err := json.Marshal(added)
	if err != nil {
		return err
	}
	_, err = b.s.exec(b.ctx, countCasePostsSQL, string(js))
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
