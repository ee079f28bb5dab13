// Package sqlite is the embedded store: one SQLite database file in the data
// directory (pure Go, modernc.org/sqlite), in WAL mode, with versioned
// migrations and FTS5 full-text search over the normalized post text.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlstore"
)

// FileName is the database file inside the data directory.
const FileName = "raqib.db"

// Store is the SQLite implementation of store.Store.
type Store struct {
	// Store holds the queries both SQL stores share.
	sqlstore.Store

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
	// Pages are SQLite's default 4 KiB. 16 KiB pages made the database a
	// fifth smaller but the recycled-text benchmark a quarter slower at a
	// million posts: every insert into a random-key index (counters, case
	// posts, the text log) rewrites a whole page. The writer connection
	// does not checkpoint (see checkpointer); the other connections
	// checkpoint only after 16384 pages, which the rare bank writes never
	// reach.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_pragma=cache_size(-16384)&_pragma=wal_autocheckpoint(16384)&_pragma=temp_store(MEMORY)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db, stmts: map[string]*sql.Stmt{}}
	s.Store = sqlstore.New(sqlDB{s}, dialect)
	if err := migrate(ctx, db, migrations); err != nil {
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
	// Post keys escape '%' and ':' in their parts (see post.KeyOf). Keys
	// that change are first moved to a value without ':', which no key
	// has, so that no row takes a key another still holds. Versions and
	// media refer to posts by rowid.
	`CREATE TEMP TABLE rekey AS SELECT r, old, new FROM (SELECT rowid AS r, key AS old,
		` + store.KeySQL("platform", "channel_id", "post_id") + ` AS new FROM posts) WHERE old != new;
	CREATE UNIQUE INDEX temp.rekey_r ON rekey(r);
	CREATE INDEX temp.rekey_old ON rekey(old);
	UPDATE posts SET key = 'rekey ' || rowid WHERE rowid IN (SELECT r FROM rekey);
	UPDATE posts SET key = (SELECT new FROM rekey WHERE r = posts.rowid) WHERE rowid IN (SELECT r FROM rekey);
	DROP INDEX cases_open_post;
	UPDATE cases SET post_key = (SELECT new FROM rekey WHERE old = cases.post_key) WHERE post_key IN (SELECT old FROM rekey);
	CREATE UNIQUE INDEX cases_open_post ON cases(post_key) WHERE status = 'open';
	DROP TABLE rekey;`,
	// The state workers share (see store.Counters, store.TextIndex,
	// store.CaseProposer). A case gathers posts; a post is in at most one
	// open case and a group has at most one. count_events is written for
	// every flagged post, so it has no rowid and one index besides its key.
	`ALTER TABLE cases ADD COLUMN grp TEXT NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN posts INTEGER NOT NULL DEFAULT 0;
	CREATE UNIQUE INDEX cases_open_group ON cases(grp) WHERE status = 'open' AND grp != '';
	CREATE TABLE case_posts (
		case_id  INTEGER NOT NULL REFERENCES cases(id),
		post_key TEXT NOT NULL,
		added_at INTEGER NOT NULL,
		PRIMARY KEY (case_id, post_key)
	) WITHOUT ROWID;
	CREATE INDEX case_posts_post ON case_posts(post_key);
	INSERT INTO case_posts(case_id, post_key, added_at) SELECT id, post_key, created_at FROM cases;
	UPDATE cases SET posts = 1;
	CREATE TABLE count_events (
		key TEXT NOT NULL,
		id  TEXT NOT NULL,
		at  INTEGER NOT NULL,
		PRIMARY KEY (key, id)
	) WITHOUT ROWID;
	CREATE INDEX count_events_at ON count_events(key, at);
	CREATE TABLE texts (
		seq   INTEGER PRIMARY KEY,
		key   TEXT NOT NULL UNIQUE,
		sig   BLOB NOT NULL,
		label TEXT NOT NULL
	);`,
	// Media hashes of every signal type, one row each, instead of a column
	// per algorithm; the index answers "which posts have this hash". A
	// rowid table, because vPDQ values run to kilobytes.
	`CREATE TABLE media_hashes (
		post_rowid INTEGER NOT NULL REFERENCES posts(rowid),
		idx        INTEGER NOT NULL,
		type       TEXT NOT NULL,
		value      TEXT NOT NULL,
		UNIQUE (post_rowid, idx, type)
	);
	INSERT INTO media_hashes(post_rowid, idx, type, value) SELECT post_rowid, idx, 'md5', md5 FROM media WHERE md5 != '';
	INSERT INTO media_hashes(post_rowid, idx, type, value) SELECT post_rowid, idx, 'sha256', sha256 FROM media WHERE sha256 != '';
	INSERT INTO media_hashes(post_rowid, idx, type, value) SELECT post_rowid, idx, 'pdq', pdq FROM media WHERE pdq != '';
	DROP TABLE media;
	CREATE INDEX media_hashes_value ON media_hashes(type, value);
	ALTER TABLE bank_entries RENAME COLUMN algo TO type;`,
	// The audit trail (see package audit). seq is assigned by Append, not
	// by SQLite, so that a deleted entry leaves a gap Verify finds. The
	// triggers keep raqib itself from changing an entry; whoever edits the
	// file directly is caught by the hash chain.
	`CREATE TABLE audit (
		seq         INTEGER PRIMARY KEY,
		at          INTEGER NOT NULL,
		actor       TEXT NOT NULL,
		source      TEXT NOT NULL,
		action      TEXT NOT NULL,
		subject     TEXT NOT NULL,
		before_json BLOB,
		after_json  BLOB,
		prev_hash   TEXT NOT NULL,
		hash        TEXT NOT NULL
	);
	CREATE INDEX audit_actor ON audit(actor, seq);
	CREATE INDEX audit_at ON audit(at);
	CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
	CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;`,
	// Review (see store.Reviews): the analysts' state of a case, and every
	// event of its history. queue and rank are computed, so that every
	// writer keeps them right, and the indexes list each queue in
	// priority order without sorting 50,000 open cases.
	`ALTER TABLE cases ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE cases ADD COLUMN approval TEXT NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN dismissal TEXT NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN merged_into INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE cases ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN decided_at INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE cases ADD COLUMN rules TEXT NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN detectors TEXT NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN queue TEXT GENERATED ALWAYS AS (CASE
		WHEN status = 'open' AND escalated THEN 'escalated'
		WHEN status = 'open' AND assignee = '' THEN 'unassigned'
		WHEN status = 'open' THEN 'assigned'
		WHEN status = 'confirmed' AND approval = 'pending' THEN 'approval'
		ELSE '' END) VIRTUAL;
	ALTER TABLE cases ADD COLUMN rank INTEGER GENERATED ALWAYS AS (CASE WHEN tier BETWEEN 1 AND 4 THEN tier ELSE 9 END) VIRTUAL;
	CREATE INDEX cases_queue ON cases(queue, rank, score DESC, posts DESC, created_at, id);
	CREATE INDEX cases_open_prio ON cases(rank, score DESC, posts DESC, created_at, id) WHERE status = 'open';
	CREATE INDEX cases_assignee ON cases(assignee, queue) WHERE assignee != '';
	CREATE INDEX cases_decided ON cases(decided_at) WHERE decided_at > 0;
	CREATE TABLE case_events (
		id          INTEGER PRIMARY KEY,
		case_id     INTEGER NOT NULL REFERENCES cases(id),
		at          INTEGER NOT NULL,
		actor       TEXT NOT NULL,
		action      TEXT NOT NULL,
		note        TEXT NOT NULL DEFAULT '',
		before_json BLOB,
		after_json  BLOB
	);
	CREATE INDEX case_events_case ON case_events(case_id, id);`,
	// URLs liveness re-checks (see store.Liveness). next_check is both
	// the schedule and the lease: a claim moves it past the lease's end
	// and bumps lease, which a late result must still match. Times are
	// Unix milliseconds; history is liveness.EncodeHistory's packing.
	`CREATE TABLE liveness (
		id           INTEGER PRIMARY KEY,
		url          TEXT NOT NULL UNIQUE,
		platform     TEXT NOT NULL,
		post_key     TEXT NOT NULL DEFAULT '',
		case_id      INTEGER NOT NULL DEFAULT 0,
		referral_id  INTEGER NOT NULL DEFAULT 0,
		channel      TEXT NOT NULL,
		label        TEXT NOT NULL DEFAULT '',
		tier         INTEGER NOT NULL DEFAULT 0,
		referred_at  INTEGER NOT NULL,
		state        TEXT NOT NULL,
		checks       INTEGER NOT NULL DEFAULT 0,
		streak       INTEGER NOT NULL DEFAULT 0,
		gone_since   INTEGER NOT NULL DEFAULT 0,
		removed_at   INTEGER NOT NULL DEFAULT 0,
		confirmed_at INTEGER NOT NULL DEFAULT 0,
		returned_at  INTEGER NOT NULL DEFAULT 0,
		last_check   INTEGER NOT NULL DEFAULT 0,
		next_check   INTEGER NOT NULL,
		lease        INTEGER NOT NULL DEFAULT 0,
		history      BLOB NOT NULL DEFAULT x''
	);
	CREATE INDEX liveness_due ON liveness(next_check);
	CREATE INDEX liveness_referred ON liveness(referred_at);`,
	// Users, sessions and API tokens (see store.Users). Sessions and
	// tokens are kept by the hash of their secret only.
	`CREATE TABLE users (
		name       TEXT PRIMARY KEY,
		role       TEXT NOT NULL,
		password   TEXT NOT NULL,
		disabled   INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		changed_at INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE sessions (
		id         TEXT PRIMARY KEY,
		user       TEXT NOT NULL REFERENCES users(name),
		ip         TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		seen_at    INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX sessions_user ON sessions(user);
	CREATE TABLE tokens (
		name       TEXT PRIMARY KEY,
		role       TEXT NOT NULL,
		hash       TEXT NOT NULL UNIQUE,
		created_at INTEGER NOT NULL,
		created_by TEXT NOT NULL,
		revoked_at INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID;`,
	// Referrals (see store.Referrals). A post is reported once per round
	// of its case; referral_targets keeps each target's pace.
	`CREATE TABLE referrals (
		id            INTEGER PRIMARY KEY,
		case_id       INTEGER NOT NULL REFERENCES cases(id),
		post_key      TEXT NOT NULL,
		url           TEXT NOT NULL,
		platform      TEXT NOT NULL,
		target        TEXT NOT NULL,
		kind          TEXT NOT NULL,
		label         TEXT NOT NULL,
		tier          INTEGER NOT NULL,
		entity        TEXT NOT NULL DEFAULT '',
		evidence_hash TEXT NOT NULL,
		round         INTEGER NOT NULL,
		escalation    INTEGER NOT NULL DEFAULT 0,
		status        TEXT NOT NULL,
		attempts      INTEGER NOT NULL DEFAULT 0,
		next_at       INTEGER NOT NULL DEFAULT 0,
		ticket        TEXT NOT NULL DEFAULT '',
		last_error    TEXT NOT NULL DEFAULT '',
		created_by    TEXT NOT NULL,
		approved_by   TEXT NOT NULL DEFAULT '',
		created_at    INTEGER NOT NULL,
		sent_at       INTEGER NOT NULL DEFAULT 0,
		followed_at   INTEGER NOT NULL DEFAULT 0,
		lease_owner   TEXT NOT NULL DEFAULT '',
		lease_until   INTEGER NOT NULL DEFAULT 0,
		UNIQUE (case_id, post_key, round)
	);
	CREATE INDEX referrals_due ON referrals(status, next_at);
	CREATE INDEX referrals_follow ON referrals(status, followed_at, sent_at);
	CREATE TABLE referral_targets (
		name    TEXT PRIMARY KEY,
		next_at INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE referral_replies (
		referral_id INTEGER NOT NULL REFERENCES referrals(id),
		at          INTEGER NOT NULL,
		by_user     TEXT NOT NULL,
		via         TEXT NOT NULL,
		ticket      TEXT NOT NULL DEFAULT '',
		text        TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX referral_replies_referral ON referral_replies(referral_id, at);`,
	// The account registry (see store.Accounts). Only accounts that are
	// not active are indexed by status: the ingest upsert moves last_seen
	// of every author, and an index on it would be rewritten per batch.
	// Earlier profiles are kept by a trigger, so that the ingest path
	// writes nothing more for an author whose names did not change.
	`ALTER TABLE accounts ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
	ALTER TABLE accounts ADD COLUMN status_at INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE accounts ADD COLUMN avatar TEXT NOT NULL DEFAULT '';
	CREATE INDEX accounts_status ON accounts(status, last_seen DESC) WHERE status != 'active';
	CREATE TABLE account_profiles (
		platform     TEXT NOT NULL,
		id           TEXT NOT NULL,
		handle       TEXT NOT NULL,
		display_name TEXT NOT NULL,
		description  TEXT NOT NULL,
		avatar       TEXT NOT NULL,
		until        INTEGER NOT NULL
	);
	CREATE INDEX account_profiles_account ON account_profiles(platform, id, until);
	CREATE TRIGGER accounts_profile_history AFTER UPDATE OF handle, display_name, description, avatar ON accounts
	WHEN old.handle != new.handle OR old.display_name != new.display_name OR old.description != new.description OR old.avatar != new.avatar
	BEGIN
		INSERT INTO account_profiles VALUES (old.platform, old.id, old.handle, old.display_name, old.description, old.avatar,
			MAX(new.last_seen, old.last_seen));
	END;
	CREATE TABLE account_status (
		seq      INTEGER PRIMARY KEY,
		platform TEXT NOT NULL,
		id       TEXT NOT NULL,
		status   TEXT NOT NULL,
		source   TEXT NOT NULL,
		evidence TEXT NOT NULL,
		actor    TEXT NOT NULL,
		at       INTEGER NOT NULL
	);
	CREATE INDEX account_status_account ON account_status(platform, id, seq);
	CREATE INDEX account_status_at ON account_status(at);
	CREATE TABLE account_links (
		platform TEXT NOT NULL,
		id       TEXT NOT NULL,
		link     TEXT NOT NULL,
		first_at INTEGER NOT NULL,
		PRIMARY KEY (platform, id, link)
	) WITHOUT ROWID;
	CREATE TABLE successors (
		id            INTEGER PRIMARY KEY,
		from_platform TEXT NOT NULL,
		from_id       TEXT NOT NULL,
		to_platform   TEXT NOT NULL,
		to_id         TEXT NOT NULL,
		score         REAL NOT NULL,
		evidence      TEXT NOT NULL,
		status        TEXT NOT NULL,
		created_at    INTEGER NOT NULL,
		decided_by    TEXT NOT NULL DEFAULT '',
		decided_at    INTEGER NOT NULL DEFAULT 0,
		UNIQUE (from_platform, from_id, to_platform, to_id)
	);
	CREATE INDEX successors_status ON successors(status, score DESC);
	CREATE INDEX successors_to ON successors(to_platform, to_id);`,
	// Live collection (see store.Collection): the watch settings, cursor
	// and health of a watched source beside its sources row, and the
	// sources discovery proposes with the flagged posts pointing to them.
	`CREATE TABLE watches (
		id            TEXT PRIMARY KEY REFERENCES sources(id),
		kind          TEXT NOT NULL,
		every_ms      INTEGER NOT NULL,
		token_env     TEXT NOT NULL DEFAULT '',
		selector      TEXT NOT NULL DEFAULT '',
		paused        INTEGER NOT NULL DEFAULT 0,
		added_by      TEXT NOT NULL DEFAULT '',
		added_at      INTEGER NOT NULL DEFAULT 0,
		cursor        TEXT NOT NULL DEFAULT '',
		last_poll     INTEGER NOT NULL DEFAULT 0,
		last_success  INTEGER NOT NULL DEFAULT 0,
		last_error    TEXT NOT NULL DEFAULT '',
		last_error_at INTEGER NOT NULL DEFAULT 0,
		failures      INTEGER NOT NULL DEFAULT 0,
		newest        INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID;
	CREATE TABLE proposals (
		id         TEXT PRIMARY KEY,
		kind       TEXT NOT NULL,
		location   TEXT NOT NULL,
		posts      INTEGER NOT NULL DEFAULT 0,
		first_seen INTEGER NOT NULL,
		last_seen  INTEGER NOT NULL,
		example    TEXT NOT NULL DEFAULT ''
	) WITHOUT ROWID;
	CREATE TABLE proposal_posts (
		id       TEXT NOT NULL,
		post_key TEXT NOT NULL,
		PRIMARY KEY (id, post_key)
	) WITHOUT ROWID;`,
	// The account whose page a liveness item watches (see liveness.Item).
	`ALTER TABLE liveness ADD COLUMN account TEXT NOT NULL DEFAULT '';`,
	// A case's evidence captures are found among a few actions' entries,
	// not by reading the whole trail.
	`CREATE INDEX audit_action ON audit(action, seq);`,
	// Readings of the text inside media files (see store.OCRTexts), by
	// the file's hash.
	`CREATE TABLE ocr_texts (
		key  TEXT PRIMARY KEY,
		data BLOB NOT NULL
	) WITHOUT ROWID;`,
}

// migrate applies the migrations of ms that db has not had yet.
func migrate(ctx context.Context, db *sql.DB, ms []string) error {
	var have int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(ms) {
		return fmt.Errorf("database schema version %d is newer than this raqib (%d): upgrade raqib", have, len(ms))
	}
	for v := have; v < len(ms); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, ms[v]); err != nil {
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
