package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// tempTables are created once per connection (see OpenConfig): a batch is
// copied into them with COPY, then merged into the real tables with a few
// set-based statements, which is much faster than a round trip per post.
// ON COMMIT DELETE ROWS empties them after every transaction, including a
// rolled-back one.
const tempTables = `CREATE TEMP TABLE IF NOT EXISTS raqib_incoming (
		ord            integer NOT NULL,
		key            text NOT NULL,
		platform       text NOT NULL,
		post_id        text NOT NULL,
		channel_id     text NOT NULL,
		author_id      text NOT NULL,
		kind           text NOT NULL,
		posted_at      timestamptz,
		collected_at   timestamptz NOT NULL,
		content_hash   text NOT NULL,
		norm           text NOT NULL,
		terms          text[] NOT NULL,
		label          text NOT NULL,
		tier           integer NOT NULL,
		entity         text NOT NULL,
		score          double precision NOT NULL,
		violating      boolean NOT NULL,
		doc            bytea NOT NULL,
		raw            bytea,
		a_handle       text NOT NULL,
		a_display_name text NOT NULL,
		a_created_at   timestamptz,
		a_description  text NOT NULL,
		a_followers    bigint NOT NULL,
		a_verified     boolean NOT NULL,
		a_withheld     text NOT NULL,
		ch_name        text NOT NULL,
		ch_kind        text NOT NULL,
		ch_url         text NOT NULL,
		source         text NOT NULL,
		state          text NOT NULL DEFAULT ''
	) ON COMMIT DELETE ROWS;
	CREATE TEMP TABLE IF NOT EXISTS raqib_incoming_hashes (
		key   text NOT NULL,
		idx   integer NOT NULL,
		type  text NOT NULL,
		value text NOT NULL
	) ON COMMIT DELETE ROWS`

var incomingColumns = []string{
	"ord", "key", "platform", "post_id", "channel_id", "author_id", "kind", "posted_at", "collected_at",
	"content_hash", "norm", "terms", "label", "tier", "entity", "score", "violating", "doc", "raw",
	"a_handle", "a_display_name", "a_created_at", "a_description", "a_followers", "a_verified", "a_withheld",
	"ch_name", "ch_kind", "ch_url", "source",
}

var mediaColumns = []string{"key", "idx", "type", "value"}

