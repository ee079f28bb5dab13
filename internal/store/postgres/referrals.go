package postgres

import (
	"context"
	"fmt"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.CaseStatusSetter = (*Store)(nil)

// SetCaseStatus implements store.CaseStatusSetter.
func (s *Store) SetCaseStatus(ctx context.Context, id int64, to post.CaseStatus, from ...post.CaseStatus) error {
	q, args := `UPDATE cases SET status = $1, updated_at = now() WHERE id = $2`, []any{string(to), id}
	if len(from) > 0 {
		fs := make([]string, len(from))
		for i, f := range from {
			fs[i] = string(f)
		}
		q, args = q+` AND status = ANY($3)`, append(args, fs)
	}
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("set case %d %s: %w", id, to, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("case %d in %v: %w", id, from, store.ErrNotFound)
	}
	return nil
}
