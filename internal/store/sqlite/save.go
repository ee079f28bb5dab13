package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// SavePosts implements store.Store.
func (s *Store) SavePosts(ctx context.Context, ps []post.Post) (store.Counts, error) {
	var c store.Counts
	if len(ps) == 0 {
		return c, nil
	}
	// Encode outside the lock: JSON and hashing are CPU work that other
	// workers can do while one of them writes.
	now := time.Now().UnixMilli()
	rows := make([]row, len(ps))
	for i := range ps {
		r := &rows[i]
		r.p = ps[i] // the caller's posts stay as they were
		if r.p.ID == "" || r.p.Platform == "" {
			return c, fmt.Errorf("save post %d (%q): %w: no platform or id", i, r.p.Key(), store.ErrBadPost)
		}
		if r.p.CollectedAt.IsZero() {
			r.p.CollectedAt = time.UnixMilli(now).UTC()
		}
		r.key, r.hash = r.p.Key(), r.p.ContentHash()
		var err error
		if r.doc, err = store.EncodeDoc(r.p); err != nil {
			return c, fmt.Errorf("encode post %s: %w", r.key, err)
		}
	}
	err := s.write(ctx, func() error { return s.writePosts(ctx, rows, now, &c) })
	if err != nil {
		return store.Counts{}, err
	}
	return c, nil
}

// write runs fn in one transaction on the writer connection and lets the
// checkpointer know of the commit. database/sql's Tx would pin a pool
// connection per batch and prepare every statement again; on the held
// connection BEGIN and COMMIT are plain statements.
func (s *Store) write(ctx context.Context, fn func() error) (err error) {
	if s.inBatch(ctx) {
		return fn()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			// A cancelled ctx must not keep the transaction open.
			s.w.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if err := fn(); err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.ckpt.committed()
	return nil
}

// writePosts writes a batch inside write.
func (s *Store) writePosts(ctx context.Context, rows []row, now int64, c *store.Counts) error {
	w := &writer{s: s, accounts: map[string]*accountSeen{}, channels: map[string]channelSeen{}, sources: map[string]int64{}}
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), insertChunk)]
		rows = rows[len(chunk):]
		if err := w.insert(ctx, chunk); err != nil {
			return err
		}
		for i := range chunk {
			if err := w.save(ctx, &chunk[i], now, c); err != nil {
				return fmt.Errorf("save post %s: %w", chunk[i].key, err)
			}
		}
	}
	if err := w.index(ctx); err != nil {
		return err
	}
	return w.flushAccountsChannels(ctx)
}

// stmt returns the writer connection's prepared statement for query,
// compiling it the first time. The caller holds s.mu.
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.w.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	s.stmts[query] = st
	return st, nil
}

// exec runs query on the writer connection with a cached statement. The
// caller holds s.mu.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// batchKey marks the context of a Batch with its store.
type batchKey struct{}

// Batch implements store.Batcher: the writes fn makes with the context it
// is given join one transaction. A batch's posts, cases, counter events,
// representatives and links were up to five commits; now a failure leaves
// none of them, and a commit's fixed cost is paid once. (The pages each
// write dirties still dominate a commit on random keys.)
func (s *Store) Batch(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.inBatch(ctx) {
		return fn(ctx)
	}
	return s.write(ctx, func() error { return fn(context.WithValue(ctx, batchKey{}, s)) })
}

// inBatch reports whether ctx is inside a Batch of s, whose transaction
// is open on the writer connection, s.mu held.
func (s *Store) inBatch(ctx context.Context) bool { return ctx.Value(batchKey{}) == s }

// reader is where a read of ctx runs: inside a Batch the writer
// connection, whose open transaction holds the batch's writes, which a
// pool connection would not see; elsewhere the pool.
func (s *Store) reader(ctx context.Context) interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
} {
	if s.inBatch(ctx) {
		return s.w
	}
	return s.db
}

// onWriter runs query on the writer connection, under s.mu, and hands its
// rows to scan. The worker's reads between batches (counters, authors'
// last sight, new representatives) go here: they touch the pages the last
// batches wrote, which the writer's cache holds, whereas a pool
// connection discards its whole cache whenever the WAL changed, so on
// 50,000 random authors each batch read its pages from the file again
// (LastSeen alone was 7% of a recycled-text import's CPU, most of it pread
// and cache truncation).
func (s *Store) onWriter(ctx context.Context, query string, args []any, scan func(*sql.Rows) error) error {
	if !s.inBatch(ctx) {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return scan(rows)
}

// exec is the writer connection's exec.
func (w *writer) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return w.s.exec(ctx, query, args...)
}