// The merge statements run in this order on one round of incoming posts,
// whose keys are distinct. Rows are taken in key order so that two workers
// saving overlapping batches lock them in the same order.
const (
	// mergeInsert stores new posts; a key another transaction holds makes
	// ON CONFLICT wait for it and then skip, never fail.
	mergeInsert = `WITH ins AS (
		INSERT INTO posts (key, platform, post_id, channel_id, author_id, kind, posted_at, collected_at,
			content_hash, norm, fts, label, tier, entity, score, violating, doc, raw, source)
		SELECT key, platform, post_id, channel_id, author_id, kind, posted_at, collected_at,
			content_hash, norm, array_to_tsvector(terms), label, tier, entity, score, violating, doc, raw, source
		FROM raqib_incoming ORDER BY key
		ON CONFLICT (key) DO NOTHING
		RETURNING key)
	UPDATE raqib_incoming i SET state = 'inserted' FROM ins WHERE i.key = ins.key`
	// mergeClassify locks the stored posts the round did not insert and
	// tells a re-import from an edit.
	mergeClassify = `WITH locked AS (
		SELECT p.key, p.content_hash FROM posts p JOIN raqib_incoming i ON i.key = p.key
		WHERE i.state = '' ORDER BY p.key FOR UPDATE OF p)
	UPDATE raqib_incoming i
	SET state = CASE WHEN locked.content_hash = i.content_hash THEN 'duplicate' ELSE 'edited' END
	FROM locked WHERE i.key = locked.key`
	mergeCount = `SELECT count(*) FILTER (WHERE state = 'duplicate'), count(*) FILTER (WHERE state = 'edited'),
		count(*) FILTER (WHERE state = '') FROM raqib_incoming`
	mergeKeepVersion = `INSERT INTO post_versions (post_id, version, content_hash, doc, raw)
	SELECT p.id, p.version, p.content_hash, p.doc, p.raw
	FROM posts p JOIN raqib_incoming i ON i.key = p.key WHERE i.state = 'edited'
	ON CONFLICT DO NOTHING`
	mergeEdit = `UPDATE posts p SET kind = i.kind, posted_at = i.posted_at, collected_at = i.collected_at,
		content_hash = i.content_hash, version = p.version + 1, norm = i.norm, fts = array_to_tsvector(i.terms),
		label = i.label, tier = i.tier, entity = i.entity, score = i.score, violating = i.violating,
		doc = i.doc, raw = i.raw
	FROM raqib_incoming i WHERE p.key = i.key AND i.state = 'edited'`
	mergeRefresh = `UPDATE posts p SET label = i.label, tier = i.tier, entity = i.entity, score = i.score,
		violating = i.violating, doc = i.doc
	FROM raqib_incoming i WHERE p.key = i.key AND i.state = 'duplicate'`
	mergeDropMedia = `DELETE FROM media_hashes m USING posts p, raqib_incoming i
	WHERE m.post_id = p.id AND p.key = i.key AND i.state = 'edited'`
	mergeMedia = `INSERT INTO media_hashes (post_id, idx, type, value)
	SELECT p.id, m.idx, m.type, m.value
	FROM raqib_incoming_hashes m JOIN raqib_incoming i ON i.key = m.key JOIN posts p ON p.key = m.key
	WHERE i.state IN ('inserted', 'edited')
	ON CONFLICT DO NOTHING`
	// mergeAccounts folds every post of an author in the round into one row
	// (a later non-empty value wins, counts and times take the extreme) and
	// merges it with the stored one by the same rules.
	mergeAccounts = `INSERT INTO accounts (platform, id, handle, display_name, created_at, description,
		followers, verified, withheld, first_seen, last_seen)
	SELECT platform, author_id,
		coalesce((array_agg(a_handle ORDER BY ord DESC) FILTER (WHERE a_handle <> ''))[1], ''),
		coalesce((array_agg(a_display_name ORDER BY ord DESC) FILTER (WHERE a_display_name <> ''))[1], ''),
		max(a_created_at),
		coalesce((array_agg(a_description ORDER BY ord DESC) FILTER (WHERE a_description <> ''))[1], ''),
		max(a_followers), bool_or(a_verified),
		coalesce((array_agg(a_withheld ORDER BY ord DESC) FILTER (WHERE a_withheld <> ''))[1], ''),
		min(coalesce(posted_at, now())), max(coalesce(posted_at, now()))
	FROM raqib_incoming WHERE author_id <> ''
	GROUP BY platform, author_id ORDER BY platform, author_id
	ON CONFLICT (platform, id) DO UPDATE SET
		handle = CASE WHEN excluded.handle <> '' THEN excluded.handle ELSE accounts.handle END,
		display_name = CASE WHEN excluded.display_name <> '' THEN excluded.display_name ELSE accounts.display_name END,
		created_at = greatest(accounts.created_at, excluded.created_at),
		description = CASE WHEN excluded.description <> '' THEN excluded.description ELSE accounts.description END,
		followers = greatest(accounts.followers, excluded.followers),
		verified = accounts.verified OR excluded.verified,
		withheld = CASE WHEN excluded.withheld <> '' THEN excluded.withheld ELSE accounts.withheld END,
		first_seen = least(accounts.first_seen, excluded.first_seen),
		last_seen = greatest(accounts.last_seen, excluded.last_seen)`
	mergeChannels = `INSERT INTO channels (platform, id, name, kind, url)
	SELECT platform, channel_id,
		coalesce((array_agg(ch_name ORDER BY ord DESC) FILTER (WHERE ch_name <> ''))[1], ''),
		coalesce((array_agg(ch_kind ORDER BY ord DESC) FILTER (WHERE ch_kind <> ''))[1], ''),
		coalesce((array_agg(ch_url ORDER BY ord DESC) FILTER (WHERE ch_url <> ''))[1], '')
	FROM raqib_incoming WHERE channel_id <> ''
	GROUP BY platform, channel_id ORDER BY platform, channel_id
	ON CONFLICT (platform, id) DO UPDATE SET
		name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE channels.name END,
		kind = CASE WHEN excluded.kind <> '' THEN excluded.kind ELSE channels.kind END,
		url = CASE WHEN excluded.url <> '' THEN excluded.url ELSE channels.url END`
	// mergeSources counts the posts first stored from each source; a batch
	// can be stored before its import run records the source.
	mergeSources = `INSERT INTO sources (id, posts)
	SELECT source, count(*) FROM raqib_incoming WHERE state = 'inserted' AND source <> ''
	GROUP BY source ORDER BY source
	ON CONFLICT (id) DO UPDATE SET posts = sources.posts + excluded.posts`
)

