package sqlite

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Liveness = (*Store)(nil)

var insertLiveness = &multiRow{head: `INSERT INTO liveness(` + store.LivenessItem + `, state, next_check) VALUES `, tail: ` ON CONFLICT(url) DO NOTHING`, cols: 12}

// Track implements store.Liveness. Items are inserted insertChunk rows a
// statement; only when some were tracked already are the referrals among
// them written over watches without one.
func (s *Store) Track(ctx context.Context, items []liveness.Item, next time.Time) (int, error) {
	added := 0
	err := s.write(ctx, func() error {
		args := make([]any, 0, min(len(items), insertChunk)*insertLiveness.cols)
		for i := 0; i < len(items); {
			end := min(len(items), i+insertChunk)
			args = args[:0]
			for _, it := range items[i:end] {
				args = append(append(args, store.ItemArgs(it)...), string(liveness.Online), next.UnixMilli())
			}
			res, err := s.exec(ctx, insertLiveness.sql(end-i), args...)
			if err != nil {
				return fmt.Errorf("track %s...: %w", items[i].URL, err)
			}
			n, _ := res.RowsAffected()
			added += int(n)
			i = end
		}
		if added == len(items) {
			return nil
		}
		for _, it := range items {
			if it.Channel == liveness.None {
				continue
			}
			// A referral replaces a watch without one; the URL stays first.
			_, err := s.exec(ctx, `UPDATE liveness SET (`+store.LivenessItem+`) = (?,?,?,?,?,?,?,?,?,?) WHERE url = ?1 AND channel = 'none'`,
				store.ItemArgs(it)...)
			if err != nil {
				return fmt.Errorf("track %s: %w", it.URL, err)
			}
		}
		return nil
	})
	return added, err
}

// ClaimDue implements store.Liveness. The claim is one UPDATE in a
// transaction that holds SQLite's write lock, so checkers in other
// processes on the same file never claim the same item.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]liveness.Tracked, error) {
	var ts []liveness.Tracked
	err := s.write(ctx, func() error {
		st, err := s.stmt(ctx, `UPDATE liveness SET next_check = ?, lease = lease + 1
			WHERE id IN (SELECT id FROM liveness WHERE next_check <= ? ORDER BY next_check LIMIT ?)
			RETURNING `+store.LivenessColumns)
		if err != nil {
			return err
		}
		rows, err := st.QueryContext(ctx, now.Add(lease).UnixMilli(), now.UnixMilli(), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		ts, err = store.ScanTrackedRows(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim due liveness checks: %w", err)
	}
	return ts, nil
}

var recordSQL = `UPDATE liveness SET ` + strings.ReplaceAll(store.LivenessRecord, "$", "?")

// RecordChecks implements store.Liveness.
func (s *Store) RecordChecks(ctx context.Context, ts []liveness.Tracked) (int, error) {
	saved := 0
	err := s.write(ctx, func() error {
		for i := range ts {
			res, err := s.exec(ctx, recordSQL, store.TrackedRecordArgs(&ts[i])...)
			if err != nil {
				return fmt.Errorf("record check of %s: %w", ts[i].URL, err)
			}
			n, _ := res.RowsAffected()
			saved += int(n)
		}
		return nil
	})
	return saved, err
}

// TrackedURL implements store.Liveness.
func (s *Store) TrackedURL(ctx context.Context, url string) (liveness.Tracked, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+store.LivenessColumns+` FROM liveness WHERE url = ?`, url)
	if err != nil {
		return liveness.Tracked{}, fmt.Errorf("read tracked %s: %w", url, err)
	}
	defer rows.Close()
	ts, err := store.ScanTrackedRows(rows)
	if err != nil {
		return liveness.Tracked{}, err
	}
	if len(ts) == 0 {
		return liveness.Tracked{}, fmt.Errorf("%s: %w", url, liveness.ErrNotFound)
	}
	return ts[0], nil
}

// TrackedItems implements store.Liveness.
func (s *Store) TrackedItems(ctx context.Context, f liveness.Filter) iter.Seq2[liveness.Tracked, error] {
	return func(yield func(liveness.Tracked, error) bool) {
		where, args := store.LivenessWhere(f, func(n int) string { return "?" + strconv.Itoa(n) })
		rows, err := s.db.QueryContext(ctx, `SELECT `+store.LivenessColumns+` FROM liveness`+where+` ORDER BY referred_at, id`, args...)
		if err != nil {
			yield(liveness.Tracked{}, fmt.Errorf("list tracked items: %w", err))
			return
		}
		defer rows.Close()
		store.YieldTracked(rows, yield)
	}
}
