package postgres

import (
	"context"
	"fmt"
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