// writer is one write transaction: what it has seen of the batch so far.
type writer struct {
	s *Store
	// indexed collects the rowids whose text goes into the full-text index
	// at the end of the batch: one FTS5 statement per batch instead of one
	// per post, because FTS5 flushes its pending terms at every statement.
	indexed  []int64
	accounts map[string]*accountSeen
	channels map[string]channelSeen
	// sources counts the posts first stored from each source.
	sources map[string]int64
}

// The statements of a write; multi-row inserts are built by multiRow.
const (
	selectPostSQL     = `SELECT rowid, content_hash, version, norm, who, doc, raw FROM posts WHERE key = ?`
	updatePostSQL     = `UPDATE posts SET kind=?, posted_at=?, collected_at=?, content_hash=?, version=?, norm=?, label=?, tier=?, entity=?, score=?, violating=?, doc=?, raw=? WHERE rowid=?`
	updateDecisionSQL = `UPDATE posts SET label=?, tier=?, entity=?, score=?, violating=?, doc=? WHERE rowid=?`
	insertVersionSQL  = `INSERT OR IGNORE INTO post_versions(post_rowid, version, content_hash, doc, raw) VALUES (?,?,?,?,?)`
	insertFTSSQL      = `INSERT INTO posts_fts(rowid, norm, who) SELECT rowid, norm, who FROM posts WHERE rowid IN (SELECT value FROM json_each(?))`
	deleteFTSSQL      = `INSERT INTO posts_fts(posts_fts, rowid, norm, who) VALUES ('delete', ?, ?, ?)`
	upsertChannelSQL  = `INSERT INTO channels(platform, id, name, kind, url) VALUES (?,?,?,?,?)
			ON CONFLICT(platform, id) DO UPDATE SET
				name = CASE WHEN excluded.name != '' THEN excluded.name ELSE name END,
				kind = CASE WHEN excluded.kind != '' THEN excluded.kind ELSE kind END,
				url = CASE WHEN excluded.url != '' THEN excluded.url ELSE url END`
	// A batch can be stored before its import run records the source.
	countSourcePostsSQL = `INSERT INTO sources(id, posts) VALUES (?, ?)
			ON CONFLICT(id) DO UPDATE SET posts = posts + excluded.posts`
	saveSourceSQL = `INSERT INTO sources(id, format, platform, location, first_collected, last_collected, imports, records_read, records_rejected)
			VALUES (?,?,?,?,?,?,1,?,?)
			ON CONFLICT(id) DO UPDATE SET
				format = excluded.format,
				platform = CASE WHEN excluded.platform != '' THEN excluded.platform ELSE platform END,
				location = excluded.location,
				first_collected = CASE WHEN first_collected = 0 THEN excluded.first_collected ELSE MIN(first_collected, excluded.first_collected) END,
				last_collected = MAX(last_collected, excluded.last_collected),
				imports = imports + 1,
				records_read = records_read + excluded.records_read,
				records_rejected = records_rejected + excluded.records_rejected`
)

var (
	insertPosts = &multiRow{
		head: `INSERT INTO posts(key, platform, post_id, channel_id, author_id, kind, posted_at, collected_at, content_hash, norm, label, tier, entity, score, violating, doc, raw, source) VALUES `,
		cols: 18,
		tail: ` ON CONFLICT(key) DO NOTHING RETURNING rowid, key`,
	}
	upsertAccounts = &multiRow{
		head: `INSERT INTO accounts(platform, id, handle, display_name, created_at, description, followers, verified, withheld, first_seen, last_seen) VALUES `,
		cols: 11,
		tail: ` ON CONFLICT(platform, id) DO UPDATE SET
				handle = CASE WHEN excluded.handle != '' THEN excluded.handle ELSE handle END,
				display_name = CASE WHEN excluded.display_name != '' THEN excluded.display_name ELSE display_name END,
				created_at = MAX(created_at, excluded.created_at),
				description = CASE WHEN excluded.description != '' THEN excluded.description ELSE description END,
				followers = MAX(followers, excluded.followers),
				verified = MAX(verified, excluded.verified),
				withheld = CASE WHEN excluded.withheld != '' THEN excluded.withheld ELSE withheld END,
				first_seen = MIN(first_seen, excluded.first_seen),
				last_seen = MAX(last_seen, excluded.last_seen)`,
	}
)

