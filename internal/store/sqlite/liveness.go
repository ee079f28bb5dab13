package sqlite

import (
	"context"
	"fmt"
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
