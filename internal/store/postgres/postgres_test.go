package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/storetest"
)

// testURL returns the database of the PostgreSQL tests, or skips.
func testURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("RAQIB_TEST_PG")
	if url == "" {
		tb.Skip("RAQIB_TEST_PG is not set; skipping the PostgreSQL store tests")
	}
	if testing.Short() {
		tb.Skip("-short: skipping the PostgreSQL store tests")
	}
	return url
}

// newSchema names a fresh schema for one test and drops it when the test
// ends, after the stores opened on it are closed.
func newSchema(tb testing.TB, url string) string {
	tb.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	schema := "raqib_test_" + hex.EncodeToString(b[:])
	tb.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

func openSchema(tb testing.TB, url, schema string) *Store {
	tb.Helper()
	s, err := OpenConfig(context.Background(), Config{URL: url, Schema: schema})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func openTest(tb testing.TB) *Store {
	tb.Helper()
	url := testURL(tb)
	return openSchema(tb, url, newSchema(tb, url))
}

func TestStore(t *testing.T) {
	testURL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}

func sample(id, text string) post.Post {
	p := post.Post{
		Platform: post.Telegram,
		ID:       id,
		Kind:     post.Message,
		Channel:  post.Channel{Platform: post.Telegram, ID: "1001", Name: "قناة تجريبية"},
		Author:   post.Account{Platform: post.Telegram, ID: "user42", DisplayName: "أبو تجربة"},
		Text:     text,
		PostedAt: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC),
		Raw:      []byte(`{"id":"` + id + `"}`),
		Media:    []post.Media{{Kind: "photo", Path: "photos/" + id + ".jpg", Hashes: []post.Hash{{Type: "sha256", Value: "ab" + id}}}},
	}
	p.Norm = arabic.Normalize(p.Text)
	return p
}

func TestOpenConcurrentlyMigratesOnce(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := OpenConfig(context.Background(), Config{URL: url, Schema: schema})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
	s := openSchema(t, url, schema)
	var n, top int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &top); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) || top != len(migrations) {
		t.Errorf("schema_migrations has %d rows up to %d, want %d", n, top, len(migrations))
	}
}