func (w *writer) index(ctx context.Context) error {
	if len(w.indexed) == 0 {
		return nil
	}
	ids, err := json.Marshal(w.indexed)
	if err != nil {
		return err
	}
	if _, err := w.exec(ctx, insertFTSSQL, string(ids)); err != nil {
		return fmt.Errorf("index text: %w", err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// row is a post ready to be written: its key, stored JSON and content hash
// are computed before the write lock is taken.
type row struct {
	p     post.Post
	key   string
	doc   []byte
	hash  string
	rowid int64 // set when the post was new and inserted
}

// insertChunk is how many rows one multi-row statement writes. One
// statement per post spent as much time in database/sql and the driver
// (binding, stepping, resetting) as in SQLite itself; 64 rows of 17 columns
// stay far below SQLite's limit on bound parameters.
const insertChunk = 64

// multiRow is an INSERT of up to insertChunk rows in one statement.
type multiRow struct {
	head, tail string
	cols       int

	once  sync.Once
	texts [insertChunk + 1]string // texts[n] is the statement for n rows
}

// sql is the statement for n rows, 1 <= n <= insertChunk.
func (m *multiRow) sql(n int) string {
	m.once.Do(func() {
		tuple := "(?" + strings.Repeat(",?", m.cols-1) + ")"
		for rows := 1; rows <= insertChunk; rows++ {
			m.texts[rows] = m.head + tuple + strings.Repeat(","+tuple, rows-1) + m.tail
		}
	})
	return m.texts[n]
}

// insert writes the posts of rows whose key is not stored yet and sets
// their rowid; the others are left for save to treat as duplicates or
// edits.
func (w *writer) insert(ctx context.Context, rows []row) error {
	args := make([]any, 0, len(rows)*insertPosts.cols)
	for i := range rows {
		r := &rows[i]
		p, d := &r.p, r.p.Decision
		args = append(args, r.key, string(p.Platform), p.ID, p.Channel.ID, p.Author.ID, string(p.Kind),
			unixMilli(p.PostedAt), unixMilli(p.CollectedAt), r.hash, p.Norm,
			string(d.Label), int(d.Tier), d.Entity, d.Score, boolInt(d.Violating), r.doc, p.Raw, p.Origin.Source)
	}
	st, err := w.s.stmt(ctx, insertPosts.sql(len(rows)))
	if err != nil {
		return fmt.Errorf("insert posts: %w", err)
	}
	res, err := st.QueryContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("insert posts: %w", err)
	}
	defer res.Close()
	// SQLite returns the inserted rows in statement order, so the search
	// for each key starts after the previous match.
	next := 0
	for res.Next() {
		var (
			rowid int64
			key   string
		)
		if err := res.Scan(&rowid, &key); err != nil {
			return fmt.Errorf("insert posts: %w", err)
		}
		// A key twice in one statement is inserted from its first row; the
		// later rows are edits or duplicates of it.
		for j := range rows {
			i := (next + j) % len(rows)
			if rows[i].key == key && rows[i].rowid == 0 {
				rows[i].rowid = rowid
				next = i + 1
				break
			}
		}
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("insert posts: %w", err)
	}
	return nil
}

func (w *writer) save(ctx context.Context, r *row, now int64, c *store.Counts) error {
	p, doc, hash, key := &r.p, r.doc, r.hash, r.key
	if r.rowid != 0 {
		c.Inserted++
		w.indexed = append(w.indexed, r.rowid)
		if src := p.Origin.Source; src != "" {
			w.sources[src]++
		}
		if err := w.saveMedia(ctx, r.rowid, p); err != nil {
			return err
		}
	} else if err := w.update(ctx, p, key, hash, doc, c); err != nil {
		return err
	}
	w.noteAccountChannel(p, now)
	return nil
}

// update handles a post whose key is already stored: the same content only
// refreshes the detection results; other content is an edit.
func (w *writer) update(ctx context.Context, p *post.Post, key, hash string, doc []byte, c *store.Counts) error {
	var (
		rowid                    int64
		oldHash, oldNorm, oldWho string
		version                  int
		oldDoc, oldRaw           []byte
	)
	sel, err := w.s.stmt(ctx, selectPostSQL)
	if err != nil {
		return err
	}
	if err := sel.QueryRowContext(ctx, key).Scan(&rowid, &oldHash, &version, &oldNorm, &oldWho, &oldDoc, &oldRaw); err != nil {
		return fmt.Errorf("read stored: %w", err)
	}
	d := p.Decision
	if oldHash == hash {
		c.Duplicates++
		_, err := w.exec(ctx, updateDecisionSQL, string(d.Label), int(d.Tier), d.Entity, d.Score, boolInt(d.Violating), doc, rowid)
		return err
	}
	c.Edited++
	if _, err := w.exec(ctx, insertVersionSQL, rowid, version, oldHash, oldDoc, oldRaw); err != nil {
		return fmt.Errorf("keep version: %w", err)
	}
	// A post first stored in this very batch is not in the index yet: it
	// is indexed once, with its final text, at the end of the batch.
	pending := slices.Contains(w.indexed, rowid)
	if !pending {
		if _, err := w.exec(ctx, deleteFTSSQL, rowid, oldNorm, oldWho); err != nil {
			return fmt.Errorf("unindex text: %w", err)
		}
	}
	if _, err := w.exec(ctx, updatePostSQL, string(p.Kind), unixMilli(p.PostedAt), unixMilli(p.CollectedAt), hash, version+1, p.Norm,
		string(d.Label), int(d.Tier), d.Entity, d.Score, boolInt(d.Violating), doc, p.Raw, rowid); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if !pending {
		w.indexed = append(w.indexed, rowid)
	}
	if _, err := w.exec(ctx, deleteMediaSQL, rowid); err != nil {
		return fmt.Errorf("replace media: %w", err)
	}
	return w.saveMedia(ctx, rowid, p)
}

// noteAccountChannel records a post's author and room; flush writes each
// once per batch, with the earliest and latest time the batch saw the
// account (a chat export is thousands of posts by a handful of people in
// one room, and one upsert per post would dominate the batch).
func (w *writer) noteAccountChannel(p *post.Post, now int64) {
	if a := p.Author; a.ID != "" {
		seen := unixMilli(p.PostedAt)
		if seen == 0 {
			seen = now
		}
		k := string(p.Platform) + "\x00" + a.ID
		if ag, ok := w.accounts[k]; ok {
			ag.first, ag.last = min(ag.first, seen), max(ag.last, seen)
		} else {
			w.accounts[k] = &accountSeen{platform: p.Platform, a: a, first: seen, last: seen}
		}
	}
	if ch := p.Channel; ch.ID != "" {
		w.channels[string(p.Platform)+"\x00"+ch.ID] = channelSeen{platform: p.Platform, ch: ch}
	}
}

type accountSeen struct {
	platform    post.Platform
	a           post.Account
	first, last int64
}

type channelSeen struct {
	platform post.Platform
	ch       post.Channel
}

func (w *writer) flushAccountsChannels(ctx context.Context) error {
	args := make([]any, 0, min(len(w.accounts), insertChunk)*upsertAccounts.cols)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		if _, err := w.exec(ctx, upsertAccounts.sql(len(args)/upsertAccounts.cols), args...); err != nil {
			return fmt.Errorf("save accounts: %w", err)
		}
		args = args[:0]
		return nil
	}
	for _, ag := range w.accounts {
		a := ag.a
		args = append(args, string(ag.platform), a.ID, a.Handle, a.DisplayName, unixMilli(a.CreatedAt),
			a.Description, a.Followers, boolInt(a.Verified), strings.Join(a.Withheld, ","), ag.first, ag.last)
		if len(args) == cap(args) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	for _, cs := range w.channels {
		ch := cs.ch
		if _, err := w.exec(ctx, upsertChannelSQL, string(cs.platform), ch.ID, ch.Name, ch.Kind, ch.URL); err != nil {
			return fmt.Errorf("save channel %s: %w", ch.ID, err)
		}
	}
	for id, n := range w.sources {
		if _, err := w.exec(ctx, countSourcePostsSQL, id, n); err != nil {
			return fmt.Errorf("count posts of source %s: %w", id, err)
		}
	}
	return nil
}
