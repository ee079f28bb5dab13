package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/raqib-project/raqib/internal/store"
)

var (
	insertEvents = &multiRow{head: `INSERT OR IGNORE INTO count_events(key, id, at) VALUES `, cols: 3}
	insertTexts  = &multiRow{head: `INSERT OR IGNORE INTO texts(key, sig, label) VALUES `, cols: 3}
)

// insertRows writes n rows with m in one transaction, insertChunk rows a
// statement; arg appends the columns of row i.
func (s *Store) insertRows(ctx context.Context, what string, m *multiRow, n int, arg func(args []any, i int) []any) error {
	err := s.write(ctx, func() error {
		args := make([]any, 0, min(n, insertChunk)*m.cols)
		for i := 0; i < n; {
			end := min(n, i+insertChunk)
			args = args[:0]
			for ; i < end; i++ {
				args = arg(args, i)
			}
			if _, err := s.exec(ctx, m.sql(len(args)/m.cols), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// AddEvents implements store.Counters.
func (s *Store) AddEvents(ctx context.Context, evs []store.CountEvent) error {
	if len(evs) == 0 {
		return nil
	}
	return s.insertRows(ctx, "add events", insertEvents, len(evs), func(args []any, i int) []any {
		return append(args, evs[i].Key, evs[i].ID, unixMilli(evs[i].At))
	})
}

// CountEvents implements store.Counters.
func (s *Store) CountEvents(ctx context.Context, keys []string, since time.Time) (map[string]int, error) {
	if len(keys) == 0 {
		return map[string]int{}, nil
	}
	js, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT key, COUNT(*) FROM count_events
		WHERE key IN (SELECT value FROM json_each(?)) AND at >= ? GROUP BY key`, string(js), unixMilli(since))
	if err != nil {
		return nil, fmt.Errorf("count events: %w", err)
	}
	defer rows.Close()
	return store.ScanCounts(rows)
}

// PruneEvents implements store.Counters. It scans the table: an index by
// time would cost every write, and pruning is rare.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) error {
	err := s.write(ctx, func() error {
		_, err := s.exec(ctx, `DELETE FROM count_events WHERE at < ?`, unixMilli(before))
		return err
	})
	if err != nil {
		return fmt.Errorf("prune events: %w", err)
	}
	return nil
}

// AddTexts implements store.TextIndex. Seq is the rowid, which SQLite's
// one writer assigns in commit order, so a reader paging by Seq never
// skips a text committed later with a lower one.
func (s *Store) AddTexts(ctx context.Context, ts []store.IndexedText) error {
	if len(ts) == 0 {
		return nil
	}
	return s.insertRows(ctx, "add texts", insertTexts, len(ts), func(args []any, i int) []any {
		return append(args, ts[i].Key, ts[i].Sig, string(ts[i].Label))
	})
}

// TextsSince implements store.TextIndex.
func (s *Store) TextsSince(ctx context.Context, after int64, limit int) ([]store.IndexedText, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, key, sig, label FROM texts WHERE seq > ? ORDER BY seq LIMIT ?`,
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
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM texts`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last text seq: %w", err)
	}
	return seq, nil
}
