package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/storetest"
)

// openTest opens a store in a new temporary data directory, closed when
// the test ends.
func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openSameDir opens n stores on one data directory, as n raqib processes
// on it would.
func openSameDir(t *testing.T, n int) []*Store {
	t.Helper()
	dir := t.TempDir()
	stores := make([]*Store, n)
	for i := range stores {
		s, err := Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	return stores
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO channels(platform, id) VALUES ('x', 'timeline')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatalf("reopen (migrations must not run twice): %v", err)
	}
	defer s.Close()
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM channels`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("channels after reopen = %d (err %v), want 1", n, err)
	}
}

func TestBanks(t *testing.T) {
	storetest.RunBanks(t, func(t *testing.T) storetest.BankStore { return openTest(t) })
}

// BenchmarkSavePosts measures the store alone: batches of 500 new posts of
// tweet length by 5,000 authors, as `raqib bench ingest` writes them.
func BenchmarkSavePosts(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const batch = 500
	ps := make([]post.Post, batch)
	n := 0
	for b.Loop() {
		b.StopTimer()
		for i := range ps {
			ps[i] = syntheticPost(n)
			n++
		}
		b.StartTimer()
		if _, err := s.SavePosts(ctx, ps); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "posts/s")
}

// TestSaveAcrossStatements covers batches longer than one multi-row INSERT:
// repeats of a post in the same statement and in a later one, as
// duplicates and as edits, and more authors than one statement takes.
func TestSaveAcrossStatements(t *testing.T) {
	mk := func(id int, text string) post.Post {
		sid := strconv.Itoa(id)
		return post.Post{
			Platform: post.X, ID: sid, Kind: post.Message,
			Channel: post.Channel{Platform: post.X, ID: "timeline"},
			Author:  post.Account{Platform: post.X, ID: "a" + sid},
			Text:    text, Norm: arabic.Normalize(text),
			PostedAt: time.Date(2024, 1, 1, 0, 0, id, 0, time.UTC),
		}
	}
	tests := []struct {
		name    string
		n       int   // distinct posts, ids 0..n-1, each "منشور رقم <id>"
		same    []int // ids repeated unchanged at the end of the batch
		edited  []int // ids repeated with the text "تعديل <id>" at the end
		want    store.Counts
		authors int64
	}{
		{name: "one short statement", n: 10, same: []int{3}, edited: []int{5}, want: store.Counts{Inserted: 10, Duplicates: 1, Edited: 1}, authors: 10},
		{name: "whole and short statements", n: 2*insertChunk + 20, want: store.Counts{Inserted: 2*insertChunk + 20}, authors: 2*insertChunk + 20},
		{name: "repeats in later statements", n: 2 * insertChunk, same: []int{0, insertChunk + 1}, edited: []int{2, insertChunk + 3}, want: store.Counts{Inserted: 2 * insertChunk, Duplicates: 2, Edited: 2}, authors: 2 * insertChunk},
		{name: "repeats in the same statement", n: 3, same: []int{1}, edited: []int{2, 2}, want: store.Counts{Inserted: 3, Duplicates: 2, Edited: 1}, authors: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := Open(ctx, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var ps []post.Post
			for id := range tc.n {
				ps = append(ps, mk(id, "منشور رقم "+strconv.Itoa(id)))
			}
			for _, id := range tc.same {
				ps = append(ps, mk(id, "منشور رقم "+strconv.Itoa(id)))
			}
			for _, id := range tc.edited {
				ps = append(ps, mk(id, "تعديل "+strconv.Itoa(id)))
			}
			got, err := s.SavePosts(ctx, ps)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("counts = %+v, want %+v", got, tc.want)
			}
			st, err := s.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Posts != int64(tc.n) || st.Accounts != tc.authors {
				t.Errorf("stored %d posts by %d authors, want %d by %d", st.Posts, st.Accounts, tc.n, tc.authors)
			}
			for _, id := range tc.edited {
				key := mk(id, "")
				p, vs, err := s.Post(ctx, key.Key())
				if err != nil {
					t.Fatal(err)
				}
				if want := "تعديل " + strconv.Itoa(id); p.Text != want || len(vs) != 1 {
					t.Errorf("post %d: text %q with %d old versions, want %q with 1", id, p.Text, len(vs), want)
				}
				found, err := s.Posts(ctx, store.Query{Text: "تعديل " + strconv.Itoa(id)})
				if err != nil {
					t.Fatal(err)
				}
				if len(found) != 1 || found[0].ID != strconv.Itoa(id) {
					t.Errorf("search for the edited text of %d found %d posts", id, len(found))
				}
			}
		})
	}
}

// TestMigrateAuthorIndex upgrades a database written before authors moved
// into the full-text index: its posts must be found by author and by text.
func TestMigrateAuthorIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, FileName)+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:2] {
		if _, err := db.ExecContext(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	p := syntheticPost(7) // hand-made text
	doc, err := store.EncodeDoc(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"PRAGMA user_version = 2",
		`INSERT INTO posts(key, platform, post_id, channel_id, author_id, kind, posted_at, collected_at, content_hash, norm, doc)
			VALUES ('` + p.Key() + `', 'x', '` + p.ID + `', 'timeline', '` + p.Author.ID + `', 'message', 1, 1, 'h', '` + p.Norm + `', CAST('` + string(doc) + `' AS BLOB))`,
		`INSERT INTO posts_fts(rowid, norm) SELECT rowid, norm FROM posts`,
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
	for _, q := range []store.Query{{Author: p.Author.ID}, {Text: "خلية"}, {Author: p.Author.ID, Text: "المدينة"}} {
		got, err := s.Posts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != p.ID {
			t.Errorf("query %+v after migration: %d posts, want post %s", q, len(got), p.ID)
		}
	}
}

// BenchmarkAuthorQuery lists an author's newest posts in a store of 200,000
// posts by 5,000 authors: through the FTS5 author token the store uses, and,
// as the baseline, through the B-tree index on author it replaced (built in
// the same database for the benchmark only).
func BenchmarkAuthorQuery(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n, batch = 200_000, 500
	ps := make([]post.Post, batch)
	for i := 0; i < n; i += batch {
		for j := range ps {
			ps[j] = syntheticPost(i + j)
		}
		if _, err := s.SavePosts(ctx, ps); err != nil {
			b.Fatal(err)
		}
	}
	q := store.Query{Author: "4321", Limit: 50}
	b.Run("fts", func(b *testing.B) {
		for b.Loop() {
			if got, err := s.Posts(ctx, q); err != nil || len(got) != n/5000 {
				b.Fatalf("%d posts, err %v", len(got), err)
			}
		}
	})
	b.Run("btree", func(b *testing.B) {
		if _, err := s.db.ExecContext(ctx, `CREATE INDEX bench_author ON posts(author_id)`); err != nil {
			b.Fatal(err)
		}
		defer s.db.ExecContext(ctx, `DROP INDEX bench_author`)
		const query = `SELECT doc FROM posts WHERE author_id = ? ORDER BY posted_at DESC, rowid DESC LIMIT 50`
		for b.Loop() {
			rows, err := s.db.QueryContext(ctx, query, q.Author)
			if err != nil {
				b.Fatal(err)
			}
			got, err := store.ScanDocs(rows)
			rows.Close()
			if err != nil || len(got) != n/5000 {
				b.Fatalf("%d posts, err %v", len(got), err)
			}
		}
	})
}

// BenchmarkAddEvents measures the counter writes of flagged posts.
func BenchmarkAddEvents(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchAddEvents(b, s)
}

func TestReviews(t *testing.T) {
	storetest.RunReviews(t, func(t *testing.T) storetest.ReviewStore { return openTest(t) })
}

func TestAccounts(t *testing.T) {
	storetest.RunAccounts(t, func(t *testing.T) storetest.AccountStore { return openTest(t) })
}

func TestCollection(t *testing.T) {
	storetest.RunCollection(t, func(t *testing.T) storetest.CollectionStore { return openTest(t) })
}

// TestCaseQueriesUseIndexes checks that the set-based case queries look up
// the batch's keys and groups, rather than walk every open case and probe
// each: the plan SQLite picked without CROSS JOIN, which made each batch
// cost as much as the cases already open.
func TestCaseQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []string{inCasesSQL, openCasesOfGroupsSQL, countCasePostsSQL} {
		rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, `[]`)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			scan := strings.HasPrefix(step, "SCAN") && !strings.Contains(step, "VIRTUAL TABLE") && step != "SCAN j"
			if scan || strings.Contains(step, "cases_status") {
				t.Errorf("plan of %q walks cases or posts: %q", q, plan)
			}
		}
	}
}

func TestOCRTexts(t *testing.T) {
	storetest.RunOCR(t, func(t *testing.T) storetest.OCRStore { return openTest(t) })
}
