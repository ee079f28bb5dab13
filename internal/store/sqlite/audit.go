package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Auditor = (*Store)(nil)

var auditColumns = store.AuditColumns("at")

// Append implements store.Auditor. The transaction begins IMMEDIATE (see
// the connection string), taking SQLite's one write lock before it reads
// the last entry, so that appends of other processes on the same file
// wait and never fork the chain.
func (s *Store) Append(ctx context.Context, e audit.Entry) (audit.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return audit.Entry{}, fmt.Errorf("append audit entry: %w", err)
	}
	defer tx.Rollback()
	var prev audit.Entry
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&prev.Seq, &prev.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return audit.Entry{}, fmt.Errorf("append audit entry: read last: %w", err)
	}
	if e, err = audit.Seal(prev, e, time.Now()); err != nil {
		return audit.Entry{}, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit(`+auditColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		e.Seq, e.At.UnixMicro(), e.Actor, e.Source, e.Action, e.Subject, []byte(e.Before), []byte(e.After), e.PrevHash, e.Hash)
	if err != nil {
		return audit.Entry{}, fmt.Errorf("append audit entry %d: %w", e.Seq, err)
	}
	if err := tx.Commit(); err != nil {
		return audit.Entry{}, fmt.Errorf("append audit entry %d: commit: %w", e.Seq, err)
	}
	return e, nil
}

// AuditEntries implements store.Auditor.
func (s *Store) AuditEntries(ctx context.Context, f store.AuditFilter) ([]audit.Entry, error) {
	q, args := `SELECT `+auditColumns+` FROM audit WHERE seq > ?`, []any{f.After}
	if f.Actor != "" {
		q, args = q+` AND actor = ?`, append(args, f.Actor)
	}
	if f.Action != "" {
		q, args = q+` AND action = ?`, append(args, f.Action)
	}
	if f.Subject != "" {
		q, args = q+` AND substr(subject, 1, length(?)) = ?`, append(args, f.Subject, f.Subject)
	}
	if !f.Since.IsZero() {
		q, args = q+` AND at >= ?`, append(args, f.Since.UnixMicro())
	}
	order := ` ORDER BY seq`
	if f.Last {
		order = ` ORDER BY seq DESC`
	}
	rows, err := s.db.QueryContext(ctx, q+order+` LIMIT ?`, append(args, store.ListLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	defer rows.Close()
	es, err := store.ScanAudits(rows)
	if f.Last {
		slices.Reverse(es)
	}
	return es, err
}

// AuditLog implements store.Auditor.
func (s *Store) AuditLog(ctx context.Context) iter.Seq2[audit.Entry, error] {
	return func(yield func(audit.Entry, error) bool) {
		rows, err := s.db.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit ORDER BY seq`)
		if err != nil {
			yield(audit.Entry{}, fmt.Errorf("read audit log: %w", err))
			return
		}
		defer rows.Close()
		store.YieldAudit(rows, yield)
	}
}
