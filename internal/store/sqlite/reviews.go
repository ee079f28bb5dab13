package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Reviews = (*Store)(nil)

// OpenCasesOf implements store.Reviews.
func (s *Store) OpenCasesOf(ctx context.Context, keys []string) ([]int64, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT c.id FROM case_posts cp JOIN cases c ON c.id = cp.case_id
		WHERE c.status = 'open' AND cp.post_key IN (?`+strings.Repeat(",?", len(keys)-1)+`) ORDER BY c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("open cases of %d posts: %w", len(keys), err)
	}
	defer rows.Close()
	return store.ScanIDs(rows)
}
