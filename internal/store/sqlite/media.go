package sqlite

import (
	"context"
	"fmt"

	"github.com/raqib-project/raqib/internal/post"
)

// The statements that store a post's media hashes.
const (
	insertMediaSQL = `INSERT OR REPLACE INTO media_hashes(post_rowid, idx, type, value) VALUES (?,?,?,?)`
	deleteMediaSQL = `DELETE FROM media_hashes WHERE post_rowid = ?`
)

func (w *writer) saveMedia(ctx context.Context, rowid int64, p *post.Post) error {
	for i, m := range p.Media {
		for _, h := range m.Hashes {
			if h.Value == "" {
				continue
			}
			if _, err := w.exec(ctx, insertMediaSQL, rowid, i, h.Type, h.Value); err != nil {
				return fmt.Errorf("save media hash %s: %w", h.Type, err)
			}
		}
	}
	return nil
}
