package sqlstore

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/store"
)

// ClaimDue implements store.Liveness. The claim is one UPDATE in a write
// transaction; where several checkers may claim at once, SkipLocked lets
// each take rows no other is taking.
func (s Store) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]liveness.Tracked, error) {
	var ts []liveness.Tracked
	err := s.db.Tx(ctx, func(tx DB) error {
		return tx.Query(ctx, `UPDATE liveness SET next_check = $1, lease = lease + 1
			WHERE id IN (SELECT id FROM liveness WHERE next_check <= $2 ORDER BY next_check LIMIT $3`+s.d.SkipLocked+`)
			RETURNING `+store.LivenessColumns, []any{now.Add(lease).UnixMilli(), now.UnixMilli(), limit},
			func(rows store.Rows) (err error) {
				ts, err = store.ScanTrackedRows(rows)
				return err
			})
	})
	if err != nil {
		return nil, fmt.Errorf("claim due liveness checks: %w", err)
	}
	return ts, nil
}

// TrackedURL implements store.Liveness.
func (s Store) TrackedURL(ctx context.Context, url string) (liveness.Tracked, error) {
	var ts []liveness.Tracked
	err := s.db.Query(ctx, `SELECT `+store.LivenessColumns+` FROM liveness WHERE url = $1`, []any{url}, func(rows store.Rows) (err error) {
		ts, err = store.ScanTrackedRows(rows)
		return err
	})
	if err != nil {
		return liveness.Tracked{}, fmt.Errorf("read tracked %s: %w", url, err)
	}
	if len(ts) == 0 {
		return liveness.Tracked{}, fmt.Errorf("%s: %w", url, liveness.ErrNotFound)
	}
	return ts[0], nil
}

// TrackedItems implements store.Liveness.
func (s Store) TrackedItems(ctx context.Context, f liveness.Filter) iter.Seq2[liveness.Tracked, error] {
	return func(yield func(liveness.Tracked, error) bool) {
		where, args := store.LivenessWhere(f, func(n int) string { return "$" + strconv.Itoa(n) })
		err := s.db.Query(ctx, `SELECT `+store.LivenessColumns+` FROM liveness`+where+` ORDER BY referred_at, id`, args,
			func(rows store.Rows) error {
				store.YieldTracked(rows, yield)
				return nil
			})
		if err != nil {
			yield(liveness.Tracked{}, fmt.Errorf("list tracked items: %w", err))
		}
	}
}
