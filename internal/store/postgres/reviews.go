package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Reviews = (*Store)(nil)

const (
	selectCaseSQL = `SELECT ` + store.CaseColumns + ` FROM cases WHERE id = $1`
	updateCaseSQL = `UPDATE cases SET status=$1, label=$2, tier=$3, entity=$4, assignee=$5, escalated=$6, approval=$7, dismissal=$8,
		merged_into=$9, decided_by=$10, decided_at=$11, rules=$12, detectors=$13, posts=$14, updated_at=$15 WHERE id=$16`
	insertEventSQL = `INSERT INTO case_events (case_id, at, actor, action, note, before_json, after_json)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`
)

func placeholder(i int) string { return "$" + strconv.Itoa(i) }

func caseErr(id int64, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("case %d: %w", id, store.ErrNotFound)
	}
	return fmt.Errorf("case %d: %w", id, err)
}

// Case implements store.Reviews.
func (s *Store) Case(ctx context.Context, id int64) (post.Case, error) {
	c, err := store.ScanCase(s.pool.QueryRow(ctx, selectCaseSQL, id).Scan)
	return c, caseErr(id, err)
}

// lockCase reads case id and locks its row until tx ends.
func lockCase(ctx context.Context, tx pgx.Tx, id int64) (post.Case, error) {
	c, err := store.ScanCase(tx.QueryRow(ctx, selectCaseSQL+` FOR UPDATE`, id).Scan)
	return c, caseErr(id, err)
}

// writeCase stores c's review state and appends e to its history in tx.
func writeCase(ctx context.Context, tx pgx.Tx, c *post.Case, e post.CaseEvent, now time.Time) (post.CaseEvent, error) {
	if e.At.IsZero() {
		e.At = now
	}
	e.Case = c.ID
	c.UpdatedAt = e.At.UTC()
	_, err := tx.Exec(ctx, updateCaseSQL, string(c.Status), text(string(c.Label)), int(c.Tier), text(c.Entity), text(c.Assignee), c.Escalated,
		string(c.Approval), string(c.Dismissal), c.MergedInto, text(c.DecidedBy), timestamp(c.DecidedAt),
		text(strings.Join(c.Rules, " ")), text(strings.Join(c.Detectors, " ")), c.Posts, c.UpdatedAt, c.ID)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return e, fmt.Errorf("case %d: %w: another open case holds its post or group", c.ID, store.ErrConflict)
		}
		return e, fmt.Errorf("update case %d: %w", c.ID, err)
	}
	if err := tx.QueryRow(ctx, insertEventSQL, c.ID, e.At, text(e.Actor), text(e.Action), text(e.Note), []byte(e.Before), []byte(e.After)).Scan(&e.ID); err != nil {
		return e, fmt.Errorf("event of case %d: %w", c.ID, err)
	}
	return e, nil
}

// UpdateCase implements store.Reviews.
func (s *Store) UpdateCase(ctx context.Context, id int64, change store.CaseChange) (c post.Case, e post.CaseEvent, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if c, err = lockCase(ctx, tx, id); err != nil {
			return err
		}
		if e, err = change(&c); err != nil {
			return err
		}
		e, err = writeCase(ctx, tx, &c, e, time.Now().UTC())
		return err
	})
	return c, e, err
}

// MergeCase implements store.Reviews. The two cases are locked in id
// order, so that two merges of the same pair cannot deadlock.
func (s *Store) MergeCase(ctx context.Context, from, into int64, change func(from, into *post.Case) (post.CaseEvent, post.CaseEvent, error)) (f, t post.Case, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		first, second := &f, &t
		a, b := from, into
		if into < from {
			first, second, a, b = &t, &f, into, from
		}
		if *first, err = lockCase(ctx, tx, a); err != nil {
			return err
		}
		if *second, err = lockCase(ctx, tx, b); err != nil {
			return err
		}
		ef, et, err := change(&f, &t)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO case_posts (case_id, post_key, added_at)
			SELECT $1, post_key, added_at FROM case_posts WHERE case_id = $2 ON CONFLICT DO NOTHING`, into, from); err != nil {
			return fmt.Errorf("move posts of case %d: %w", from, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM case_posts WHERE case_id = $1`, from); err != nil {
			return fmt.Errorf("move posts of case %d: %w", from, err)
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM case_posts WHERE case_id = $1`, into).Scan(&t.Posts); err != nil {
			return fmt.Errorf("count posts of case %d: %w", into, err)
		}
		now := time.Now().UTC()
		if _, err := writeCase(ctx, tx, &f, ef, now); err != nil {
			return err
		}
		_, err = writeCase(ctx, tx, &t, et, now)
		return err
	})
	return f, t, err
}

// CaseEvents implements store.Reviews.
func (s *Store) CaseEvents(ctx context.Context, id int64, limit int) ([]post.CaseEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, case_id, at, actor, action, note, before_json, after_json
		FROM case_events WHERE case_id = $1 ORDER BY id LIMIT $2`, id, store.ListLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("events of case %d: %w", id, err)
	}
	defer rows.Close()
	return store.ScanEvents(rows)
}

// CasePostsPage implements store.Reviews.
func (s *Store) CasePostsPage(ctx context.Context, id int64, offset, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT post_key FROM case_posts WHERE case_id = $1
		ORDER BY added_at, post_key LIMIT $2 OFFSET $3`, id, store.ListLimit(limit), offset)
	if err != nil {
		return nil, fmt.Errorf("posts of case %d: %w", id, err)
	}
	defer rows.Close()
	return store.ScanKeys(rows)
}

// Queue implements store.Reviews.
func (s *Store) Queue(ctx context.Context, q store.QueueQuery) ([]post.Case, error) {
	where, args, ok := store.QueueWhere(q, placeholder)
	if !ok {
		return nil, fmt.Errorf("queue %q: %w", q.Queue, store.ErrNotFound)
	}
	n := len(args)
	rows, err := s.pool.Query(ctx, `SELECT `+store.CaseColumns+` FROM cases WHERE `+where+store.QueueOrder+
		` LIMIT `+placeholder(n+1)+` OFFSET `+placeholder(n+2), append(args, store.ListLimit(q.Limit), q.Offset)...)
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
		where, args, _ := store.QueueWhere(store.QueueQuery{Queue: q, User: user}, placeholder)
		var n int64
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM cases WHERE `+where+` LIMIT `+placeholder(len(args)+1)+`) q`, append(args, limit)...).Scan(&n); err != nil {
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
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT c.id FROM case_posts cp JOIN cases c ON c.id = cp.case_id
		WHERE c.status = 'open' AND cp.post_key = ANY($1) ORDER BY c.id`, keys)
	if err != nil {
		return nil, fmt.Errorf("open cases of %d posts: %w", len(keys), err)
	}
	defer rows.Close()
	return store.ScanIDs(rows)
}

// DecidedCases implements store.Reviews.
func (s *Store) DecidedCases(ctx context.Context, since time.Time, fn func(post.Case) error) error {
	rows, err := s.pool.Query(ctx, `SELECT `+store.CaseColumns+` FROM cases WHERE decided_at IS NOT NULL AND decided_at >= $1
		ORDER BY decided_at, id`, since)
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