func TestReopen(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	ctx := context.Background()
	s := openSchema(t, url, schema)
	p := sample("1", "نص")
	if _, err := s.SavePosts(ctx, []post.Post{p}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openSchema(t, url, schema)
	if _, _, err := s.Post(ctx, p.Key()); err != nil {
		t.Fatalf("post after reopening: %v", err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	if s, err := OpenConfig(ctx, Config{URL: url, Schema: schema}); err == nil {
		s.Close()
		t.Error("opened a schema newer than the code")
	}
}

func TestSaveBatches(t *testing.T) {
	edit := sample("1", "نص معدل")
	edit.Raw = []byte(`{"id":"1","edited":true}`)
	dirty := sample("2", "نص")
	dirty.Author.Description = "bad \x00 byte \xff"
	dirty.Channel.Name = "\xfe"
	empty := sample("4", "")
	empty.Media = nil
	noID := sample("3", "نص")
	noID.Channel.ID = "bad\x00id"
	for _, tc := range []struct {
		name     string
		batch    []post.Post
		want     store.Counts
		versions int
		wantDesc string // the author's description in the accounts table
		wantErr  bool
	}{
		{"post and its edit", []post.Post{sample("1", "نص"), edit}, store.Counts{Inserted: 1, Edited: 1}, 1, "", false},
		{"same post twice", []post.Post{sample("1", "نص"), sample("1", "نص")}, store.Counts{Inserted: 1, Duplicates: 1}, 0, "", false},
		{"NUL and invalid UTF-8 in descriptive fields", []post.Post{dirty}, store.Counts{Inserted: 1}, 0, "bad  byte \uFFFD", false},
		{"post without text", []post.Post{empty}, store.Counts{Inserted: 1}, 0, "", false},
		{"NUL in an identifier", []post.Post{sample("1", "نص"), noID}, store.Counts{}, 0, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			ctx := context.Background()
			c, err := s.SavePosts(ctx, tc.batch)
			if tc.wantErr {
				if err == nil {
					t.Fatal("saved a batch with a bad post")
				}
				if st, err := s.Stats(ctx); err != nil || st.Posts != 0 {
					t.Errorf("after a failed batch: %d posts (err %v), want 0", st.Posts, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c != tc.want {
				t.Errorf("counts = %+v, want %+v", c, tc.want)
			}
			last := tc.batch[len(tc.batch)-1]
			got, vs, err := s.Post(ctx, last.Key())
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != last.Text || string(got.Raw) != string(last.Raw) {
				t.Errorf("stored %q raw %s, want the last of the batch", got.Text, got.Raw)
			}
			var desc string
			if err := s.pool.QueryRow(ctx, `SELECT description FROM accounts`).Scan(&desc); err != nil || desc != tc.wantDesc {
				t.Errorf("account description %q (err %v), want %q", desc, err, tc.wantDesc)
			}
			if len(vs) != tc.versions {
				t.Errorf("%d versions, want %d", len(vs), tc.versions)
			}
		})
	}
}

func TestQueryFilters(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a := sample("1", "خبر أول")
	a.PostedAt = a.PostedAt.Add(time.Hour)
	b := sample("2", "خبر ثان")
	b.Author.ID = "other"
	c := sample("3", "خبر ثالث")
	c.Channel.ID = "2002"
	c.PostedAt = time.Time{}
	if _, err := s.SavePosts(ctx, []post.Post{a, b, c}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		q    store.Query
		want string
	}{
		{"newest first, undated last", store.Query{}, "1 2 3"},
		{"author", store.Query{Author: "other"}, "2"},
		{"channel", store.Query{Channel: "2002"}, "3"},
		{"text and channel", store.Query{Text: "خبر", Channel: "1001"}, "1 2"},
		{"every word must occur", store.Query{Text: "خبر ثالث"}, "3"},
		{"limit", store.Query{Limit: 1}, "1"},
		{"offset", store.Query{Limit: 1, Offset: 1}, "2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := s.Posts(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			if got := strings.Join(ids, " "); got != tc.want {
				t.Errorf("posts = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestConcurrentWorkers plays two raqib workers, each with its own pool,
// saving overlapping batches at the same time, one in reverse order.
func TestConcurrentWorkers(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	workers := []*Store{openSchema(t, url, schema), openSchema(t, url, schema)}
	const total, overlap, batch = 300, 100, 25
	mk := func(i int) post.Post {
		p := sample(fmt.Sprint(i), fmt.Sprintf("منشور رقم %d", i))
		p.Author.ID = fmt.Sprint("author", i%7)
		p.Decision = post.Decision{Label: post.Propaganda, Violating: true}
		return p
	}
	// Every third post is proposed for review after its batch is saved,
	// as the worker does; the overlap is proposed by both workers.
	// Worker 0 saves posts [0, 200), worker 1 [100, 300) from the end.
	per := (total + overlap) / 2
	var (
		wg     sync.WaitGroup
		counts = make([]store.Counts, len(workers))
		errs   = make([]error, len(workers))
	)
	for w, s := range workers {
		wg.Go(func() {
			for n := 0; n < per; n += batch {
				var (
					ps        []post.Post
					proposals []post.CaseProposal
				)
				for j := n; j < n+batch; j++ {
					i := j
					if w == 1 {
						i = total - 1 - j
					}
					ps = append(ps, mk(i))
					if i%3 == 0 {
						proposals = append(proposals, post.CaseProposal{PostKey: ps[len(ps)-1].Key(), Label: post.Propaganda})
					}
				}
				c, err := s.SavePosts(context.Background(), ps)
				if err == nil {
					c.Cases, err = s.ProposeCases(context.Background(), proposals)
				}
				if err != nil {
					errs[w] = err
					return
				}
				counts[w].Add(c)
			}
		})
	}
	wg.Wait()
	var sum store.Counts
	for w := range workers {
		if errs[w] != nil {
			t.Fatalf("worker %d: %v", w, errs[w])
		}
		sum.Add(counts[w])
	}
	if sum.Inserted != total || sum.Duplicates != overlap || sum.Edited != 0 || sum.Cases != total/3 {
		t.Errorf("counts = %+v, want %d inserted, %d duplicates, %d cases", sum, total, overlap, total/3)
	}
	st, err := workers[0].Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Posts != total || st.OpenCases != total/3 || st.Accounts != 7 {
		t.Errorf("stats = %+v, want %d posts, %d open cases, 7 accounts", st, total, total/3)
	}
}

func TestLexemes(t *testing.T) {
	long := strings.Repeat("ب", maxLexeme/2+1)
	many := make([]string, maxIndexBytes/8+10)
	for i := range many {
		many[i] = fmt.Sprintf("w%06d", i)
	}
	for _, tc := range []struct {
		name, norm string
		want       int
	}{
		{"empty", "", 0},
		{"distinct words", "الله اكبر الله", 2},
		{"word too long for a lexeme", "كلمه " + long, 1},
		{"bounded size", strings.Join(many, " "), maxIndexBytes / (len(many[0]) + lexemeOverhead)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := lexemes(tc.norm)
			if got == nil || len(got) != tc.want {
				t.Errorf("lexemes: %d words (nil %v), want %d", len(got), got == nil, tc.want)
			}
		})
	}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("save posts: %w", &pgconn.PgError{Code: "40P01"}), true},
		{&pgconn.PgError{Code: "40001"}, true},
		{&pgconn.PgError{Code: "23505"}, false},
		{context.Canceled, false},
		{nil, false},
	} {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestTSQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"اللَّهِ", "'الله'"},
		{"الدولة الإسلامية", "'الدوله' & 'الاسلاميه'"},
		{`"OR" *`, "'or'"},
		{"a'b\\c", "'a' & 'b' & 'c'"},
		{"!!! ...", ""},
		{"#داعش_الآن", "'داعش' & 'الان'"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := tsQuery(tc.in); got != tc.want {
				t.Errorf("tsQuery(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzTSQuery checks that no input can smuggle tsquery syntax past the
// quoting: every term is one quoted run of letters and numbers.
func FuzzTSQuery(f *testing.F) {
	for _, s := range []string{"اللَّهِ", `"OR" *`, "a' | !b:*", "\\'", "\xff\x00x", "#وسم_عربي <-> x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		q := tsQuery(in)
		if q == "" {
			return
		}
		for _, term := range strings.Split(q, " & ") {
			w, ok := strings.CutPrefix(term, "'")
			if w, ok = strings.CutSuffix(w, "'"); !ok || w == "" || len(w) > maxLexeme {
				t.Fatalf("tsQuery(%q): bad term %q", in, term)
			}
			if ws := words(w); len(ws) != 1 || ws[0] != w {
				t.Fatalf("tsQuery(%q): term %q is not one word", in, term)
			}
		}
	})
}

// BenchmarkSavePosts saves 100k fresh posts per iteration in batches of 1000.
func BenchmarkSavePosts(b *testing.B) {
	s := openTest(b)
	const n, batch = 100_000, 1000
	ctx := context.Background()
	b.ReportAllocs()
	start := time.Now()
	for it := 0; b.Loop(); it++ {
		for i := 0; i < n; i += batch {
			ps := make([]post.Post, batch)
			for j := range ps {
				ps[j] = sample(fmt.Sprintf("%d-%d", it, i+j), fmt.Sprintf("بسم اللَّهِ الرَّحْمَٰنِ الرَّحِيمِ منشور %d", i+j))
			}
			if _, err := s.SavePosts(ctx, ps); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "posts/s")
}

func TestBanks(t *testing.T) {
	testURL(t)
	storetest.RunBanks(t, func(t *testing.T) storetest.BankStore { return openTest(t) })
}

// BenchmarkAddEvents measures the counter writes of flagged posts.
func BenchmarkAddEvents(b *testing.B) {
	storetest.BenchAddEvents(b, openTest(b))
}

func TestReviews(t *testing.T) {
	testURL(t)
	storetest.RunReviews(t, func(t *testing.T) storetest.ReviewStore { return openTest(t) })
}

func TestAccounts(t *testing.T) {
	testURL(t)
	storetest.RunAccounts(t, func(t *testing.T) storetest.AccountStore { return openTest(t) })
}

func TestCollection(t *testing.T) {
	testURL(t)
	storetest.RunCollection(t, func(t *testing.T) storetest.CollectionStore { return openTest(t) })
}

func TestOCRTexts(t *testing.T) {
	testURL(t)
	storetest.RunOCR(t, func(t *testing.T) storetest.OCRStore { return openTest(t) })
}
