// Package postgres is the scale-out store: store.Store on PostgreSQL through
// pgx, for several raqib workers writing to one database at once. It keeps
// the semantics of the embedded store/sqlite (idempotent saves, kept edit
// versions, one open case per post, search over the normalized text) and is
// checked by the same conformance suite, store/storetest.
//
// SavePosts stages each batch in temporary tables that live as long as a
// connection, so connect directly or through a proxy in session pooling mode,
// not transaction pooling.
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlstore"
)

// ErrNoURL is returned by OpenConfig when the configuration has no database URL.
var ErrNoURL = errors.New("no database url")

// Config says which database and schema a Store uses.
type Config struct {
	// URL is a PostgreSQL connection string, as a URL or key=value pairs.
	URL string
	// Schema, when set, is created if missing and becomes the search_path of
	// every connection, so that several raqib instances (or test runs) can
	// share one database without seeing each other's tables. Empty keeps the
	// server's search_path.
	Schema string
	// MaxConns caps the pool; zero keeps pgxpool's default.
	MaxConns int32
}

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	// Store holds the queries both SQL stores share.
	sqlstore.Store

	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url and applies pending migrations.
func Open(ctx context.Context, url string) (*Store, error) {
	return OpenConfig(ctx, Config{URL: url})
}

// OpenConfig connects as cfg says and applies pending migrations.
func OpenConfig(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.URL == "" {
		return nil, ErrNoURL
	}
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if cfg.Schema != "" {
		pc.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{cfg.Schema}.Sanitize()
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	pc.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		if _, err := conn.Exec(ctx, tempTables); err != nil {
			return fmt.Errorf("create temporary tables: %w", err)
		}
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	s := &Store{Store: sqlstore.New(pgDB{pool}, dialect), pool: pool}
	if err := s.migrate(ctx, cfg.Schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return s, nil
}

// Close closes every connection of the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// migrations are applied in order; schema_migrations records which ran.
// Never edit a released migration: append a new one.
//
// Times are timestamptz, NULL for a zero time.go value. posts.fts holds the
// words of the normalized text as lexemes, tokenized in Go (see words), not
// by to_tsvector: PostgreSQL's parser depends on the cluster's locale (under
// LC_CTYPE=C every non-ASCII rune, Arabic punctuation included, counts as a
// letter), and search must split text exactly as the embedded store does.
var migrations = []string{
	`CREATE TABLE channels (
		platform text NOT NULL,
		id       text NOT NULL,
		name     text NOT NULL DEFAULT '',
		kind     text NOT NULL DEFAULT '',
		url      text NOT NULL DEFAULT '',
		PRIMARY KEY (platform, id)
	);
	CREATE TABLE accounts (
		platform     text NOT NULL,
		id           text NOT NULL,
		handle       text NOT NULL DEFAULT '',
		display_name text NOT NULL DEFAULT '',
		created_at   timestamptz,
		description  text NOT NULL DEFAULT '',
		followers    bigint NOT NULL DEFAULT 0,
		verified     boolean NOT NULL DEFAULT false,
		withheld     text NOT NULL DEFAULT '',
		first_seen   timestamptz NOT NULL,
		last_seen    timestamptz NOT NULL,
		PRIMARY KEY (platform, id)
	);
	CREATE TABLE posts (
		id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		key          text NOT NULL UNIQUE,
		platform     text NOT NULL,
		post_id      text NOT NULL,
		channel_id   text NOT NULL,
		author_id    text NOT NULL,
		kind         text NOT NULL,
		posted_at    timestamptz,
		collected_at timestamptz NOT NULL,
		content_hash text NOT NULL,
		version      integer NOT NULL DEFAULT 1,
		norm         text NOT NULL,
		fts          tsvector NOT NULL,
		label        text NOT NULL DEFAULT '',
		tier         integer NOT NULL DEFAULT 0,
		entity       text NOT NULL DEFAULT '',
		score        double precision NOT NULL DEFAULT 0,
		violating    boolean NOT NULL DEFAULT false,
		doc          bytea NOT NULL,
		raw          bytea
	);
	CREATE INDEX posts_posted ON posts (posted_at DESC NULLS LAST, id DESC);
	CREATE INDEX posts_violating ON posts (posted_at DESC NULLS LAST, id DESC) WHERE violating;
	CREATE INDEX posts_label ON posts (label, posted_at DESC NULLS LAST);
	CREATE INDEX posts_author ON posts (platform, author_id);
	CREATE INDEX posts_channel ON posts (platform, channel_id);
	CREATE INDEX posts_fts ON posts USING gin (fts);
	CREATE TABLE post_versions (
		post_id      bigint NOT NULL REFERENCES posts (id),
		version      integer NOT NULL,
		content_hash text NOT NULL,
		doc          bytea NOT NULL,
		raw          bytea,
		PRIMARY KEY (post_id, version)
	);
	CREATE TABLE media (
		post_id bigint NOT NULL REFERENCES posts (id),
		idx     integer NOT NULL,
		kind    text NOT NULL,
		md5     text NOT NULL DEFAULT '',
		sha256  text NOT NULL DEFAULT '',
		pdq     text NOT NULL DEFAULT '',
		PRIMARY KEY (post_id, idx)
	);
	CREATE INDEX media_sha256 ON media (sha256) WHERE sha256 <> '';
	CREATE INDEX media_md5 ON media (md5) WHERE md5 <> '';
	CREATE TABLE cases (
		id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		post_key   text NOT NULL,
		label      text NOT NULL,
		tier       integer NOT NULL,
		entity     text NOT NULL DEFAULT '',
		score      double precision NOT NULL,
		status     text NOT NULL,
		reason     text NOT NULL,
		created_at timestamptz NOT NULL,
		updated_at timestamptz NOT NULL
	);
	CREATE INDEX cases_status ON cases (status, id DESC);
	CREATE UNIQUE INDEX cases_open_post ON cases (post_key) WHERE status = 'open';`,
	// Hash banks. bank_version is the one row BankStamp reads: statement
	// triggers bump it in the transaction that changed banks or entries, so
	// the stamp cannot run ahead of what a reader sees, and a statement that
	// changed no row (re-adding known hashes) leaves it alone. Its epoch is
	// new with every schema, so a recreated schema never repeats a stamp.
	// The trigger function keeps the search_path it was created under, to
	// find bank_version whatever the search_path of the session that writes.
	`CREATE TABLE banks (
		name       text PRIMARY KEY,
		kind       text NOT NULL,
		enabled    boolean NOT NULL,
		distance   integer NOT NULL,
		source     text NOT NULL DEFAULT '',
		created_at timestamptz NOT NULL
	);
	CREATE TABLE bank_entries (
		id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		bank      text NOT NULL REFERENCES banks (name),
		algo      text NOT NULL,
		hash      text NOT NULL,
		labels    text[] NOT NULL DEFAULT '{}',
		entity    text NOT NULL DEFAULT '',
		source    text NOT NULL DEFAULT '',
		shared_by text NOT NULL DEFAULT '',
		shared_at timestamptz,
		case_ref  text NOT NULL DEFAULT '',
		enabled   boolean NOT NULL,
		added_at  timestamptz NOT NULL,
		UNIQUE (bank, algo, hash)
	);
	CREATE TABLE bank_version (
		one   boolean PRIMARY KEY DEFAULT true CHECK (one),
		epoch uuid NOT NULL DEFAULT gen_random_uuid(),
		n     bigint NOT NULL DEFAULT 0
	);
	INSERT INTO bank_version DEFAULT VALUES;
	CREATE FUNCTION bank_version_bump() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
	BEGIN
		IF EXISTS (SELECT 1 FROM changed) THEN
			UPDATE bank_version SET n = n + 1;
		END IF;
		RETURN NULL;
	END $$;
	CREATE TRIGGER banks_inserted AFTER INSERT ON banks REFERENCING NEW TABLE AS changed
		FOR EACH STATEMENT EXECUTE FUNCTION bank_version_bump();
	CREATE TRIGGER banks_updated AFTER UPDATE ON banks REFERENCING NEW TABLE AS changed
		FOR EACH STATEMENT EXECUTE FUNCTION bank_version_bump();
	CREATE TRIGGER banks_deleted AFTER DELETE ON banks REFERENCING OLD TABLE AS changed
		FOR EACH STATEMENT EXECUTE FUNCTION bank_version_bump();
	CREATE TRIGGER bank_entries_inserted AFTER INSERT ON bank_entries REFERENCING NEW TABLE AS changed
		FOR EACH STATEMENT EXECUTE FUNCTION bank_version_bump();
	CREATE TRIGGER bank_entries_updated AFTER UPDATE ON bank_entries REFERENCING NEW TABLE AS changed
		FOR EACH STATEMENT EXECUTE FUNCTION bank_version_bump();
	CREATE TRIGGER bank_entries_deleted AFTER DELETE ON bank_entries REFERENCING OLD TABLE AS changed
		FOR EACH STATEMENT EXECUTE FUNCTION bank_version_bump();`,
	// Sources: the exports and feeds posts come from.
	`CREATE TABLE sources (
		id               text PRIMARY KEY,
		format           text NOT NULL DEFAULT '',
		platform         text NOT NULL DEFAULT '',
		location         text NOT NULL DEFAULT '',
		first_collected  timestamptz,
		last_collected   timestamptz,
		imports          integer NOT NULL DEFAULT 0,
		records_read     bigint NOT NULL DEFAULT 0,
		records_rejected bigint NOT NULL DEFAULT 0,
		posts            bigint NOT NULL DEFAULT 0
	);
	ALTER TABLE posts ADD COLUMN source text NOT NULL DEFAULT '';
	CREATE INDEX posts_source ON posts (source, posted_at DESC NULLS LAST, id DESC);`,
	// Post keys escape '%' and ':' in their parts (see post.KeyOf), as in
	// the embedded store's migration 5. Versions and media refer to posts
	// by id.
	`CREATE TEMP TABLE rekey ON COMMIT DROP AS SELECT id, old, new FROM (SELECT id, key AS old,
		` + store.KeySQL("platform", "channel_id", "post_id") + ` AS new FROM posts) k WHERE old <> new;
	UPDATE posts p SET key = 'rekey ' || p.id FROM rekey k WHERE p.id = k.id;
	UPDATE posts p SET key = k.new FROM rekey k WHERE p.id = k.id;
	DROP INDEX cases_open_post;
	UPDATE cases c SET post_key = k.new FROM rekey k WHERE c.post_key = k.old;
	CREATE UNIQUE INDEX cases_open_post ON cases (post_key) WHERE status = 'open';`,
	// The state workers share, as in the embedded store's migration 6.
	`ALTER TABLE cases ADD COLUMN grp text NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN posts integer NOT NULL DEFAULT 0;
	CREATE UNIQUE INDEX cases_open_group ON cases (grp) WHERE status = 'open' AND grp <> '';
	CREATE TABLE case_posts (
		case_id  bigint NOT NULL REFERENCES cases (id),
		post_key text NOT NULL,
		added_at timestamptz NOT NULL,
		PRIMARY KEY (case_id, post_key)
	);
	CREATE INDEX case_posts_post ON case_posts (post_key);
	INSERT INTO case_posts (case_id, post_key, added_at) SELECT id, post_key, created_at FROM cases;
	UPDATE cases SET posts = 1;
	CREATE TABLE count_events (
		key text NOT NULL,
		id  text NOT NULL,
		at  timestamptz NOT NULL,
		PRIMARY KEY (key, id)
	);
	CREATE INDEX count_events_at ON count_events (key, at);
	CREATE TABLE texts (
		seq   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		key   text NOT NULL UNIQUE,
		sig   bytea NOT NULL,
		label text NOT NULL
	);`,
	// Media hashes of every signal type, one row each, instead of a column
	// per algorithm. vPDQ values run to kilobytes, beyond what a B-tree
	// entry holds, so values are indexed, and bank entries kept unique, by
	// their MD5.
	`CREATE TABLE media_hashes (
		post_id bigint NOT NULL REFERENCES posts (id),
		idx     integer NOT NULL,
		type    text NOT NULL,
		value   text NOT NULL,
		PRIMARY KEY (post_id, idx, type)
	);
	INSERT INTO media_hashes (post_id, idx, type, value)
		SELECT post_id, idx, 'md5', md5 FROM media WHERE md5 <> ''
		UNION ALL SELECT post_id, idx, 'sha256', sha256 FROM media WHERE sha256 <> ''
		UNION ALL SELECT post_id, idx, 'pdq', pdq FROM media WHERE pdq <> '';
	DROP TABLE media;
	CREATE INDEX media_hashes_value ON media_hashes (type, md5(value));
	ALTER TABLE bank_entries RENAME COLUMN algo TO type;
	ALTER TABLE bank_entries DROP CONSTRAINT bank_entries_bank_algo_hash_key;
	CREATE UNIQUE INDEX bank_entries_value ON bank_entries (bank, type, md5(hash));`,
	// The audit trail, as in the embedded store. Before and
	// after are bytea, not jsonb, which would not keep the bytes the hash
	// covers.
	`CREATE TABLE audit (
		seq         bigint PRIMARY KEY,
		at          timestamptz NOT NULL,
		actor       text NOT NULL,
		source      text NOT NULL,
		action      text NOT NULL,
		subject     text NOT NULL,
		before_json bytea,
		after_json  bytea,
		prev_hash   text NOT NULL,
		hash        text NOT NULL
	);
	CREATE INDEX audit_actor ON audit (actor, seq);
	CREATE INDEX audit_at ON audit (at);
	CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		RAISE EXCEPTION 'the audit log is append-only';
	END $$;
	CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
		FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();`,
	// Review, as in the embedded store's migration 9.
	`ALTER TABLE cases ADD COLUMN assignee text NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN escalated boolean NOT NULL DEFAULT false;
	ALTER TABLE cases ADD COLUMN approval text NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN dismissal text NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN merged_into bigint NOT NULL DEFAULT 0;
	ALTER TABLE cases ADD COLUMN decided_by text NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN decided_at timestamptz;
	ALTER TABLE cases ADD COLUMN rules text NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN detectors text NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN queue text GENERATED ALWAYS AS (CASE
		WHEN status = 'open' AND escalated THEN 'escalated'
		WHEN status = 'open' AND assignee = '' THEN 'unassigned'
		WHEN status = 'open' THEN 'assigned'
		WHEN status = 'confirmed' AND approval = 'pending' THEN 'approval'
		ELSE '' END) STORED;
	ALTER TABLE cases ADD COLUMN rank integer GENERATED ALWAYS AS (CASE WHEN tier BETWEEN 1 AND 4 THEN tier ELSE 9 END) STORED;
	CREATE INDEX cases_queue ON cases (queue, rank, score DESC, posts DESC, created_at, id);
	CREATE INDEX cases_open_prio ON cases (rank, score DESC, posts DESC, created_at, id) WHERE status = 'open';
	CREATE INDEX cases_assignee ON cases (assignee, queue) WHERE assignee <> '';
	CREATE INDEX cases_decided ON cases (decided_at) WHERE decided_at IS NOT NULL;
	CREATE TABLE case_events (
		id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		case_id     bigint NOT NULL REFERENCES cases (id),
		at          timestamptz NOT NULL,
		actor       text NOT NULL,
		action      text NOT NULL,
		note        text NOT NULL DEFAULT '',
		before_json bytea,
		after_json  bytea
	);
	CREATE INDEX case_events_case ON case_events (case_id, id);`,
	// URLs liveness re-checks, as in the embedded store: times are Unix
	// milliseconds here too, so that both stores share the lease
	// arithmetic and the scanning code.
	`CREATE TABLE liveness (
		id           bigserial PRIMARY KEY,
		url          text NOT NULL UNIQUE,
		platform     text NOT NULL,
		post_key     text NOT NULL DEFAULT '',
		case_id      bigint NOT NULL DEFAULT 0,
		referral_id  bigint NOT NULL DEFAULT 0,
		channel      text NOT NULL,
		label        text NOT NULL DEFAULT '',
		tier         integer NOT NULL DEFAULT 0,
		referred_at  bigint NOT NULL,
		state        text NOT NULL,
		checks       integer NOT NULL DEFAULT 0,
		streak       integer NOT NULL DEFAULT 0,
		gone_since   bigint NOT NULL DEFAULT 0,
		removed_at   bigint NOT NULL DEFAULT 0,
		confirmed_at bigint NOT NULL DEFAULT 0,
		returned_at  bigint NOT NULL DEFAULT 0,
		last_check   bigint NOT NULL DEFAULT 0,
		next_check   bigint NOT NULL,
		lease        bigint NOT NULL DEFAULT 0,
		history      bytea NOT NULL DEFAULT ''
	);
	CREATE INDEX liveness_due ON liveness (next_check);
	CREATE INDEX liveness_referred ON liveness (referred_at);`,
	// Users, sessions and API tokens, as in the embedded store.
	`CREATE TABLE users (
		name       text PRIMARY KEY,
		role       text NOT NULL,
		password   text NOT NULL,
		disabled   boolean NOT NULL DEFAULT false,
		created_at timestamptz NOT NULL,
		changed_at timestamptz NOT NULL
	);
	CREATE TABLE sessions (
		id         text PRIMARY KEY,
		username   text NOT NULL REFERENCES users (name),
		ip         text NOT NULL,
		created_at timestamptz NOT NULL,
		seen_at    timestamptz NOT NULL
	);
	CREATE INDEX sessions_username ON sessions (username);
	CREATE TABLE tokens (
		name       text PRIMARY KEY,
		role       text NOT NULL,
		hash       text NOT NULL UNIQUE,
		created_at timestamptz NOT NULL,
		created_by text NOT NULL,
		revoked_at timestamptz
	);`,
	// Referrals, as in the embedded store. Their times are Unix
	// milliseconds, 0 for none, so that both stores share one scanner and
	// one condition for a due referral.
	`CREATE TABLE referrals (
		id            bigserial PRIMARY KEY,
		case_id       bigint NOT NULL REFERENCES cases(id),
		post_key      text NOT NULL,
		url           text NOT NULL,
		platform      text NOT NULL,
		target        text NOT NULL,
		kind          text NOT NULL,
		label         text NOT NULL,
		tier          integer NOT NULL,
		entity        text NOT NULL DEFAULT '',
		evidence_hash text NOT NULL,
		round         integer NOT NULL,
		escalation    integer NOT NULL DEFAULT 0,
		status        text NOT NULL,
		attempts      integer NOT NULL DEFAULT 0,
		next_at       bigint NOT NULL DEFAULT 0,
		ticket        text NOT NULL DEFAULT '',
		last_error    text NOT NULL DEFAULT '',
		created_by    text NOT NULL,
		approved_by   text NOT NULL DEFAULT '',
		created_at    bigint NOT NULL,
		sent_at       bigint NOT NULL DEFAULT 0,
		followed_at   bigint NOT NULL DEFAULT 0,
		lease_owner   text NOT NULL DEFAULT '',
		lease_until   bigint NOT NULL DEFAULT 0,
		UNIQUE (case_id, post_key, round)
	);
	CREATE INDEX referrals_due ON referrals (status, next_at);
	CREATE INDEX referrals_follow ON referrals (status, followed_at, sent_at);
	CREATE TABLE referral_targets (
		name    text PRIMARY KEY,
		next_at bigint NOT NULL
	);
	CREATE TABLE referral_replies (
		id          bigserial PRIMARY KEY,
		referral_id bigint NOT NULL REFERENCES referrals(id),
		at          bigint NOT NULL,
		by_user     text NOT NULL,
		via         text NOT NULL,
		ticket      text NOT NULL DEFAULT '',
		text        text NOT NULL DEFAULT ''
	);
	CREATE INDEX referral_replies_referral ON referral_replies (referral_id, at);`,
	// The account registry (see store.Accounts and the SQLite migration of
	// the same number for why only inactive accounts are indexed by status
	// and why the profile history is a trigger's).
	`ALTER TABLE accounts ADD COLUMN status text NOT NULL DEFAULT 'active';
	ALTER TABLE accounts ADD COLUMN status_at timestamptz;
	ALTER TABLE accounts ADD COLUMN avatar text NOT NULL DEFAULT '';
	CREATE INDEX accounts_status ON accounts (status, last_seen DESC) WHERE status <> 'active';
	CREATE TABLE account_profiles (
		seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		platform     text NOT NULL,
		id           text NOT NULL,
		handle       text NOT NULL,
		display_name text NOT NULL,
		description  text NOT NULL,
		avatar       text NOT NULL,
		until        timestamptz NOT NULL
	);
	CREATE INDEX account_profiles_account ON account_profiles (platform, id, until);
	CREATE FUNCTION accounts_profile_history() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO account_profiles (platform, id, handle, display_name, description, avatar, until)
		VALUES (OLD.platform, OLD.id, OLD.handle, OLD.display_name, OLD.description, OLD.avatar, greatest(NEW.last_seen, OLD.last_seen));
		RETURN NULL;
	END $$;
	CREATE TRIGGER accounts_profile_history AFTER UPDATE OF handle, display_name, description, avatar ON accounts
		FOR EACH ROW WHEN (OLD.handle <> NEW.handle OR OLD.display_name <> NEW.display_name OR OLD.description <> NEW.description OR OLD.avatar <> NEW.avatar)
		EXECUTE FUNCTION accounts_profile_history();
	CREATE TABLE account_status (
		seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		platform text NOT NULL,
		id       text NOT NULL,
		status   text NOT NULL,
		source   text NOT NULL,
		evidence text NOT NULL,
		actor    text NOT NULL,
		at       timestamptz NOT NULL
	);
	CREATE INDEX account_status_account ON account_status (platform, id, seq);
	CREATE INDEX account_status_at ON account_status (at);
	CREATE TABLE account_links (
		platform text NOT NULL,
		id       text NOT NULL,
		link     text NOT NULL,
		first_at timestamptz NOT NULL,
		PRIMARY KEY (platform, id, link)
	);
	CREATE TABLE successors (
		id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		from_platform text NOT NULL,
		from_id       text NOT NULL,
		to_platform   text NOT NULL,
		to_id         text NOT NULL,
		score         double precision NOT NULL,
		evidence      text NOT NULL,
		status        text NOT NULL,
		created_at    timestamptz NOT NULL,
		decided_by    text NOT NULL DEFAULT '',
		decided_at    timestamptz,
		UNIQUE (from_platform, from_id, to_platform, to_id)
	);
	CREATE INDEX successors_status ON successors (status, score DESC);
	CREATE INDEX successors_to ON successors (to_platform, to_id);`,
	// Live collection (see store.Collection), as the embedded store's
	// watches, proposals and proposal_posts.
	`CREATE TABLE watches (
		id            text PRIMARY KEY REFERENCES sources(id),
		kind          text NOT NULL,
		every_ms      bigint NOT NULL,
		token_env     text NOT NULL DEFAULT '',
		selector      text NOT NULL DEFAULT '',
		paused        boolean NOT NULL DEFAULT false,
		added_by      text NOT NULL DEFAULT '',
		added_at      timestamptz,
		cursor        text NOT NULL DEFAULT '',
		last_poll     timestamptz,
		last_success  timestamptz,
		last_error    text NOT NULL DEFAULT '',
		last_error_at timestamptz,
		failures      integer NOT NULL DEFAULT 0,
		newest        timestamptz
	);
	CREATE TABLE proposals (
		id         text PRIMARY KEY,
		kind       text NOT NULL,
		location   text NOT NULL,
		posts      bigint NOT NULL DEFAULT 0,
		first_seen timestamptz NOT NULL,
		last_seen  timestamptz NOT NULL,
		example    text NOT NULL DEFAULT ''
	);
	CREATE TABLE proposal_posts (
		id       text NOT NULL,
		post_key text NOT NULL,
		PRIMARY KEY (id, post_key)
	);`,
	// The account whose page a liveness item watches (see liveness.Item).
	`ALTER TABLE liveness ADD COLUMN account text NOT NULL DEFAULT '';`,
	// A case's evidence captures are found among a few actions' entries,
	// not by reading the whole trail.
	`CREATE INDEX audit_action ON audit (action, seq);`,
	// Readings of the text inside media files (see store.OCRTexts), by
	// the file's hash.
	`CREATE TABLE ocr_texts (
		key  text PRIMARY KEY,
		data bytea NOT NULL
	);`,
}

// migrate applies pending migrations in one transaction, under an advisory
// lock keyed on the schema so that workers starting together wait for the
// first one instead of racing to create the same tables. The lock is a
// session lock taken before the transaction begins, not pg_advisory_xact_lock:
// a transaction reads the catalog as of its start, so one that had waited
// inside for the lock would not see the schema and tables the first worker
// created, and its CREATE ... IF NOT EXISTS would fail on a duplicate.
func (s *Store) migrate(ctx context.Context, schema string) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Release()
	const lockKey = `hashtextextended('raqib migrate ' || $1, 0)`
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`, schema); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return applyMigrations(ctx, tx, schema, migrations) })
	// A failed unlock (a broken connection) needs no handling: the server
	// drops session locks with the session.
	conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+lockKey+`)`, schema)
	return err
}

// applyMigrations applies the migrations of ms that the schema has not had
// yet.
func applyMigrations(ctx context.Context, tx pgx.Tx, schema string, ms []string) error {
	if schema != "" {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return fmt.Errorf("create schema %s: %w", schema, err)
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(ms) {
		return fmt.Errorf("database schema version %d is newer than this raqib (%d): upgrade raqib", have, len(ms))
	}
	for v := have; v < len(ms); v++ {
		if _, err := tx.Exec(ctx, ms[v]); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v+1); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
	}
	return nil
}