// SavePosts implements store.Store. A batch that loses a deadlock or a
// serialization conflict against another worker is retried once.
func (s *Store) SavePosts(ctx context.Context, ps []post.Post) (store.Counts, error) {
	if len(ps) == 0 {
		return store.Counts{}, nil
	}
	rounds, err := prepare(ps, time.Now().UTC())
	if err != nil {
		return store.Counts{}, err
	}
	c, err := s.saveRounds(ctx, rounds)
	if retryable(err) {
		c, err = s.saveRounds(ctx, rounds)
	}
	return c, err
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// incoming is one post ready to copy into the temp tables.
type incoming struct {
	key   string
	row   []any
	media [][]any
}

// prepare validates and encodes the batch. Posts sharing a key (a post and
// its edit in one batch) go to successive rounds, so that each round has
// distinct keys and the later occurrence is applied after the earlier one,
// as if saved one by one.
func prepare(ps []post.Post, now time.Time) ([][]incoming, error) {
	var rounds [][]incoming
	seen := make(map[string]int, len(ps))
	for i := range ps {
		in, err := encode(ps[i], i, now)
		if err != nil {
			return nil, fmt.Errorf("save post %d (%q): %w", i, ps[i].Key(), err)
		}
		r := seen[in.key]
		seen[in.key] = r + 1
		if r == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[r] = append(rounds[r], in)
	}
	return rounds, nil
}

func encode(p post.Post, ord int, now time.Time) (incoming, error) {
	if p.ID == "" || p.Platform == "" {
		return incoming{}, fmt.Errorf("%w: no platform or id", store.ErrBadPost)
	}
	// Cleaning identifiers (see text) would change the key, so they are
	// refused instead.
	for _, f := range []struct{ name, v string }{
		{"platform", string(p.Platform)}, {"id", p.ID}, {"channel.id", p.Channel.ID}, {"author.id", p.Author.ID},
		{"origin.source", p.Origin.Source},
	} {
		if !storable(f.v) {
			return incoming{}, fmt.Errorf("%w: field %s is not valid UTF-8 text", store.ErrBadPost, f.name)
		}
	}
	if p.CollectedAt.IsZero() {
		p.CollectedAt = now
	}
	doc, err := store.EncodeDoc(p)
	if err != nil {
		return incoming{}, fmt.Errorf("encode: %w", err)
	}
	d, a, ch := p.Decision, p.Author, p.Channel
	key := p.Key()
	in := incoming{key: key, row: []any{
		ord, key, string(p.Platform), p.ID, p.Channel.ID, p.Author.ID, text(string(p.Kind)),
		timestamp(p.PostedAt), p.CollectedAt, p.ContentHash(), text(p.Norm), lexemes(p.Norm),
		text(string(d.Label)), int32(d.Tier), text(d.Entity), d.Score, d.Violating, doc, p.Raw,
		text(a.Handle), text(a.DisplayName), timestamp(a.CreatedAt), text(a.Description), a.Followers,
		a.Verified, text(strings.Join(a.Withheld, ",")),
		text(ch.Name), text(ch.Kind), text(ch.URL), p.Origin.Source,
	}}
	for i, m := range p.Media {
		for _, h := range m.Hashes {
			if h.Value != "" {
				in.media = append(in.media, []any{key, int32(i), text(h.Type), text(h.Value)})
			}
		}
	}
	return in, nil
}

// storable reports whether s fits a text column, which takes neither NUL
// nor invalid UTF-8.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// text makes a descriptive string storable in a text column; the post's doc
// keeps the original.
func text(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

func timestamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

const (
	// maxLexeme is PostgreSQL's limit on one tsvector lexeme, in bytes.
	maxLexeme = 2047
	// maxIndexBytes bounds what one post puts in its tsvector, whose
	// lexemes PostgreSQL caps at 1 MiB, so that one huge article cannot
	// fail its batch. Words past the bound are not searchable.
	maxIndexBytes = 1 << 19
	// lexemeOverhead is the size of a tsvector entry besides its text.
	lexemeOverhead = 4
)

// words splits normalized text into search terms where the embedded store's
// FTS5 unicode61 tokenizer does: at every rune that is not a letter or a
// number. The same function splits queries, so the index and the search
// always agree.
func words(norm string) []string {
	ws := strings.FieldsFunc(text(norm), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	kept := ws[:0]
	for _, w := range ws {
		if len(w) <= maxLexeme {
			kept = append(kept, w)
		}
	}
	return kept
}

// lexemes gives the distinct words of a post's normalized text to index, in
// order of first appearance, within maxIndexBytes.
func lexemes(norm string) []string {
	// Never nil: pgx sends a nil slice as NULL, not as an empty array.
	out := []string{}
	seen := make(map[string]bool)
	size := 0
	for _, w := range words(norm) {
		if seen[w] {
			continue
		}
		size += len(w) + lexemeOverhead
		if size > maxIndexBytes {
			break
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

func (s *Store) saveRounds(ctx context.Context, rounds [][]incoming) (store.Counts, error) {
	var c store.Counts
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for r, round := range rounds {
			rc, err := saveRound(ctx, tx, round, r > 0)
			if err != nil {
				return err
			}
			c.Add(rc)
		}
		return nil
	})
	if err != nil {
		return store.Counts{}, fmt.Errorf("save posts: %w", err)
	}
	return c, nil
}

func saveRound(ctx context.Context, tx pgx.Tx, round []incoming, clear bool) (store.Counts, error) {
	var c store.Counts
	if clear {
		if _, err := tx.Exec(ctx, `TRUNCATE raqib_incoming, raqib_incoming_hashes`); err != nil {
			return c, fmt.Errorf("clear incoming: %w", err)
		}
	}
	var media [][]any
	rows := make([][]any, len(round))
	for i, in := range round {
		rows[i] = in.row
		media = append(media, in.media...)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"raqib_incoming"}, incomingColumns, pgx.CopyFromRows(rows)); err != nil {
		return c, fmt.Errorf("copy posts: %w", err)
	}
	if len(media) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"raqib_incoming_hashes"}, mediaColumns, pgx.CopyFromRows(media)); err != nil {
			return c, fmt.Errorf("copy media: %w", err)
		}
	}
	b := &pgx.Batch{}
	steps := []struct {
		what, sql string
		n         *int
	}{
		{"insert posts", mergeInsert, &c.Inserted},
		{"classify stored posts", mergeClassify, nil},
		{"count", mergeCount, nil},
		{"keep versions", mergeKeepVersion, nil},
		{"apply edits", mergeEdit, nil},
		{"refresh decisions", mergeRefresh, nil},
		{"drop replaced media", mergeDropMedia, nil},
		{"save media", mergeMedia, nil},
		{"save accounts", mergeAccounts, nil},
		{"save channels", mergeChannels, nil},
		{"count posts of sources", mergeSources, nil},
	}
	for _, st := range steps {
		b.Queue(st.sql)
	}
	br := tx.SendBatch(ctx, b)
	for _, st := range steps {
		if st.sql == mergeCount {
			var unknown int
			if err := br.QueryRow().Scan(&c.Duplicates, &c.Edited, &unknown); err != nil {
				br.Close()
				return c, fmt.Errorf("%s: %w", st.what, err)
			}
			if unknown > 0 {
				br.Close()
				return c, fmt.Errorf("%s: %d posts neither inserted nor found", st.what, unknown)
			}
			continue
		}
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return c, fmt.Errorf("%s: %w", st.what, err)
		}
		if st.n != nil {
			*st.n = int(tag.RowsAffected())
		}
	}
	if err := br.Close(); err != nil {
		return c, fmt.Errorf("merge: %w", err)
	}
	return c, nil
}
