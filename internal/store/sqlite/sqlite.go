// Package sqlite is the embedded store: one SQLite database file in the data
// directory (pure Go, modernc.org/sqlite), in WAL mode, with versioned
// migrations and FTS5 full-text search over the normalized post text.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// FileName is the database file inside the data directory.
const FileName = "raqib.db"

// Store is the SQLite implementation of store.Store.
type Store struct {
	db *sql.DB
	// mu serializes writers: SQLite allows one writer at a time, and waiting
	// on a Go mutex is cheaper and fairer than retrying on SQLITE_BUSY.
	mu sync.Mutex
	// w is the connection SavePosts writes on, held for the life of the
	// store so that its statements are compiled once, not per batch
	// (compiling them took 4% of a million-post SavePosts profile). stmts
	// holds them by SQL text; both are guarded by mu.
	w     *sql.Conn
	stmts map[string]*sql.Stmt
	ckpt  *checkpointer

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database in dir and applies pending
// migrations.
func Open(ctx context.Context, dir string) (*Store, error) {
	return open(ctx, dir, checkpointEvery)
}

// open is Open with the checkpoint interval; 0 leaves checkpoints to the
// caller and Close.
func open(ctx context.Context, dir string, every time.Duration) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// 16 KiB pages (set before the first table exists) make the B-trees of
	// a million-post store shallower: about a quarter faster inserts than
	// the default 4 KiB in `raqib bench ingest`. The writer connection does
	// not checkpoint (see checkpointer); the other connections checkpoint
	// only after 16384 pages, which the rare bank writes never reach.
	dsn := "file:" + path + "?_pragma=page_size(16384)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_pragma=cache_size(-16384)&_pragma=wal_autocheckpoint(16384)&_pragma=temp_store(MEMORY)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db, stmts: map[string]*sql.Stmt{}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if s.w, err = db.Conn(ctx); err == nil {
		_, err = s.w.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0")
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open writer on %s: %w", path, err)
	}
	s.ckpt = startCheckpointer(db, &s.mu, every)
	return s, nil
}

// Close stops the checkpointer, then closes the database; a last
// checkpoint folds the WAL back into the database file. Later calls do
// nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.ckpt.stop()
		s.mu.Lock()
		for _, st := range s.stmts {
			st.Close()
		}
		s.stmts = nil
		err := s.w.Close()
		s.mu.Unlock()
		s.closeErr = errors.Join(err, s.db.Close())
	})
	return s.closeErr
}

