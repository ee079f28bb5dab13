package sqlite

import (
	"context"
	"fmt"

	"github.com/raqib-project/raqib/internal/post"
)

// The statements that store a post's media hashes.
const (
	insertMediaSQL = `INSERT OR REPLACE INTO media(post_rowid, idx, kind, md5, sha256, pdq) VALUES (?,?,?,?,?,?)`
	deleteMediaSQL = `DELETE FROM media WHERE post_rowid = ?`
)

func (w *writer) saveMedia(ctx context.Context, rowid int64, p *post.Post) error {
	for i, m := range p.Media {
		if m.MD5 == "" && m.SHA256 == "" && m.PDQ == "" {
			continue
		}
		if _, err := w.exec(ctx, insertMediaSQL, rowid, i, m.Kind, m.MD5, m.SHA256, m.PDQ); err != nil {
			return fmt.Errorf("save media: %w", err)
		}
	}
	return nil
}
