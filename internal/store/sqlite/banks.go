package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Banks = (*Store)(nil)

// PutBank implements store.Banks.
func (s *Store) PutBank(ctx context.Context, b hashbank.Bank) error {
	if b.CreatedAt.IsZero() {
		b.CreatedAt = time.Now().UTC()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.db.ExecContext(ctx, `INSERT INTO banks(name, kind, enabled, distance, source, created_at) VALUES (?,?,?,?,?,?)
		ON CONFLICT(name) DO UPDATE SET kind=excluded.kind, enabled=excluded.enabled, distance=excluded.distance, source=excluded.source`,
		b.Name, string(b.Kind), boolInt(b.Enabled), b.Distance, b.Source, unixMilli(b.CreatedAt))
	if err != nil {
		return fmt.Errorf("save bank %q: %w", b.Name, err)
	}
	return nil
}

// AddEntries implements store.Banks.
func (s *Store) AddEntries(ctx context.Context, es []hashbank.Entry) ([]hashbank.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO bank_entries(bank, type, hash, labels, entity, source, shared_by, shared_at, case_ref, enabled, added_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(bank, type, hash) DO NOTHING RETURNING id`)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	defer stmt.Close()
	now := time.Now().UTC()
	var added []hashbank.Entry
	for _, e := range es {
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("entry %s %s: %w", e.Type, e.Hash, err)
		}
		if e.AddedAt.IsZero() {
			e.AddedAt = now
		}
		labels, _ := json.Marshal(e.Labels)
		err := stmt.QueryRowContext(ctx, e.Bank, e.Type, e.Hash, string(labels), e.Entity, e.Source,
			e.Provenance.SharedBy, unixMilli(e.Provenance.SharedAt), e.Provenance.CaseRef, boolInt(e.Enabled), unixMilli(e.AddedAt)).Scan(&e.ID)
		switch {
		case err == sql.ErrNoRows:
			continue
		case err != nil:
			return nil, fmt.Errorf("add entry %s %s to %q: %w", e.Type, e.Hash, e.Bank, err)
		}
		added = append(added, e)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return added, nil
}

// LoadBanks implements store.Banks.
func (s *Store) LoadBanks(ctx context.Context) ([]hashbank.Bank, []hashbank.Entry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, kind, enabled, distance, source, created_at FROM banks ORDER BY name`)
	if err != nil {
		return nil, nil, fmt.Errorf("load banks: %w", err)
	}
	var banks []hashbank.Bank
	for rows.Next() {
		var (
			b       hashbank.Bank
			kind    string
			enabled int
			created int64
		)
		if err := rows.Scan(&b.Name, &kind, &enabled, &b.Distance, &b.Source, &created); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("load banks: %w", err)
		}
		b.Kind, b.Enabled, b.CreatedAt = hashbank.Kind(kind), enabled == 1, fromMilli(created)
		banks = append(banks, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("load banks: %w", err)
	}
	es, err := s.entries(ctx, "ORDER BY id")
	return banks, es, err
}

// entryColumns are read by scanEntry.
const entryColumns = `id, bank, type, hash, labels, entity, source, shared_by, shared_at, case_ref, enabled, added_at`

// entries reads the entries that the SQL after FROM bank_entries selects.
func (s *Store) entries(ctx context.Context, where string, args ...any) ([]hashbank.Entry, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+entryColumns+" FROM bank_entries "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("load bank entries: %w", err)
	}
	defer rows.Close()
	var es []hashbank.Entry
	for rows.Next() {
		var (
			e             hashbank.Entry
			labels        string
			shared, added int64
			enabled       int
		)
		if err := rows.Scan(&e.ID, &e.Bank, &e.Type, &e.Hash, &labels, &e.Entity, &e.Source, &e.Provenance.SharedBy, &shared,
			&e.Provenance.CaseRef, &enabled, &added); err != nil {
			return nil, fmt.Errorf("load bank entries: %w", err)
		}
		if err := json.Unmarshal([]byte(labels), &e.Labels); err != nil {
			return nil, fmt.Errorf("bank entry %d labels: %w", e.ID, err)
		}
		e.Provenance.SharedAt, e.AddedAt, e.Enabled = fromMilli(shared), fromMilli(added), enabled == 1
		es = append(es, e)
	}
	return es, rows.Err()
}