// migrations are applied in order; PRAGMA user_version records how many ran.
// Never edit a released migration: append a new one.
var migrations = []string{
	`CREATE TABLE channels (
		platform TEXT NOT NULL,
		id       TEXT NOT NULL,
		name     TEXT NOT NULL DEFAULT '',
		kind     TEXT NOT NULL DEFAULT '',
		url      TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (platform, id)
	) WITHOUT ROWID;
	CREATE TABLE accounts (
		platform     TEXT NOT NULL,
		id           TEXT NOT NULL,
		handle       TEXT NOT NULL DEFAULT '',
		display_name TEXT NOT NULL DEFAULT '',
		created_at   INTEGER NOT NULL DEFAULT 0,
		description  TEXT NOT NULL DEFAULT '',
		followers    INTEGER NOT NULL DEFAULT 0,
		verified     INTEGER NOT NULL DEFAULT 0,
		withheld     TEXT NOT NULL DEFAULT '',
		first_seen   INTEGER NOT NULL,
		last_seen    INTEGER NOT NULL,
		PRIMARY KEY (platform, id)
	) WITHOUT ROWID;
	CREATE TABLE posts (
		rowid        INTEGER PRIMARY KEY,
		key          TEXT NOT NULL UNIQUE,
		platform     TEXT NOT NULL,
		post_id      TEXT NOT NULL,
		channel_id   TEXT NOT NULL,
		author_id    TEXT NOT NULL,
		kind         TEXT NOT NULL,
		posted_at    INTEGER NOT NULL,
		collected_at INTEGER NOT NULL,
		content_hash TEXT NOT NULL,
		version      INTEGER NOT NULL DEFAULT 1,
		norm         TEXT NOT NULL,
		label        TEXT NOT NULL DEFAULT '',
		tier         INTEGER NOT NULL DEFAULT 0,
		entity       TEXT NOT NULL DEFAULT '',
		score        REAL NOT NULL DEFAULT 0,
		violating    INTEGER NOT NULL DEFAULT 0,
		doc          BLOB NOT NULL,
		raw          BLOB
	);
	CREATE INDEX posts_posted ON posts(posted_at DESC);
	CREATE INDEX posts_violating ON posts(violating, posted_at DESC);
	CREATE INDEX posts_label ON posts(label, posted_at DESC);
	CREATE INDEX posts_author ON posts(platform, author_id);
	CREATE INDEX posts_channel ON posts(platform, channel_id);
	CREATE TABLE post_versions (
		post_rowid   INTEGER NOT NULL REFERENCES posts(rowid),
		version      INTEGER NOT NULL,
		content_hash TEXT NOT NULL,
		doc          BLOB NOT NULL,
		raw          BLOB,
		PRIMARY KEY (post_rowid, version)
	);
	CREATE TABLE media (
		post_rowid INTEGER NOT NULL REFERENCES posts(rowid),
		idx        INTEGER NOT NULL,
		kind       TEXT NOT NULL,
		md5        TEXT NOT NULL DEFAULT '',
		sha256     TEXT NOT NULL DEFAULT '',
		pdq        TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (post_rowid, idx)
	);
	CREATE INDEX media_sha256 ON media(sha256) WHERE sha256 != '';
	CREATE INDEX media_md5 ON media(md5) WHERE md5 != '';
	CREATE TABLE cases (
		id         INTEGER PRIMARY KEY,
		post_key   TEXT NOT NULL,
		label      TEXT NOT NULL,
		tier       INTEGER NOT NULL,
		entity     TEXT NOT NULL DEFAULT '',
		score      REAL NOT NULL,
		status     TEXT NOT NULL,
		reason     TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX cases_status ON cases(status, id DESC);
	CREATE UNIQUE INDEX cases_open_post ON cases(post_key) WHERE status = 'open';
	CREATE VIRTUAL TABLE posts_fts USING fts5(norm, content='posts', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');`,
	`CREATE TABLE banks (
		name       TEXT PRIMARY KEY,
		kind       TEXT NOT NULL,
		enabled    INTEGER NOT NULL,
		distance   INTEGER NOT NULL,
		source     TEXT NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL
	);
	CREATE TABLE bank_entries (
		id        INTEGER PRIMARY KEY,
		bank      TEXT NOT NULL REFERENCES banks(name),
		algo      TEXT NOT NULL,
		hash      TEXT NOT NULL,
		labels    TEXT NOT NULL DEFAULT '[]',
		entity    TEXT NOT NULL DEFAULT '',
		source    TEXT NOT NULL DEFAULT '',
		shared_by TEXT NOT NULL DEFAULT '',
		shared_at INTEGER NOT NULL DEFAULT 0,
		case_ref  TEXT NOT NULL DEFAULT '',
		enabled   INTEGER NOT NULL,
		added_at  INTEGER NOT NULL,
		UNIQUE (bank, algo, hash)
	);
	CREATE INDEX media_pdq ON media(pdq) WHERE pdq != '';`,
	// Posts by author are found through the full-text index, not a B-tree
	// index: posts arrive in time order but their authors in no order, so
	// the B-tree rewrote a random leaf page for nearly every post, and at a
	// million posts those pages were most of what a commit wrote. FTS5
	// buffers the postings of a transaction and merges its segments later,
	// like an LSM tree. The author token is the hex of the id, so any id
	// (a WhatsApp display name, say) is one token; it is computed, not
	// stored.
	`ALTER TABLE posts ADD COLUMN who TEXT GENERATED ALWAYS AS (CASE WHEN author_id = '' THEN '' ELSE 'a' || hex(author_id) END) VIRTUAL;
	DROP INDEX posts_author;
	DROP TABLE posts_fts;
	CREATE VIRTUAL TABLE posts_fts USING fts5(norm, who, content='posts', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');
	INSERT INTO posts_fts(posts_fts) VALUES ('rebuild');`,
	// Sources: the exports and feeds posts come from. A source's posts
	// arrive together, so posts_source grows in few places, unlike an
	// author index.
	`CREATE TABLE sources (
		id               TEXT PRIMARY KEY,
		format           TEXT NOT NULL DEFAULT '',
		platform         TEXT NOT NULL DEFAULT '',
		location         TEXT NOT NULL DEFAULT '',
		first_collected  INTEGER NOT NULL DEFAULT 0,
		last_collected   INTEGER NOT NULL DEFAULT 0,
		imports          INTEGER NOT NULL DEFAULT 0,
		records_read     INTEGER NOT NULL DEFAULT 0,
		records_rejected INTEGER NOT NULL DEFAULT 0,
		posts            INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID;
	ALTER TABLE posts ADD COLUMN source TEXT NOT NULL DEFAULT '';
	CREATE INDEX posts_source ON posts(source, posted_at DESC);`,
}

