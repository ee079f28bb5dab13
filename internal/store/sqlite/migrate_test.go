package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store/storetest"
)

// oldDatabase creates a database with the first n migrations in a new data
// directory, for a test to fill as an older raqib would have.
func oldDatabase(t *testing.T, n int) (string, *sql.DB) {
	t.Helper()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(context.Background(), db, migrations[:n]); err != nil {
		t.Fatal(err)
	}
	return dir, db
}

// TestMigrateKeys upgrades a database of schema version 4, whose post keys
// joined their parts with a bare ':', and checks that every key moved.
func TestMigrateKeys(t *testing.T) {
	ctx := context.Background()
	dir, db := oldDatabase(t, 4)
	now := time.Now().UnixMilli()
	for _, lp := range storetest.LegacyPosts() {
		p := lp.Post
		doc, earlier := lp.Docs(t)
		var rowid int64
		err := db.QueryRowContext(ctx, `INSERT INTO posts(key, platform, post_id, channel_id, author_id, kind, posted_at,
			collected_at, content_hash, version, norm, doc) VALUES (?,?,?,?,?,?,?,?,?,2,?,?) RETURNING rowid`,
			lp.OldKey, string(p.Platform), p.ID, p.Channel.ID, p.Author.ID, string(p.Kind), unixMilli(p.PostedAt),
			now, p.ContentHash(), p.Norm, doc).Scan(&rowid)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO post_versions(post_rowid, version, content_hash, doc) VALUES (?,1,?,?)`,
			rowid, lp.Earlier.ContentHash(), earlier); err != nil {
			t.Fatal(err)
		}
		if lp.Case {
			if _, err := db.ExecContext(ctx, `INSERT INTO cases(post_key, label, tier, score, status, reason, created_at, updated_at)
				VALUES (?, ?, 3, 0.9, 'open', 'legacy', ?, ?)`, lp.OldKey, string(post.Propaganda), now, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	db.Close()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CheckRekeyed(t, s)
}

func TestShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) storetest.SharedStore { return openTest(t) })
}
