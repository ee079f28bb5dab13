package sqlite

import (
	"context"
	"testing"

	"github.com/raqib-project/raqib/internal/store/storetest"
)

// TestMigrateMediaHashes upgrades a database of schema version 4, when
// media hashes were md5, sha256 and pdq columns.
func TestMigrateMediaHashes(t *testing.T) {
	ctx := context.Background()
	dir, db := oldDatabase(t, 4)
	lm := storetest.LegacyMedia
	for _, q := range []string{
		`INSERT INTO posts(key, platform, post_id, channel_id, author_id, kind, posted_at, collected_at, content_hash, norm, doc)
			VALUES ('` + lm.Key + `', 'telegram', '5', 'c', 'a', 'message', 1, 1, 'h', 'x', CAST('` + lm.Doc + `' AS BLOB))`,
		`INSERT INTO media(post_rowid, idx, kind, md5, sha256, pdq) SELECT rowid, 0, 'photo', '` + lm.MD5 + `', '` + lm.SHA256 + `', '` + lm.PDQ + `' FROM posts`,
		`INSERT INTO banks(name, kind, enabled, distance, created_at) VALUES ('own', 'own', 1, 31, 1)`,
		`INSERT INTO bank_entries(bank, algo, hash, enabled, added_at) VALUES ('own', 'pdq', '` + lm.PDQ + `', 1, 1)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CheckLegacyMedia(t, s)
}
