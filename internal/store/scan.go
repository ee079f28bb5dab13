package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

// CaseColumns are the columns ScanCases reads, in its order; both stores
// name the columns of their cases table so.
const CaseColumns = `id, post_key, label, tier, entity, score, status, reason, grp, posts, created_at, updated_at, ` +
	`assignee, escalated, approval, dismissal, merged_into, decided_by, decided_at, rules, detectors`

// ScanCases reads cases from rows of CaseColumns.
func ScanCases(rows Rows) ([]post.Case, error) {
	var cs []post.Case
	for rows.Next() {
		c, err := ScanCase(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("list cases: %w", err)
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

// ScanCase reads one case of CaseColumns with scan, a row's Scan.
func ScanCase(scan func(dest ...any) error) (post.Case, error) {
	var (
		c                              post.Case
		label, st, approval, dismissal string
		rules, detectors               string
	)
	err := scan(&c.ID, &c.PostKey, &label, &c.Tier, &c.Entity, &c.Score, &st, &c.Reason, &c.Group, &c.Posts,
		&timeScanner{&c.CreatedAt}, &timeScanner{&c.UpdatedAt},
		&c.Assignee, &c.Escalated, &approval, &dismissal, &c.MergedInto, &c.DecidedBy, &timeScanner{&c.DecidedAt}, &rules, &detectors)
	c.Label, c.Status = post.Label(label), post.CaseStatus(st)
	c.Approval, c.Dismissal = post.Approval(approval), post.Dismissal(dismissal)
	c.Rules, c.Detectors = strings.Fields(rules), strings.Fields(detectors)
	return c, err
}

// SourceColumns are the columns ScanSources reads, in its order.
const SourceColumns = `id, format, platform, location, first_collected, last_collected, imports, records_read, records_rejected, posts`

// ScanSources reads sources from rows of SourceColumns.
func ScanSources(rows Rows) ([]post.Source, error) {
	var out []post.Source
	for rows.Next() {
		var (
			src      post.Source
			platform string
		)
		if err := rows.Scan(&src.ID, &src.Format, &platform, &src.Location,
			&timeScanner{&src.FirstCollected}, &timeScanner{&src.LastCollected},
			&src.Imports, &src.Read, &src.Rejected, &src.Posts); err != nil {
			return nil, fmt.Errorf("list sources: %w", err)
		}
		src.Platform = post.Platform(platform)
		out = append(out, src)
	}
	return out, rows.Err()
}

// timeScanner reads a time column as either store keeps it: Unix
// milliseconds, 0 for none, in SQLite; a timestamp, NULL for none, in
// PostgreSQL. Times come out in UTC.
type timeScanner struct{ t *time.Time }

// ScanTime is a Scan destination that reads a time column into t as
// either store keeps it.
func ScanTime(t *time.Time) any { return &timeScanner{t} }

// Scan implements sql.Scanner, which pgx honours too.
func (s *timeScanner) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.t = time.Time{}
	case int64:
		*s.t = time.Time{}
		if v != 0 {
			*s.t = time.UnixMilli(v).UTC()
		}
	case time.Time:
		*s.t = v.UTC()
	default:
		return fmt.Errorf("scan a time from %T", src)
	}
	return nil
}

// ScanTexts reads near-duplicate texts from rows of (seq, key, sig,
// label).
func ScanTexts(rows Rows) ([]IndexedText, error) {
	var ts []IndexedText
	for rows.Next() {
		var (
			t     IndexedText
			label string
		)
		if err := rows.Scan(&t.Seq, &t.Key, &t.Sig, &label); err != nil {
			return nil, fmt.Errorf("read texts: %w", err)
		}
		t.Label = post.Label(label)
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// ScanCounts reads rows of (key, count).
func ScanCounts(rows Rows) (map[string]int, error) {
	out := map[string]int{}
	for rows.Next() {
		var (
			k string
			n int
		)
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("count events: %w", err)
		}
		out[k] = n
	}
	return out, rows.Err()
}

// ScanKeys reads post keys from rows of one column.
func ScanKeys(rows Rows) ([]string, error) {
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("read post keys: %w", err)
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// ScanEvents reads case events from rows of (id, case_id, at, actor,
// action, note, before_json, after_json).
func ScanEvents(rows Rows) ([]post.CaseEvent, error) {
	var es []post.CaseEvent
	for rows.Next() {
		var (
			e             post.CaseEvent
			before, after []byte
		)
		if err := rows.Scan(&e.ID, &e.Case, &timeScanner{&e.At}, &e.Actor, &e.Action, &e.Note, &before, &after); err != nil {
			return nil, fmt.Errorf("read case events: %w", err)
		}
		e.Before, e.After = before, after
		es = append(es, e)
	}
	return es, rows.Err()
}

// ScanIDs reads ids from rows of one column.
func ScanIDs(rows Rows) ([]int64, error) {
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read ids: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
