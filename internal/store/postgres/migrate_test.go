package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/storetest"
)

// TestMigrateKeys upgrades a schema of version 3, whose post keys joined
// their parts with a bare ':', and checks that every key moved.
func TestMigrateKeys(t *testing.T) {
	ctx := context.Background()
	url := testURL(t)
	schema := newSchema(t, url)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET search_path TO "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return applyMigrations(ctx, tx, schema, migrations[:3]) })
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, lp := range storetest.LegacyPosts() {
		p := lp.Post
		doc, err := store.EncodeDoc(p)
		if err != nil {
			t.Fatal(err)
		}
		earlier, err := store.EncodeDoc(lp.Earlier)
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		err = conn.QueryRow(ctx, `INSERT INTO posts (key, platform, post_id, channel_id, author_id, kind, posted_at,
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
