package postgres

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Liveness = (*Store)(nil)

// Track implements store.Liveness.
func (s *Store) Track(ctx context.Context, items []liveness.Item, next time.Time) (int, error) {
	added := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, it := range items {
			b.Queue(`INSERT INTO liveness (`+store.LivenessItem+`, state, next_check) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
				ON CONFLICT (url) DO NOTHING`, append(store.ItemArgs(it), string(liveness.Online), next.UnixMilli())...).
				Exec(func(ct pgconn.CommandTag) error {
					if ct.RowsAffected() > 0 {
						added++
					}
					return nil
				})
			if it.Channel != liveness.None {
				// A referral replaces a watch without one; the URL stays first.
				b.Queue(`UPDATE liveness SET (`+store.LivenessItem+`) = ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) WHERE url = $1 AND channel = 'none'`,
					store.ItemArgs(it)...)
			}
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return 0, fmt.Errorf("track liveness items: %w", err)
	}
	return added, nil
}

// ClaimDue implements store.Liveness. SKIP LOCKED lets checkers of many
// processes claim at once, each taking rows no other is taking.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]liveness.Tracked, error) {
	rows, err := s.pool.Query(ctx, `UPDATE liveness SET next_check = $1, lease = lease + 1
		WHERE id IN (SELECT id FROM liveness WHERE next_check <= $2 ORDER BY next_check LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+store.LivenessColumns, now.Add(lease).UnixMilli(), now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim due liveness checks: %w", err)
	}
	defer rows.Close()
	ts, err := store.ScanTrackedRows(rows)
	if err != nil {
		return nil, fmt.Errorf("claim due liveness checks: %w", err)
	}
	return ts, nil
}

// RecordChecks implements store.Liveness.
func (s *Store) RecordChecks(ctx context.Context, ts []liveness.Tracked) (int, error) {
	saved := 0
	b := &pgx.Batch{}
	for i := range ts {
		b.Queue(`UPDATE liveness SET `+store.LivenessRecord, store.TrackedRecordArgs(&ts[i])...).Exec(func(ct pgconn.CommandTag) error {
			saved += int(ct.RowsAffected())
			return nil
		})
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return saved, fmt.Errorf("record liveness checks: %w", err)
	}
	return saved, nil
}

// TrackedURL implements store.Liveness.
func (s *Store) TrackedURL(ctx context.Context, url string) (liveness.Tracked, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.LivenessColumns+` FROM liveness WHERE url = $1`, url)
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
		where, args := store.LivenessWhere(f, func(n int) string { return "$" + strconv.Itoa(n) })
		rows, err := s.pool.Query(ctx, `SELECT `+store.LivenessColumns+` FROM liveness`+where+` ORDER BY referred_at, id`, args...)
		if err != nil {
			yield(liveness.Tracked{}, fmt.Errorf("list tracked items: %w", err))
			return
		}
		defer rows.Close()
		store.YieldTracked(rows, yield)
	}
}
