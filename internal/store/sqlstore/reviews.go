package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

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
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("case %d: %w", id, store.ErrNotFound)
	}
	return fmt.Errorf("case %d: %w", id, err)
}

// Case implements store.Reviews.
func (s Store) Case(ctx context.Context, id int64) (post.Case, error) {
	c, err := store.ScanCase(s.db.QueryRow(ctx, selectCaseSQL, id).Scan)
	return c, caseErr(id, err)
}

// lockCase reads case id in tx and locks its row until tx ends.
func (s Store) lockCase(ctx context.Context, tx DB, id int64) (post.Case, error) {
	c, err := store.ScanCase(tx.QueryRow(ctx, selectCaseSQL+s.d.ForUpdate, id).Scan)
	return c, caseErr(id, err)
}

// writeCase stores c's review state and appends e to its history in tx;
// it returns e as stored.
func (s Store) writeCase(ctx context.Context, tx DB, c *post.Case, e post.CaseEvent, now time.Time) (post.CaseEvent, error) {
	if e.At.IsZero() {
		e.At = now
	}
	e.Case = c.ID
	c.UpdatedAt = e.At.UTC()
	_, err := tx.Exec(ctx, updateCaseSQL, string(c.Status), s.d.Text(string(c.Label)), int(c.Tier), s.d.Text(c.Entity), s.d.Text(c.Assignee), c.Escalated,
		string(c.Approval), string(c.Dismissal), c.MergedInto, s.d.Text(c.DecidedBy), s.d.OptTime(c.DecidedAt),
		s.d.Text(strings.Join(c.Rules, " ")), s.d.Text(strings.Join(c.Detectors, " ")), c.Posts, s.d.Time(c.UpdatedAt), c.ID)
	if err != nil {
		if s.d.Unique(err) {
			return e, fmt.Errorf("case %d: %w: another open case holds its post or group", c.ID, store.ErrConflict)
		}
		return e, fmt.Errorf("update case %d: %w", c.ID, err)
	}
	if err := tx.QueryRow(ctx, insertEventSQL, c.ID, s.d.Time(e.At), s.d.Text(e.Actor), s.d.Text(e.Action), s.d.Text(e.Note),
		[]byte(e.Before), []byte(e.After)).Scan(&e.ID); err != nil {
		return e, fmt.Errorf("event of case %d: %w", c.ID, err)
	}
	return e, nil
}

// UpdateCase implements store.Reviews.
func (s Store) UpdateCase(ctx context.Context, id int64, change store.CaseChange) (c post.Case, e post.CaseEvent, err error) {
	err = s.db.Tx(ctx, func(tx DB) error {
		if c, err = s.lockCase(ctx, tx, id); err != nil {
			return err
		}
		if e, err = change(&c); err != nil {
			return err
		}
		e, err = s.writeCase(ctx, tx, &c, e, time.Now().UTC())
		return err
	})
	return c, e, err
}

// MergeCase implements store.Reviews. The two cases are locked in id
// order, so that two merges of the same pair cannot deadlock.
func (s Store) MergeCase(ctx context.Context, from, into int64, change func(from, into *post.Case) (post.CaseEvent, post.CaseEvent, error)) (f, t post.Case, err error) {
	err = s.db.Tx(ctx, func(tx DB) error {
		first, second := &f, &t
		a, b := from, into
		if into < from {
			first, second, a, b = &t, &f, into, from
		}
		if *first, err = s.lockCase(ctx, tx, a); err != nil {
			return err
		}
		if *second, err = s.lockCase(ctx, tx, b); err != nil {
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
		if _, err := s.writeCase(ctx, tx, &f, ef, now); err != nil {
			return err
		}
		_, err = s.writeCase(ctx, tx, &t, et, now)
		return err
	})
	return f, t, err
}

// CaseEvents implements store.Reviews.
func (s Store) CaseEvents(ctx context.Context, id int64, limit int) ([]post.CaseEvent, error) {
	var es []post.CaseEvent
	err := s.db.Query(ctx, `SELECT id, case_id, at, actor, action, note, before_json, after_json
		FROM case_events WHERE case_id = $1 ORDER BY id LIMIT $2`, []any{id, store.ListLimit(limit)}, func(rows store.Rows) (err error) {
		es, err = store.ScanEvents(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("events of case %d: %w", id, err)
	}
	return es, nil
}

// CasePostsPage implements store.Reviews.
func (s Store) CasePostsPage(ctx context.Context, id int64, offset, limit int) ([]string, error) {
	var keys []string
	err := s.db.Query(ctx, `SELECT post_key FROM case_posts WHERE case_id = $1
		ORDER BY added_at, post_key LIMIT $2 OFFSET $3`, []any{id, store.ListLimit(limit), offset}, func(rows store.Rows) (err error) {
		keys, err = store.ScanKeys(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("posts of case %d: %w", id, err)
	}
	return keys, nil
}

// Queue implements store.Reviews.
func (s Store) Queue(ctx context.Context, q store.QueueQuery) ([]post.Case, error) {
	where, args, ok := store.QueueWhere(q, placeholder)
	if !ok {
		return nil, fmt.Errorf("queue %q: %w", q.Queue, store.ErrNotFound)
	}
	from := "cases"
	if q.Queue == store.QueueAll {
		from += s.d.QueueIndex
	}
	n := len(args)
	var cs []post.Case
	err := s.db.Query(ctx, `SELECT `+store.CaseColumns+` FROM `+from+` WHERE `+where+store.QueueOrder+
		` LIMIT `+placeholder(n+1)+` OFFSET `+placeholder(n+2), append(args, store.ListLimit(q.Limit), q.Offset),
		func(rows store.Rows) (err error) {
			cs, err = store.ScanCases(rows)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("queue %s: %w", q.Queue, err)
	}
	return cs, nil
}

// QueueCounts implements store.Reviews.
func (s Store) QueueCounts(ctx context.Context, user string, limit int) (map[store.Queue]int64, error) {
	out := map[store.Queue]int64{}
	for _, q := range store.Queues {
		where, args, _ := store.QueueWhere(store.QueueQuery{Queue: q, User: user}, placeholder)
		var n int64
		if err := s.db.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM cases WHERE `+where+` LIMIT `+placeholder(len(args)+1)+`) q`,
			append(args, limit)...).Scan(&n); err != nil {
			return nil, fmt.Errorf("count queue %s: %w", q, err)
		}
		out[q] = n
	}
	return out, nil
}

// DecidedCases implements store.Reviews.
func (s Store) DecidedCases(ctx context.Context, since time.Time, fn func(post.Case) error) error {
	var fnErr error
	err := s.db.Query(ctx, `SELECT `+store.CaseColumns+` FROM cases WHERE decided_at`+s.d.Set+` AND decided_at >= $1
		ORDER BY decided_at, id`, []any{s.d.Time(since)}, func(rows store.Rows) error {
		for rows.Next() {
			c, err := store.ScanCase(rows.Scan)
			if err != nil {
				return err
			}
			if fnErr = fn(c); fnErr != nil {
				return nil
			}
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("decided cases: %w", err)
	}
	return fnErr
}
