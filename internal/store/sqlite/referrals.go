package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.CaseStatusSetter = (*Store)(nil)

// SetCaseStatus implements store.CaseStatusSetter.
func (s *Store) SetCaseStatus(ctx context.Context, id int64, to post.CaseStatus, from ...post.CaseStatus) error {
	return s.write(ctx, func() error {
		q, args := `UPDATE cases SET status = ?, updated_at = ? WHERE id = ?`, []any{string(to), unixMilli(time.Now()), id}
		if len(from) > 0 {
			q += ` AND status IN (?` + strings.Repeat(",?", len(from)-1) + `)`
			for _, f := range from {
				args = append(args, string(f))
			}
		}
		res, err := s.w.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("set case %d %s: %w", id, to, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("case %d in %v: %w", id, from, store.ErrNotFound)
		}
		return nil
	})
}
