package sqlite

import (
	"context"
	"database/sql"
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
	var out map[string]int
	err = s.onWriter(ctx, `SELECT key, COUNT(*) FROM count_events
		WHERE key IN (SELECT value FROM json_each(?)) AND at >= ? GROUP BY key`, []any{string(js), unixMilli(since)},
		func(rows *sql.Rows) (err error) {
			out, err = store.ScanCounts(rows)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("count events: %w", err)
	}
	return out, nil
}

// PruneEvents implements store.Counters. It scans the prefix's range of
// the primary key: an index by time would cost every write, and pruning is
// rare. Keys compare as bytes, so the range ends where the prefix would
// be followed by a byte above any.
func (s *Store) PruneEvents(ctx context.Context, prefix string, before time.Time) error {
	err := s.write(ctx, func() error {
		end := prefixEnd(prefix)
		_, err := s.exec(ctx, `DELETE FROM count_events WHERE key >= ? AND (? = '' OR key < ?) AND at < ?`,
			prefix, end, end, unixMilli(before))
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
	var ts []store.IndexedText
	err := s.onWriter(ctx, `SELECT seq, key, sig, label FROM texts WHERE seq > ? ORDER BY seq LIMIT ?`,
		[]any{after, max(limit, 0)}, func(rows *sql.Rows) (err error) {
			ts, err = store.ScanTexts(rows)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("read texts: %w", err)
	}
	return ts, nil
}

// LastTextSeq implements store.TextIndex.
func (s *Store) LastTextSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM texts`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("last text seq: %w", err)
	}
	return seq, nil
}

// prefixEnd is the least string above every string that begins with
// prefix, "" when there is none (prefix empty or all 0xff bytes).
func prefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