func (s *Store) migrate(ctx context.Context) error {
	var have int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this raqib (%d): upgrade raqib", have, len(migrations))
	}
	for v := have; v < len(migrations); v++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
	}
	return nil
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

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
			return c, fmt.Errorf("save post %s: %w", r.p.Key(), errNoID)
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
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.write(ctx, rows, now)
	if err != nil {
		return store.Counts{}, err
	}
	s.ckpt.committed()
	return c, nil
}

// write runs one transaction on the writer connection. database/sql's Tx
// would pin a pool connection per batch and prepare every statement again;
// on the held connection BEGIN and COMMIT are plain statements.
func (s *Store) write(ctx context.Context, rows []row, now int64) (c store.Counts, err error) {
	if _, err := s.w.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return c, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			// A cancelled ctx must not keep the transaction open.
			s.w.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	w := &writer{s: s, accounts: map[string]*accountSeen{}, channels: map[string]channelSeen{}, sources: map[string]int64{}}
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), insertChunk)]
		rows = rows[len(chunk):]
		if err := w.insert(ctx, chunk); err != nil {
			return c, err
		}
		for i := range chunk {
			if err := w.save(ctx, &chunk[i], now, &c); err != nil {
				return c, fmt.Errorf("save post %s: %w", chunk[i].key, err)
			}
		}
	}
	if err := w.index(ctx); err != nil {
		return c, err
	}
	if err := w.flushAccountsChannels(ctx); err != nil {
		return c, err
	}
	if _, err := s.w.ExecContext(ctx, "COMMIT"); err != nil {
		return c, fmt.Errorf("commit: %w", err)
	}
	return c, nil
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

// exec runs query on the writer connection with a cached statement.
func (w *writer) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := w.s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
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
	insertMediaSQL    = `INSERT OR REPLACE INTO media(post_rowid, idx, kind, md5, sha256, pdq) VALUES (?,?,?,?,?,?)`
	deleteMediaSQL    = `DELETE FROM media WHERE post_rowid = ?`
	upsertChannelSQL  = `INSERT INTO channels(platform, id, name, kind, url) VALUES (?,?,?,?,?)
			ON CONFLICT(platform, id) DO UPDATE SET
				name = CASE WHEN excluded.name != '' THEN excluded.name ELSE name END,
				kind = CASE WHEN excluded.kind != '' THEN excluded.kind ELSE kind END,
				url = CASE WHEN excluded.url != '' THEN excluded.url ELSE url END`
	insertCaseSQL = `INSERT INTO cases(post_key, label, tier, entity, score, status, reason, created_at, updated_at)
			VALUES (?,?,?,?,?,'open',?,?,?) ON CONFLICT DO NOTHING`
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

