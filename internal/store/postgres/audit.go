package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Auditor = (*Store)(nil)

// at is kept as timestamptz, microseconds like audit.Seal's times, and read
// back as Unix microseconds, exactly, through numeric.
var auditColumns = store.AuditColumns("(extract(epoch FROM at) * 1000000)::bigint")

// Append implements store.Auditor. A transaction-scoped advisory lock,
// keyed on the schema, serializes appends of every process and worker on
// the database; it is taken before the last entry is read, and each
// statement of a READ COMMITTED transaction sees what committed before it,
// so the next append reads this one's entry and the chain never forks.
func (s *Store) Append(ctx context.Context, e audit.Entry) (audit.Entry, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('raqib audit ' || current_schema(), 0))`); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		var prev audit.Entry
		err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&prev.Seq, &prev.Hash)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("read last: %w", err)
		}
		if e, err = audit.Seal(prev, e, time.Now()); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit (seq, at, actor, source, action, subject, before_json, after_json, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			e.Seq, e.At, e.Actor, e.Source, e.Action, e.Subject, []byte(e.Before), []byte(e.After), e.PrevHash, e.Hash)
		return err
	})
	if err != nil {
		if errors.Is(err, audit.ErrBadEntry) {
			return audit.Entry{}, err
		}
		return audit.Entry{}, fmt.Errorf("append audit entry: %w", err)
	}
	return e, nil
}

// AuditEntries implements store.Auditor.
func (s *Store) AuditEntries(ctx context.Context, f store.AuditFilter) ([]audit.Entry, error) {
	var since *time.Time
	if !f.Since.IsZero() {
		since = &f.Since
	}
	order := "seq"
	if f.Last {
		order = "seq DESC"
	}
	rows, err := s.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit
		WHERE seq > $1 AND ($2 = '' OR actor = $2) AND ($3::timestamptz IS NULL OR at >= $3)
			AND ($5 = '' OR action = $5) AND ($6 = '' OR left(subject, length($6)) = $6)
		ORDER BY `+order+` LIMIT $4`, f.After, f.Actor, since, store.ListLimit(f.Limit), f.Action, f.Subject)
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

// AuditLog implements store.Auditor. pgx reads the rows as they arrive,
// so the log is never held in memory.
func (s *Store) AuditLog(ctx context.Context) iter.Seq2[audit.Entry, error] {
	return func(yield func(audit.Entry, error) bool) {
		rows, err := s.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit ORDER BY seq`)
		if err != nil {
			yield(audit.Entry{}, fmt.Errorf("read audit log: %w", err))
			return
		}
		defer rows.Close()
		store.YieldAudit(rows, yield)
	}
}