// Entries implements store.Banks.
func (s *Store) Entries(ctx context.Context, ids []int64) ([]hashbank.Entry, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return s.entries(ctx, "WHERE id IN (?"+strings.Repeat(",?", len(ids)-1)+") ORDER BY id", args...)
}

// Bank implements store.Banks.
func (s *Store) Bank(ctx context.Context, name string) (hashbank.Bank, error) {
	var (
		b       hashbank.Bank
		kind    string
		enabled int
		created int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT name, kind, enabled, distance, source, created_at FROM banks WHERE name = ?`, name).
		Scan(&b.Name, &kind, &enabled, &b.Distance, &b.Source, &created)
	if err == sql.ErrNoRows {
		return b, fmt.Errorf("bank %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return b, fmt.Errorf("bank %q: %w", name, err)
	}
	b.Kind, b.Enabled, b.CreatedAt = hashbank.Kind(kind), enabled == 1, fromMilli(created)
	return b, nil
}

func (s *Store) setEnabled(ctx context.Context, table, col string, key any, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.db.ExecContext(ctx, "UPDATE "+table+" SET enabled = ? WHERE "+col+" = ?", boolInt(on), key)
	if err != nil {
		return fmt.Errorf("update %s: %w", table, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s %v: %w", strings.TrimSuffix(table, "s"), key, store.ErrNotFound)
	}
	return nil
}

// SetBankEnabled implements store.Banks.
func (s *Store) SetBankEnabled(ctx context.Context, name string, on bool) error {
	return s.setEnabled(ctx, "banks", "name", name, on)
}

// SetEntryEnabled implements store.Banks.
func (s *Store) SetEntryEnabled(ctx context.Context, id int64, on bool) error {
	return s.setEnabled(ctx, "bank_entries", "id", id, on)
}

// MediaHashes implements store.Banks.
func (s *Store) MediaHashes(ctx context.Context, typ string, fn func(value, postKey string) error) error {
	if _, err := signaltype.Lookup(typ); err != nil {
		return fmt.Errorf("media hashes: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT h.value, p.key FROM media_hashes h JOIN posts p ON p.rowid = h.post_rowid WHERE h.type = ?", typ)
	if err != nil {
		return fmt.Errorf("media hashes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v, key string
		if err := rows.Scan(&v, &key); err != nil {
			return fmt.Errorf("media hashes: %w", err)
		}
		if err := fn(v, key); err != nil {
			return err
		}
	}
	return rows.Err()
}

// HashPosts implements store.Banks.
func (s *Store) HashPosts(ctx context.Context, typ, value string, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT p.key FROM media_hashes h JOIN posts p ON p.rowid = h.post_rowid
		WHERE h.type = ? AND h.value = ? LIMIT ?`, typ, value, limit)
	if err != nil {
		return nil, fmt.Errorf("posts with hash: %w", err)
	}
	defer rows.Close()
	return store.ScanKeys(rows)
}

// PostTexts implements store.Banks.
func (s *Store) PostTexts(ctx context.Context, violatingOnly bool, fn func(key, norm string, label post.Label) error) error {
	query := "SELECT key, norm, label FROM posts"
	if violatingOnly {
		query += " WHERE violating = 1"
	}
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("post texts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, norm, label string
		if err := rows.Scan(&key, &norm, &label); err != nil {
			return fmt.Errorf("post texts: %w", err)
		}
		if err := fn(key, norm, post.Label(label)); err != nil {
			return err
		}
	}
	return rows.Err()
}

// BankStamp implements store.Banks.
func (s *Store) BankStamp(ctx context.Context) (string, error) {
	var stamp string
	// Which entries are on, not only how many: switching one off and
	// another on must change the stamp too.
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT COALESCE(GROUP_CONCAT(name || ':' || kind || ':' || enabled || ':' || distance, ','), '') FROM banks) || '/' ||
		(SELECT COUNT(*) || ':' || COALESCE(MAX(id), 0) || ':' || TOTAL(id * enabled) FROM bank_entries)`).Scan(&stamp)
	if err != nil {
		return "", fmt.Errorf("bank stamp: %w", err)
	}
	return stamp, nil
}
