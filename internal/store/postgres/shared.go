package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/raqib-project/raqib/internal/store"
)

// AddEvents implements store.Counters. Events go in (key, id) order, so
// that workers adding overlapping batches wait for each other instead of
// deadlocking on each other's rows.
func (s *Store) AddEvents(ctx context.Context, evs []store.CountEvent) error {
	if len(evs) == 0 {
		return nil
	}
	evs = slices.Clone(evs)
	slices.SortFunc(evs, func(a, b store.CountEvent) int {
		return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.ID, b.ID))
	})
	keys, ids, ats := make([]string, len(evs)), make([]string, len(evs)), make([]time.Time, len(evs))
	for i, e := range evs {
		keys[i], ids[i], ats[i] = text(e.Key), text(e.ID), e.At
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO count_events (key, id, at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) ON CONFLICT DO NOTHING`, keys, ids, ats)
	if err != nil {
		return fmt.Errorf("add events: %w", err)
	}
	return nil
}

// CountEvents implements store.Counters.
func (s *Store) CountEvents(ctx context.Context, keys []string, since time.Time) (map[string]int, error) {
	if len(keys) == 0 {
		return map[string]int{}, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT key, count(*) FROM count_events
		WHERE key = ANY($1::text[]) AND at >= $2 GROUP BY key`, keys, since)
	if err != nil {
		return nil, fmt.Errorf("count events: %w", err)
	}
	defer rows.Close()
	return store.ScanCounts(rows)
}

// PruneEvents implements store.Counters. It scans the table: an index by
// time would cost every write, and pruning is rare.
func (s *Store) PruneEvents(ctx context.Context, prefix string, before time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM count_events WHERE starts_with(key, $1) AND at < $2`, text(prefix), before); err != nil {
		return fmt.Errorf("prune events: %w", err)
	}
	return nil
}

// addTextsSQL appends texts in argument order. Its transaction first takes
// a lock that serializes writers of the log: a sequence hands out numbers
// when rows are inserted, not when they commit, so without it a reader
// could see seq 11 committed, page past it and never see seq 10 that
// commits later.
const addTextsSQL = `INSERT INTO texts (key, sig, label)
	SELECT k, s, l FROM unnest($1::text[], $2::bytea[], $3::text[]) WITH ORDINALITY AS t (k, s, l, o) ORDER BY o
	ON CONFLICT (key) DO NOTHING`

// AddTexts implements store.TextIndex.
func (s *Store) AddTexts(ctx context.Context, ts []store.IndexedText) error {
	if len(ts) == 0 {
		return nil
	}
	keys, sigs, labels := make([]string, len(ts)), make([][]byte, len(ts)), make([]string, len(ts))
	for i, t := range ts {
		keys[i], sigs[i], labels[i] = text(t.Key), t.Sig, text(string(t.Label))
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('raqib texts ' || current_schema(), 0))`); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		_, err := tx.Exec(ctx, addTextsSQL, keys, sigs, labels)
		return err
	})
	if err != nil {
		return fmt.Errorf("add texts: %w", err)
	}
	return nil
}

// TextsSince implements store.TextIndex.
func (s *Store) TextsSince(ctx context.Context, after int64, limit int) ([]store.IndexedText, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, key, sig, label FROM texts WHERE seq > $1 ORDER BY seq LIMIT $2`,
		after, max(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("read texts: %w", err)
	}
	defer rows.Close()
	return store.ScanTexts(rows)
}

// LastTextSeq implements store.TextIndex.
func (s *Store) LastTextSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM texts`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last text seq: %w", err)
	}
	return seq, nil
}
