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

var _ store.Reviews = (*Store)(nil)

const (
	selectCaseSQL = `SELECT ` + store.CaseColumns + ` FROM cases WHERE id = ?`
	updateCaseSQL = `UPDATE cases SET status=?, label=?, tier=?, entity=?, assignee=?, escalated=?, approval=?, dismissal=?,
		merged_into=?, decided_by=?, decided_at=?, rules=?, detectors=?, posts=?, updated_at=? WHERE id=?`
	insertEventSQL = `INSERT INTO case_events(case_id, at, actor, action, note, before_json, after_json) VALUES (?,?,?,?,?,?,?) RETURNING id`
)

// Case implements store.Reviews.
func (s *Store) Case(ctx context.Context, id int64) (post.Case, error) {
	c, err := store.ScanCase(s.db.QueryRowContext(ctx, selectCaseSQL, id).Scan)
	return c, caseErr(id, err)
}

func caseErr(id int64, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("case %d: %w", id, store.ErrNotFound)
	}
	return fmt.Errorf("case %d: %w", id, err)
}

// readCase reads case id on the writer connection, inside write.
func (s *Store) readCase(ctx context.Context, id int64) (post.Case, error) {
	st, err := s.stmt(ctx, selectCaseSQL)
	if err != nil {
		return post.Case{}, err
	}
	c, err := store.ScanCase(st.QueryRowContext(ctx, id).Scan)
	return c, caseErr(id, err)
}

// writeCase stores c's review state and appends e to its history, inside
// write; it returns e as stored.
func (s *Store) writeCase(ctx context.Context, c *post.Case, e post.CaseEvent, now time.Time) (post.CaseEvent, error) {
	if e.At.IsZero() {
		e.At = now
	}
	e.Case = c.ID
	c.UpdatedAt = e.At.UTC()
	_, err := s.exec(ctx, updateCaseSQL, string(c.Status), string(c.Label), int(c.Tier), c.Entity, c.Assignee, c.Escalated,
		string(c.Approval), string(c.Dismissal), c.MergedInto, c.DecidedBy, unixMilli(c.DecidedAt),
		strings.Join(c.Rules, " "), strings.Join(c.Detectors, " "), c.Posts, unixMilli(c.UpdatedAt), c.ID)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return e, fmt.Errorf("case %d: %w: another open case holds its post or group", c.ID, store.ErrConflict)
		}
		return e, fmt.Errorf("update case %d: %w", c.ID, err)
	}
	st, err := s.stmt(ctx, insertEventSQL)
	if err == nil {
		err = st.QueryRowContext(ctx, c.ID, unixMilli(e.At), e.Actor, e.Action, e.Note, []byte(e.Before), []byte(e.After)).Scan(&e.ID)
	}
	if err != nil {
		return e, fmt.Errorf("event of case %d: %w", c.ID, err)
	}
	return e, nil
}

// UpdateCase implements store.Reviews.
func (s *Store) UpdateCase(ctx context.Context, id int64, change store.CaseChange) (c post.Case, e post.CaseEvent, err error) {
	err = s.write(ctx, func() error {
		if c, err = s.readCase(ctx, id); err != nil {
			return err
		}
		if e, err = change(&c); err != nil {
			return err
		}
		e, err = s.writeCase(ctx, &c, e, time.Now().UTC())
		return err
	})
	return c, e, err
}

// MergeCase implements store.Reviews.
func (s *Store) MergeCase(ctx context.Context, from, into int64, change func(from, into *post.Case) (post.CaseEvent, post.CaseEvent, error)) (f, t post.Case, err error) {
	err = s.write(ctx, func() error {
		if f, err = s.readCase(ctx, from); err != nil {
			return err
		}
		if t, err = s.readCase(ctx, into); err != nil {
			return err
		}
		ef, et, err := change(&f, &t)
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, `INSERT OR IGNORE INTO case_posts(case_id, post_key, added_at)
			SELECT ?, post_key, added_at FROM case_posts WHERE case_id = ?`, into, from); err != nil {
			return fmt.Errorf("move posts of case %d: %w", from, err)
		}
		if _, err := s.exec(ctx, `DELETE FROM case_posts WHERE case_id = ?`, from); err != nil {
			return fmt.Errorf("move posts of case %d: %w", from, err)
		}
		st, err := s.stmt(ctx, `SELECT COUNT(*) FROM case_posts WHERE case_id = ?`)
		if err == nil {
			err = st.QueryRowContext(ctx, into).Scan(&t.Posts)
		}
		if err != nil {
			return fmt.Errorf("count posts of case %d: %w", into, err)
		}
		now := time.Now().UTC()
		if _, err := s.writeCase(ctx, &f, ef, now); err != nil {
			return err
		}
		_, err = s.writeCase(ctx, &t, et, now)
		return err
	})
	return f, t, err
}

