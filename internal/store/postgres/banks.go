package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
	"github.com/raqib-project/raqib/internal/store"
)

// ErrBadEntry is returned (wrapped, naming the entry) for a bank entry whose
// bank name or hash cannot be stored; the whole call is then rejected.
var ErrBadEntry = errors.New("bad bank entry")

var _ store.Banks = (*Store)(nil)

// PutBank implements store.Banks. Saving a bank unchanged changes no row, so
// it leaves BankStamp alone and no matcher reloads for nothing.
func (s *Store) PutBank(ctx context.Context, b hashbank.Bank) error {
	if !storable(b.Name) {
		return fmt.Errorf("save bank %q: %w: name is not valid UTF-8 text", b.Name, hashbank.ErrBadBank)
	}
	if b.CreatedAt.IsZero() {
		b.CreatedAt = time.Now().UTC()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO banks (name, kind, enabled, distance, source, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, enabled = excluded.enabled,
			distance = excluded.distance, source = excluded.source
		WHERE (banks.kind, banks.enabled, banks.distance, banks.source)
			IS DISTINCT FROM (excluded.kind, excluded.enabled, excluded.distance, excluded.source)`,
		b.Name, text(string(b.Kind)), b.Enabled, int32(b.Distance), text(b.Source), b.CreatedAt)
	if err != nil {
		return fmt.Errorf("save bank %q: %w", b.Name, err)
	}
	return nil
}

// addChunk bounds the entries that one INSERT carries, so that importing a
// large list never builds one huge message.
const addChunk = 5000

// insertEntries stores a chunk in input order, so that ids follow it. Labels
// travel as JSON arrays because unnest cannot take an array of arrays of
// different lengths.
const insertEntries = `INSERT INTO bank_entries (bank, type, hash, labels, entity, source, shared_by, shared_at,
		case_ref, enabled, added_at)
	SELECT bank, type, hash, ARRAY(SELECT jsonb_array_elements_text(labels::jsonb)), entity, source, shared_by,
		shared_at, case_ref, enabled, added_at
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
		$8::timestamptz[], $9::text[], $10::boolean[], $11::timestamptz[])
		WITH ORDINALITY AS e (bank, type, hash, labels, entity, source, shared_by, shared_at, case_ref, enabled,
			added_at, ord)
	ORDER BY ord
	ON CONFLICT (bank, type, (md5(hash))) DO NOTHING
	RETURNING id, bank, type, hash`

// AddEntries implements store.Banks. Imports run one at a time: each first
// locks the bank_version row, which its triggers would lock anyway, so that
// two imports sharing hashes cannot deadlock on each other's new rows.
func (s *Store) AddEntries(ctx context.Context, es []hashbank.Entry) ([]hashbank.Entry, error) {
	if len(es) == 0 {
		return nil, nil
	}
	es = slices.Clone(es)
	now := time.Now().UTC()
	for i := range es {
		e := &es[i]
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("entry %s %s: %w", e.Type, e.Hash, err)
		}
		if !storable(e.Bank) || !storable(e.Hash) {
			return nil, fmt.Errorf("entry %d (%s %q): %w: bank or hash is not valid UTF-8 text", i, e.Type, e.Hash, ErrBadEntry)
		}
		if e.AddedAt.IsZero() {
			e.AddedAt = now
		}
	}
	var added []hashbank.Entry
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM bank_version FOR UPDATE`); err != nil {
			return fmt.Errorf("lock banks: %w", err)
		}
		for start := 0; start < len(es); start += addChunk {
			part, err := insertChunk(ctx, tx, es[start:min(start+addChunk, len(es))])
			if err != nil {
				return err
			}
			added = append(added, part...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

// insertChunk stores es and returns those that were new, with their ids. An
// entry repeated within es is stored once, as its first occurrence.
func insertChunk(ctx context.Context, tx pgx.Tx, es []hashbank.Entry) ([]hashbank.Entry, error) {
	n := len(es)
	var (
		banks, types, hashes, labels = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		entities, sources, sharers   = make([]string, n), make([]string, n), make([]string, n)
		sharedAt, addedAt            = make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
		caseRefs                     = make([]string, n)
		enabled                      = make([]bool, n)
	)
	for i, e := range es {
		ls := []byte("[]") // not json.Marshal's null for a nil slice
		if len(e.Labels) > 0 {
			var err error
			if ls, err = json.Marshal(e.Labels); err != nil {
				return nil, fmt.Errorf("entry %s %s labels: %w", e.Type, e.Hash, err)
			}
		}
		banks[i], types[i], hashes[i], labels[i] = e.Bank, e.Type, e.Hash, string(ls)
		entities[i], sources[i], sharers[i] = text(e.Entity), text(e.Source), text(e.Provenance.SharedBy)
		sharedAt[i] = pgtype.Timestamptz{Time: e.Provenance.SharedAt, Valid: !e.Provenance.SharedAt.IsZero()}
		addedAt[i] = pgtype.Timestamptz{Time: e.AddedAt, Valid: true}
		caseRefs[i], enabled[i] = text(e.Provenance.CaseRef), e.Enabled
	}
	rows, err := tx.Query(ctx, insertEntries, banks, types, hashes, labels, entities, sources, sharers, sharedAt,
		caseRefs, enabled, addedAt)
	if err != nil {
		return nil, fmt.Errorf("add bank entries: %w", err)
	}
	type key struct{ bank, typ, hash string }
	var (
		id  int64
		k   key
		ids = map[key]int64{}
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &k.bank, &k.typ, &k.hash}, func() error {
		ids[k] = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add bank entries: %w", err)
	}
	added := make([]hashbank.Entry, 0, len(ids))
	for _, e := range es {
		k := key{e.Bank, e.Type, e.Hash}
		if id, ok := ids[k]; ok {
			e.ID = id
			added = append(added, e)
			delete(ids, k)
		}
	}
	return added, nil
}

// LoadBanks implements store.Banks. Both tables are read from one snapshot,
// so that no entry refers to a bank created after the banks were read.
func (s *Store) LoadBanks(ctx context.Context) ([]hashbank.Bank, []hashbank.Entry, error) {
	var (
		banks []hashbank.Bank
		es    []hashbank.Entry
	)
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		var err error
		if banks, err = loadBanks(ctx, tx); err != nil {
			return fmt.Errorf("load banks: %w", err)
		}
		if es, err = loadEntries(ctx, tx); err != nil {
			return fmt.Errorf("load bank entries: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return banks, es, nil
}

func loadBanks(ctx context.Context, tx pgx.Tx) ([]hashbank.Bank, error) {
	rows, err := tx.Query(ctx, `SELECT name, kind, enabled, distance, source, created_at FROM banks ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var (
		banks    []hashbank.Bank
		b        hashbank.Bank
		kind     string
		distance int32
	)
	_, err = pgx.ForEachRow(rows, []any{&b.Name, &kind, &b.Enabled, &distance, &b.Source, &b.CreatedAt}, func() error {
		b.Kind, b.Distance, b.CreatedAt = hashbank.Kind(kind), int(distance), b.CreatedAt.UTC()
		banks = append(banks, b)
		return nil
	})
	return banks, err
}

func loadEntries(ctx context.Context, tx pgx.Tx) ([]hashbank.Entry, error) {
	return queryEntries(ctx, tx, `ORDER BY id`)
}

// queryEntries reads the entries that the SQL after FROM bank_entries
// selects.
func queryEntries(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, where string, args ...any) ([]hashbank.Entry, error) {
	rows, err := q.Query(ctx, `SELECT id, bank, type, hash, labels, entity, source, shared_by, shared_at, case_ref,
		enabled, added_at FROM bank_entries `+where, args...)
	if err != nil {
		return nil, err
	}
	var (
		es       []hashbank.Entry
		e        hashbank.Entry
		labels   []string
		sharedAt pgtype.Timestamptz
	)
	scans := []any{&e.ID, &e.Bank, &e.Type, &e.Hash, &labels, &e.Entity, &e.Source, &e.Provenance.SharedBy,
		&sharedAt, &e.Provenance.CaseRef, &e.Enabled, &e.AddedAt}
	_, err = pgx.ForEachRow(rows, scans, func() error {
		out := e
		out.Labels = nil
		for _, l := range labels {
			out.Labels = append(out.Labels, post.Label(l))
		}
		out.Provenance.SharedAt = time.Time{}
		if sharedAt.Valid {
			out.Provenance.SharedAt = sharedAt.Time.UTC()
		}
		out.AddedAt = e.AddedAt.UTC()
		es = append(es, out)
		return nil
	})
	return es, err
}

// Entries implements store.Banks.
func (s *Store) Entries(ctx context.Context, ids []int64) ([]hashbank.Entry, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	es, err := queryEntries(ctx, s.pool, `WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, fmt.Errorf("bank entries: %w", err)
	}
	return es, nil
}

// Bank implements store.Banks.
func (s *Store) Bank(ctx context.Context, name string) (hashbank.Bank, error) {
	var (
		b        hashbank.Bank
		kind     string
		distance int32
	)
	if !storable(name) {
		return b, fmt.Errorf("bank %q: %w", name, store.ErrNotFound)
	}
	err := s.pool.QueryRow(ctx, `SELECT name, kind, enabled, distance, source, created_at FROM banks WHERE name = $1`, name).
		Scan(&b.Name, &kind, &b.Enabled, &distance, &b.Source, &b.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, fmt.Errorf("bank %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return b, fmt.Errorf("bank %q: %w", name, err)
	}
	b.Kind, b.Distance, b.CreatedAt = hashbank.Kind(kind), int(distance), b.CreatedAt.UTC()
	return b, nil
}

// SetBankEnabled implements store.Banks.
func (s *Store) SetBankEnabled(ctx context.Context, name string, on bool) error {
	if !storable(name) {
		return fmt.Errorf("bank %q: %w", name, store.ErrNotFound)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE banks SET enabled = $1 WHERE name = $2`, on, name)
	if err != nil {
		return fmt.Errorf("switch bank %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("bank %q: %w", name, store.ErrNotFound)
	}
	return nil
}

// SetEntryEnabled implements store.Banks.
func (s *Store) SetEntryEnabled(ctx context.Context, id int64, on bool) error {
	tag, err := s.pool.Exec(ctx, `UPDATE bank_entries SET enabled = $1 WHERE id = $2`, on, id)
	if err != nil {
		return fmt.Errorf("switch bank entry %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("bank entry %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// MediaHashes implements store.Banks. Rows reach fn as they arrive from the
// server; fn's error stops the scan and is returned.
func (s *Store) MediaHashes(ctx context.Context, typ string, fn func(value, postKey string) error) error {
	if _, err := signaltype.Lookup(typ); err != nil {
		return fmt.Errorf("media hashes: %w", err)
	}
	var v, key string
	return s.stream(ctx, "media hashes", `SELECT m.value, p.key FROM media_hashes m JOIN posts p ON p.id = m.post_id
		WHERE m.type = $1`, []any{&v, &key}, func() error { return fn(v, key) }, typ)
}

// HashPosts implements store.Banks.
func (s *Store) HashPosts(ctx context.Context, typ, value string, limit int) ([]string, error) {
	if !storable(typ) || !storable(value) {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT p.key FROM media_hashes m JOIN posts p ON p.id = m.post_id
		WHERE m.type = $1 AND md5(m.value) = md5($2) AND m.value = $2 LIMIT $3`, typ, value, limit)
	if err != nil {
		return nil, fmt.Errorf("posts with hash: %w", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("posts with hash: %w", err)
	}
	return keys, nil
}

// PostTexts implements store.Banks. Rows reach fn as they arrive from the
// server; fn's error stops the scan and is returned.
func (s *Store) PostTexts(ctx context.Context, violatingOnly bool, fn func(key, norm string, label post.Label) error) error {
	query := `SELECT key, norm, label FROM posts`
	if violatingOnly {
		query += ` WHERE violating`
	}
	var key, norm, label string
	return s.stream(ctx, "post texts", query, []any{&key, &norm, &label}, func() error {
		return fn(key, norm, post.Label(label))
	})
}

// stream runs query and calls fn after scanning each row into scans. An
// error of fn is returned as it is, to tell it from the store's own.
func (s *Store) stream(ctx context.Context, what, query string, scans []any, fn func() error, args ...any) error {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	var stopped error
	_, err = pgx.ForEachRow(rows, scans, func() error {
		stopped = fn()
		return stopped
	})
	if stopped != nil {
		return stopped
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// BankStamp implements store.Banks: the epoch of the schema and the count of
// changes that the bank_version triggers keep.
func (s *Store) BankStamp(ctx context.Context) (string, error) {
	var stamp string
	if err := s.pool.QueryRow(ctx, `SELECT epoch::text || ':' || n FROM bank_version`).Scan(&stamp); err != nil {
		return "", fmt.Errorf("bank stamp: %w", err)
	}
	return stamp, nil
}
