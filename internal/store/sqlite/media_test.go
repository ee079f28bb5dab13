package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/store"
)

// TestMigrateMediaHashes upgrades a database written when media hashes
// were md5, sha256 and pdq columns and post documents carried them as
// fields of the same names: the hashes must be found by type, the document
// must read them back as typed hashes, and bank entries keep their type.
func TestMigrateMediaHashes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName)+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:4] {
		if _, err := db.ExecContext(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	const (
		md5 = "e83d401468f0570c0fb14f2b82992c6d"
		sha = "a1e8c6951745aff1a03d9a4484907afd961d5f0a3bfb5949b76e0c1bbe7c5dce"
		pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
	)
	doc := `{"platform":"telegram","id":"5","kind":"message","channel":{"platform":"telegram","id":"c"},"author":{"platform":"telegram","id":"a"},` +
		`"text":"x","media":[{"kind":"photo","md5":"` + md5 + `","sha256":"` + sha + `","pdq":"` + pdq + `","pdq_quality":93}],"origin":{"format":"telegram"}}`
	for _, q := range []string{
		"PRAGMA user_version = 4",
		`INSERT INTO posts(key, platform, post_id, channel_id, author_id, kind, posted_at, collected_at, content_hash, norm, doc)
			VALUES ('telegram:c:5', 'telegram', '5', 'c', 'a', 'message', 1, 1, 'h', 'x', CAST('` + doc + `' AS BLOB))`,
		`INSERT INTO media(post_rowid, idx, kind, md5, sha256, pdq) SELECT rowid, 0, 'photo', '` + md5 + `', '` + sha + `', '` + pdq + `' FROM posts`,
		`INSERT INTO banks(name, kind, enabled, distance, created_at) VALUES ('own', 'own', 1, 31, 1)`,
		`INSERT INTO bank_entries(bank, algo, hash, enabled, added_at) VALUES ('own', 'pdq', '` + pdq + `', 1, 1)`,
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
	for typ, want := range map[string]string{"md5": md5, "sha256": sha, "pdq": pdq} {
		var got []string
		err := s.MediaHashes(ctx, typ, func(v, key string) error {
			got = append(got, v+" "+key)
			return nil
		})
		if err != nil || len(got) != 1 || got[0] != want+" telegram:c:5" {
			t.Errorf("media hashes of %s: %v, %v", typ, got, err)
		}
		if keys, err := s.HashPosts(ctx, typ, want, 5); err != nil || len(keys) != 1 || keys[0] != "telegram:c:5" {
			t.Errorf("posts with %s %s: %v, %v", typ, want, keys, err)
		}
	}
	p, _, err := s.Post(ctx, "telegram:c:5")
	if err != nil {
		t.Fatal(err)
	}
	if m := p.Media[0]; m.Hash("pdq") != pdq || m.Hash("md5") != md5 || m.Hashes[2].Quality != 93 {
		t.Errorf("stored document read as %+v", m)
	}
	_, es, err := s.LoadBanks(ctx)
	if err != nil || len(es) != 1 || es[0].Type != "pdq" || es[0].Hash != pdq {
		t.Errorf("bank entries %+v, %v", es, err)
	}
	if err := s.MediaHashes(ctx, "crc32", nil); err == nil || !strings.Contains(err.Error(), "unknown signal type") {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := s.Bank(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing bank: %v", err)
	}
}
