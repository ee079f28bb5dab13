package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store/storetest"
)

// oldSchema creates a schema with the first n migrations and a connection
// that uses it, for a test to fill as an older raqib would have.
func oldSchema(t *testing.T, n int) (url, schema string, conn *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	url = testURL(t)
	schema = newSchema(t, url)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	if _, err := conn.Exec(ctx, "SET search_path TO "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return applyMigrations(ctx, tx, schema, migrations[:n]) })
	if err != nil {
		t.Fatal(err)
	}
	return url, schema, conn
}

// TestMigrateKeys upgrades a schema of version 3, whose post keys joined
// their parts with a bare ':', and checks that every key moved.
func TestMigrateKeys(t *testing.T) {
	ctx := context.Background()
	url, schema, conn := oldSchema(t, 3)
	now := time.Now()
	for _, lp := range storetest.LegacyPosts() {
		p := lp.Post
		doc, earlier := lp.Docs(t)
		var id int64
		err := conn.QueryRow(ctx, `INSERT INTO posts (key, platform, post_id, channel_id, author_id, kind, posted_at,
			collected_at, content_hash, version, norm, fts, doc) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,2,$10,''::tsvector,$11)
			RETURNING id`,
			lp.OldKey, string(p.Platform), p.ID, p.Channel.ID, p.Author.ID, string(p.Kind), p.PostedAt,
			now, p.ContentHash(), p.Norm, doc).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO post_versions (post_id, version, content_hash, doc) VALUES ($1,1,$2,$3)`,
			id, lp.Earlier.ContentHash(), earlier); err != nil {
			t.Fatal(err)
		}
		if lp.Case {
			if _, err := conn.Exec(ctx, `INSERT INTO cases (post_key, label, tier, score, status, reason, created_at, updated_at)
				VALUES ($1, $2, 3, 0.9, 'open', 'legacy', $3, $3)`, lp.OldKey, string(post.Propaganda), now); err != nil {
				t.Fatal(err)
			}
		}
	}
	storetest.CheckRekeyed(t, openSchema(t, url, schema))
}

func TestShared(t *testing.T) {
	testURL(t)
	storetest.RunShared(t, func(t *testing.T) storetest.SharedStore { return openTest(t) })
}

// TestMigrateMediaHashes upgrades a schema from before media hashes were
// typed, when they were md5, sha256 and pdq columns.
func TestMigrateMediaHashes(t *testing.T) {
	ctx := context.Background()
	url, schema, conn := oldSchema(t, 5)
	lm := storetest.LegacyMedia
	for _, q := range []string{
		`INSERT INTO posts (key, platform, post_id, channel_id, author_id, kind, collected_at, content_hash, norm, fts, doc)
			VALUES ('` + lm.Key + `', 'telegram', '5', 'c', 'a', 'message', now(), 'h', 'x', ''::tsvector, convert_to('` + lm.Doc + `', 'UTF8'))`,
		`INSERT INTO media (post_id, idx, kind, md5, sha256, pdq) SELECT id, 0, 'photo', '` + lm.MD5 + `', '` + lm.SHA256 + `', '` + lm.PDQ + `' FROM posts`,
		`INSERT INTO banks (name, kind, enabled, distance, created_at) VALUES ('own', 'own', true, 31, now())`,
		`INSERT INTO bank_entries (bank, algo, hash, enabled, added_at) VALUES ('own', 'pdq', '` + lm.PDQ + `', true, now())`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	storetest.CheckLegacyMedia(t, openSchema(t, url, schema))
}
