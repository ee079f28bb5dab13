package app

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/enrich"
	"github.com/raqib-project/raqib/internal/hashbank/mih"
	"github.com/raqib-project/raqib/internal/post"
	storepkg "github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// Text mixes of `bench ingest --texts`.
const (
	textsVaried   = "varied"
	textsRecycled = "recycled"
)

// runBench runs a named benchmark: `raqib bench ingest N`.
func runBench(ctx context.Context, c *Config) error {
	if len(c.Args) == 0 {
		return fmt.Errorf("%w: bench needs a benchmark name: ingest, index, accounts", ErrUsage)
	}
	switch c.Args[0] {
	case "ingest":
		return benchIngest(ctx, c)
	case "index":
		n, err := benchN(c, 10_000_000)
		if err != nil {
			return err
		}
		return mih.BenchIndex(n, 1000, c.Stdout)
	case "accounts":
		return benchAccounts(ctx, c)
	}
	return fmt.Errorf("%w: unknown benchmark %q (known: ingest, index, accounts)", ErrUsage, c.Args[0])
}

// benchN reads the size argument of a benchmark.
func benchN(c *Config, def int) (int, error) {
	if len(c.Args) < 2 {
		return def, nil
	}
	v, err := strconv.Atoi(c.Args[1])
	if err != nil || v < 1 {
		return 0, fmt.Errorf("%w: bench %s N: N must be a positive number, got %q", ErrUsage, c.Args[0], c.Args[1])
	}
	return v, nil
}

// benchTexts are hand-made Arabic and English posts of typical tweet length;
// the generator varies them with the post number so that every post is new.
var benchTexts = []string{
	"عاجل | مصادر أمنية: اعتقال خلية في المدينة بعد هجوم أمس، والتحقيقات مستمرة #أخبار",
	"بسم الله الرحمن الرحيم، نسأل الله أن يحفظ بلادنا من كل سوء وأن يرحم الشهداء",
	"انتهت المباراة بفوز الفريق الأول بهدفين نظيفين وسط حضور جماهيري كبير",
	"Breaking: officials say the attack was claimed online; investigators are checking the claim",
	"تقرير: كيف تستخدم الجماعات المتطرفة تطبيقات المراسلة للتجنيد؟ قراءة في دراسة حديثة",
}

// recycledWords is the vocabulary of the recycled mix, the one of
// ../shared/bench/gen_recycled_tweets.py: news and slogan words from which
// every text is drawn, so that texts share most of their shingles, as the
// re-posts of a propaganda campaign do.
var recycledWords = strings.Fields("الدولة الإسلامية باقية وتتمدد أخبار عاجل بغداد الموصل هجوم اعتقال خلية الأمن الجيش الشرطة المدينة الله أكبر " +
	"الخلافة جنود مباراة الطقس السوق الخبز العيد مبروك داعش تنظيم إرهابي مصدر قال أعلن وزارة الداخلية")

// recycledAuthors is the number of accounts the recycled mix posts from.
const recycledAuthors = 50_000

// benchIngest writes N synthetic posts of the --texts mix as an X API v2
// JSONL file and imports them through the full path (parse, normalize,
// detect, publish, consume, store), then measures the store alone and a raw
// SQLite insert of the same posts in fresh databases as the baselines.
func benchIngest(ctx context.Context, c *Config) error {
	n, err := benchN(c, 100_000)
	if err != nil {
		return err
	}
	gen := benchPosts(c.Texts)
	if gen == nil {
		return fmt.Errorf("%w: --texts must be %s or %s, got %q", ErrUsage, textsVaried, textsRecycled, c.Texts)
	}
	dir, err := os.MkdirTemp("", "raqib-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	input := filepath.Join(dir, "tweets.jsonl")
	size, err := writeSyntheticTweets(input, n, gen)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "input: %d synthetic X API v2 tweets, %s texts, %.1f MB, %d CPUs\n", n, c.Texts, float64(size)/(1<<20), runtime.NumCPU())

	c.Data = filepath.Join(dir, "full")
	c.NATS = ""
	s, err := openSystem(ctx, c)
	if err != nil {
		return err
	}
	stop, err := startCPUProfile(c.CPUProfile)
	if err != nil {
		s.close()
		return err
	}
	rep, err := s.importFiles(ctx, []string{input}, nil)
	stop()
	s.close()
	if err != nil {
		return err
	}
	full := float64(rep.Posts) / rep.Duration.Seconds()
	fmt.Fprintf(c.Stdout, "full path (parse → normalize → detect → publish → consume → store): %d posts in %s = %.0f posts/s; peak RSS %s\n",
		rep.Inserted, rep.Duration.Round(time.Millisecond), full, peakRSS())
	dbSize, err := databaseBytes(c.Data)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "database: %.1f MB, %.0f bytes per post; %d cases opened\n",
		float64(dbSize)/(1<<20), float64(dbSize)/float64(max(rep.Inserted, 1)), rep.Cases)

	// Baselines, same posts, same batch size, one writer: the store alone,
	// and SQLite alone.
	storeRate, rawRate, err := benchStore(ctx, c, dir, input, n, gen)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "store alone (SavePosts of the same enriched, detected posts): %.0f posts/s\n", storeRate)
	fmt.Fprintf(c.Stdout, "raw SQLite insert (their key, text, JSON and raw into one unindexed table, a transaction per batch): %.0f posts/s\n", rawRate)
	fmt.Fprintf(c.Stdout, "ratio full path / store alone: %.2f; full path / raw SQLite insert: %.2f\n", full/storeRate, full/rawRate)
	return nil
}