// errNoID rejects a post that cannot be keyed.
var errNoID = errors.New("post has no platform or id")

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
	d := p.Decision
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
	if d.ProposeCase && d.Violating {
		res, err := w.exec(ctx, insertCaseSQL, key, string(d.Label), int(d.Tier), d.Entity, d.Score,
			strings.Join(d.Reasons, "; "), now, now)
		if err != nil {
			return fmt.Errorf("open case: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			c.Cases++
		}
	}
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

// Post implements store.Store.
func (s *Store) Post(ctx context.Context, key string) (post.Post, []store.Version, error) {
	var (
		rowid    int64
		doc, raw []byte
	)
	err := s.db.QueryRowContext(ctx, `SELECT rowid, doc, raw FROM posts WHERE key = ?`, key).Scan(&rowid, &doc, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return post.Post{}, nil, fmt.Errorf("post %q: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return post.Post{}, nil, fmt.Errorf("read post %q: %w", key, err)
	}
	p, err := store.DecodeDoc(doc, raw)
	if err != nil {
		return p, nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version, doc, raw FROM post_versions WHERE post_rowid = ? ORDER BY version`, rowid)
	if err != nil {
		return p, nil, fmt.Errorf("read versions of %q: %w", key, err)
	}
	defer rows.Close()
	vs, err := store.ScanVersions(rows)
	if err != nil {
		return p, nil, fmt.Errorf("post %q: %w", key, err)
	}
	return p, vs, nil
}

// ftsQuery turns what a user typed and the author filter into an FTS5
// query: every word must occur in the text, each quoted so that FTS5
// operators in the input are taken literally. It is empty when there is
// nothing to match, ok false when the text has no word to search for.
func ftsQuery(text, author string) (q string, ok bool) {
	var parts []string
	if text != "" {
		// Split where FTS5's unicode61 tokenizer splits, so every word we
		// quote is exactly one indexed token.
		words := strings.FieldsFunc(arabic.Normalize(text), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsNumber(r)
		})
		if len(words) == 0 {
			return "", false
		}
		for i, w := range words {
			words[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
		}
		parts = append(parts, "norm : ("+strings.Join(words, " ")+")")
	}
	if author != "" {
		parts = append(parts, `who : "a`+hex.EncodeToString([]byte(author))+`"`)
	}
	return strings.Join(parts, " AND "), true
}

// Posts implements store.Store.
func (s *Store) Posts(ctx context.Context, q store.Query) ([]post.Post, error) {
	var (
		where []string
		args  []any
	)
	from := "posts p"
	fq, ok := ftsQuery(q.Text, q.Author)
	if !ok {
		return nil, nil
	}
	if fq != "" {
		from = "posts_fts f JOIN posts p ON p.rowid = f.rowid"
		where = append(where, "posts_fts MATCH ?")
		args = append(args, fq)
	}
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if q.Platform != "" {
		add("p.platform = ?", string(q.Platform))
	}
	if q.Label != "" {
		add("p.label = ?", string(q.Label))
	}
	if q.Tier != 0 {
		add("p.tier = ?", int(q.Tier))
	}
	if q.Entity != "" {
		add("p.entity = ?", q.Entity)
	}
	if q.Violating {
		where = append(where, "p.violating = 1")
	}
	if q.Author != "" {
		// The token is the author's; this also makes the match exact.
		add("p.author_id = ?", q.Author)
	}
	if q.Channel != "" {
		add("p.channel_id = ?", q.Channel)
	}
	if q.Source != "" {
		add("p.source = ?", q.Source)
	}
	limit, offset := q.Page()
	query := "SELECT p.doc FROM " + from
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY p.posted_at DESC, p.rowid DESC LIMIT ? OFFSET ?"
	args = append(args, limit, offset)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	defer rows.Close()
	return store.ScanDocs(rows)
}

// Cases implements store.Store.
func (s *Store) Cases(ctx context.Context, status post.CaseStatus, limit int) ([]post.Case, error) {
	limit = store.ListLimit(limit)
	query := `SELECT id, post_key, label, tier, entity, score, status, reason, created_at, updated_at FROM cases`
	var args []any
	if status != "" {
		query += " WHERE status = ?"
		args = append(args, string(status))
	}
	query += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	var cs []post.Case
	for rows.Next() {
		var (
			c            post.Case
			label, st    string
			tier         int
			created, upd int64
		)
		if err := rows.Scan(&c.ID, &c.PostKey, &label, &tier, &c.Entity, &c.Score, &st, &c.Reason, &created, &upd); err != nil {
			return nil, fmt.Errorf("list cases: %w", err)
		}
		c.Label, c.Tier, c.Status = post.Label(label), post.Tier(tier), post.CaseStatus(st)
		c.CreatedAt, c.UpdatedAt = fromMilli(created), fromMilli(upd)
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

// SaveSource implements store.Store.
func (s *Store) SaveSource(ctx context.Context, src post.Source) error {
	if src.ID == "" {
		return fmt.Errorf("save source %q: %w: no id", src.Location, store.ErrBadSource)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.stmt(ctx, saveSourceSQL)
	if err == nil {
		_, err = st.ExecContext(ctx, src.ID, src.Format, string(src.Platform), src.Location,
			unixMilli(src.FirstCollected), unixMilli(src.LastCollected), src.Read, src.Rejected)
	}
	if err != nil {
		return fmt.Errorf("save source %s: %w", src.Location, err)
	}
	s.ckpt.committed()
	return nil
}

// Sources implements store.Store.
func (s *Store) Sources(ctx context.Context, limit int) ([]post.Source, error) {
	limit = store.ListLimit(limit)
	rows, err := s.db.QueryContext(ctx, `SELECT id, format, platform, location, first_collected, last_collected,
		imports, records_read, records_rejected, posts FROM sources ORDER BY last_collected DESC, id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	defer rows.Close()
	var out []post.Source
	for rows.Next() {
		var (
			src         post.Source
			platform    string
			first, last int64
		)
		if err := rows.Scan(&src.ID, &src.Format, &platform, &src.Location, &first, &last,
			&src.Imports, &src.Read, &src.Rejected, &src.Posts); err != nil {
			return nil, fmt.Errorf("list sources: %w", err)
		}
		src.Platform, src.FirstCollected, src.LastCollected = post.Platform(platform), fromMilli(first), fromMilli(last)
		out = append(out, src)
	}
	return out, rows.Err()
}

// Stats implements store.Store.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	st := store.Stats{ByPlatform: map[string]int64{}, ByLabel: map[string]int64{}}
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM posts),
		(SELECT COUNT(*) FROM posts WHERE violating = 1),
		(SELECT COUNT(*) FROM cases WHERE status = 'open'),
		(SELECT COUNT(*) FROM accounts)`).Scan(&st.Posts, &st.Violating, &st.OpenCases, &st.Accounts)
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	for _, g := range []struct {
		col string
		dst map[string]int64
	}{{"platform", st.ByPlatform}, {"label", st.ByLabel}} {
		rows, err := s.db.QueryContext(ctx, "SELECT "+g.col+", COUNT(*) FROM posts GROUP BY "+g.col)
		if err != nil {
			return st, fmt.Errorf("stats by %s: %w", g.col, err)
		}
		for rows.Next() {
			var k string
			var n int64
			if err := rows.Scan(&k, &n); err != nil {
				rows.Close()
				return st, fmt.Errorf("stats by %s: %w", g.col, err)
			}
			g.dst[k] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return st, fmt.Errorf("stats by %s: %w", g.col, err)
		}
	}
	return st, nil
}