// CaseEvents implements store.Reviews.
func (s *Store) CaseEvents(ctx context.Context, id int64, limit int) ([]post.CaseEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, case_id, at, actor, action, note, before_json, after_json
		FROM case_events WHERE case_id = ? ORDER BY id LIMIT ?`, id, store.ListLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("events of case %d: %w", id, err)
	}
	defer rows.Close()
	return store.ScanEvents(rows)
}

// CasePostsPage implements store.Reviews.
func (s *Store) CasePostsPage(ctx context.Context, id int64, offset, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT post_key FROM case_posts WHERE case_id = ?
		ORDER BY added_at, post_key LIMIT ? OFFSET ?`, id, store.ListLimit(limit), offset)
	if err != nil {
		return nil, fmt.Errorf("posts of case %d: %w", id, err)
	}
	defer rows.Close()
	return store.ScanKeys(rows)
}

// Queue implements store.Reviews.
func (s *Store) Queue(ctx context.Context, q store.QueueQuery) ([]post.Case, error) {
	where, args, ok := store.QueueWhere(q, func(int) string { return "?" })
	if !ok {
		return nil, fmt.Errorf("queue %q: %w", q.Queue, store.ErrNotFound)
	}
	from := "cases"
	if q.Queue == store.QueueAll {
		// Without statistics the planner takes cases_status and sorts
		// every open case: 250 ms at 50,000 of them, against 40 µs
		// through the index that is in queue order.
		from = "cases INDEXED BY cases_open_prio"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+store.CaseColumns+` FROM `+from+` WHERE `+where+store.QueueOrder+` LIMIT ? OFFSET ?`,
		append(args, store.ListLimit(q.Limit), q.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("queue %s: %w", q.Queue, err)
	}
	defer rows.Close()
	return store.ScanCases(rows)
}

// QueueCounts implements store.Reviews.
func (s *Store) QueueCounts(ctx context.Context, user string, limit int) (map[store.Queue]int64, error) {
	out := map[store.Queue]int64{}
	for _, q := range store.Queues {
		where, args, _ := store.QueueWhere(store.QueueQuery{Queue: q, User: user}, func(int) string { return "?" })
		var n int64
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM cases WHERE `+where+` LIMIT ?)`, append(args, limit)...).Scan(&n); err != nil {
			return nil, fmt.Errorf("count queue %s: %w", q, err)
		}
		out[q] = n
	}
	return out, nil
}

// OpenCasesOf implements store.Reviews.
func (s *Store) OpenCasesOf(ctx context.Context, keys []string) ([]int64, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT c.id FROM case_posts cp JOIN cases c ON c.id = cp.case_id
		WHERE c.status = 'open' AND cp.post_key IN (?`+strings.Repeat(",?", len(keys)-1)+`) ORDER BY c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("open cases of %d posts: %w", len(keys), err)
	}
	defer rows.Close()
	return store.ScanIDs(rows)
}

// DecidedCases implements store.Reviews.
func (s *Store) DecidedCases(ctx context.Context, since time.Time, fn func(post.Case) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+store.CaseColumns+` FROM cases WHERE decided_at > 0 AND decided_at >= ?
		ORDER BY decided_at, id`, unixMilli(since))
	if err != nil {
		return fmt.Errorf("decided cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := store.ScanCase(rows.Scan)
		if err != nil {
			return fmt.Errorf("decided cases: %w", err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}