// benchStore measures the SQLite store's SavePosts and a raw SQLite insert
// of the same posts in batches of c.Batch, timing only the database calls.
// The posts carry the source of input, as the import gave them.
func benchStore(ctx context.Context, c *Config, dir, input string, n int, gen func(int) post.Post) (storeRate, rawRate float64, err error) {
	st, err := sqlite.Open(ctx, filepath.Join(dir, "store"))
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	// The store's own pragmas, so that the two differ only in what they write.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "raw.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-16384)&_txlock=immediate")
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE posts(key TEXT NOT NULL, norm TEXT NOT NULL, doc BLOB NOT NULL, raw BLOB)`); err != nil {
		return 0, 0, fmt.Errorf("raw insert: %w", err)
	}
	det, err := newDetection(c, c.logger())
	if err != nil {
		return 0, 0, err
	}
	src := post.SourceID("xapi", input)
	batchSize := c.Batch
	batch := make([]post.Post, 0, batchSize)
	docs := make([][]byte, 0, batchSize)
	var inStore, inRaw time.Duration
	for i := range n {
		p := gen(i)
		p.Origin.Source = src
		enrich.Post(&p)
		det.analyze(&p)
		batch = append(batch, p)
		if len(batch) < batchSize && i < n-1 {
			continue
		}
		start := time.Now()
		if _, err := st.SavePosts(ctx, batch); err != nil {
			return 0, 0, err
		}
		inStore += time.Since(start)
		docs = docs[:0]
		for j := range batch {
			doc, err := storepkg.EncodeDoc(batch[j])
			if err != nil {
				return 0, 0, err
			}
			docs = append(docs, doc)
		}
		start = time.Now()
		if err := rawInsertBatch(ctx, db, batch, docs); err != nil {
			return 0, 0, fmt.Errorf("raw insert: %w", err)
		}
		inRaw += time.Since(start)
		batch = batch[:0]
	}
	return float64(n) / inStore.Seconds(), float64(n) / inRaw.Seconds(), nil
}

func rawInsertBatch(ctx context.Context, db *sql.DB, ps []post.Post, docs [][]byte) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO posts(key, norm, doc, raw) VALUES (?,?,?,?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range ps {
		if _, err := stmt.ExecContext(ctx, ps[i].Key(), ps[i].Norm, docs[i], ps[i].Raw); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// benchPosts returns the generator of post i of a text mix, nil for an
// unknown mix. Post i is the same in every run and whatever the order of
// the calls, so that the full path and the baselines see the same posts.
func benchPosts(texts string) func(i int) post.Post {
	switch texts {
	case textsVaried:
		return variedPost
	case textsRecycled:
		return recycledPost
	}
	return nil
}

// variedPost is one of benchTexts with the post's ID appended: every text
// is new, by 5,000 authors.
func variedPost(i int) post.Post {
	id := strconv.Itoa(1_000_000_000 + i)
	return benchPost(i, i%5000, benchTexts[i%len(benchTexts)]+" "+id)
}

// recycledPost draws 6-30 words from recycledWords, by one of
// recycledAuthors, with a random stream of its own seeded by i.
func recycledPost(i int) post.Post {
	r := rand.New(rand.NewPCG(3, uint64(i)))
	ws := make([]string, 6+r.IntN(25))
	for j := range ws {
		ws[j] = recycledWords[r.IntN(len(recycledWords))]
	}
	return benchPost(i, 1+r.IntN(recycledAuthors), strings.Join(ws, " "))
}

func benchPost(i, author int, text string) post.Post {
	id := strconv.Itoa(1_000_000_000 + i)
	a := strconv.Itoa(author)
	return post.Post{
		Platform: post.X, ID: id, Kind: post.Message,
		Channel:  post.Channel{Platform: post.X, ID: "timeline", Kind: "timeline"},
		Author:   post.Account{Platform: post.X, ID: a, Handle: "user" + a},
		Text:     text,
		Lang:     "ar",
		PostedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		Raw:      []byte(`{"id":"` + id + `"}`),
	}
}

// databaseBytes is the size of the SQLite database in dir, with its WAL.
func databaseBytes(dir string) (int64, error) {
	files, err := filepath.Glob(filepath.Join(dir, sqlite.FileName+"*"))
	if err != nil {
		return 0, err
	}
	var n int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return 0, fmt.Errorf("database size: %w", err)
		}
		n += st.Size()
	}
	return n, nil
}

// writeSyntheticTweets writes pages of 100 tweets, one API response per line,
// as twarc saves them.
func writeSyntheticTweets(path string, n int, gen func(int) post.Post) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for page := 0; page*100 < n; page++ {
		var data, users []string
		for i := page * 100; i < min(n, (page+1)*100); i++ {
			p := gen(i)
			data = append(data, fmt.Sprintf(`{"id":%q,"text":%q,"author_id":%q,"created_at":%q,"lang":"ar","edit_history_tweet_ids":[%q]}`,
				p.ID, p.Text, p.Author.ID, p.PostedAt.Format(time.RFC3339), p.ID))
			users = append(users, fmt.Sprintf(`{"id":%q,"username":%q,"name":"مستخدم"}`, p.Author.ID, p.Author.Handle))
		}
		fmt.Fprintf(w, `{"data":[%s],"includes":{"users":[%s]}}`+"\n", strings.Join(data, ","), strings.Join(users, ","))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	st, err := f.Stat()
	f.Close()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// startCPUProfile profiles the process into path until the returned stop
// is called; an empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// peakRSS reads the process's high-water resident set size (Linux).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
