package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Auditor = Store{}

// AuditDialect is how a store keeps the audit trail.
type AuditDialect struct {
	// At selects the at column in Unix microseconds.
	At string
	// Time encodes an entry's time, kept to the microsecond.
	Time func(time.Time) any
}

func (s Store) auditColumns() string { return store.AuditColumns(s.d.Audit.At) }

// Append implements store.Auditor. The last entry is read after the
// append has the store to itself, so the next append reads this one's
// entry and the chain never forks.
func (s Store) Append(ctx context.Context, e audit.Entry) (audit.Entry, error) {
	err := s.db.Tx(ctx, func(tx DB) error {
		if err := s.serialize(ctx, tx, "audit"); err != nil {
			return err
		}
		var prev audit.Entry
		err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&prev.Seq, &prev.Hash)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("read last: %w", err)
		}
		if e, err = audit.Seal(prev, e, time.Now()); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit (seq, at, actor, source, action, subject, before_json, after_json, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			e.Seq, s.d.Audit.Time(e.At), e.Actor, e.Source, e.Action, e.Subject, []byte(e.Before), []byte(e.After), e.PrevHash, e.Hash)
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
func (s Store) AuditEntries(ctx context.Context, f store.AuditFilter) ([]audit.Entry, error) {
	q, args := `SELECT `+s.auditColumns()+` FROM audit WHERE seq > $1`, []any{f.After}
	next := func() string { return "$" + strconv.Itoa(len(args)) }
	if f.Actor != "" {
		args = append(args, f.Actor)
		q += ` AND actor = ` + next()
	}
	if f.Action != "" {
		args = append(args, f.Action)
		q += ` AND action = ` + next()
	}
	if f.Subject != "" {
		args = append(args, f.Subject)
		q += ` AND substr(subject, 1, length(` + next() + `)) = ` + next()
	}
	if !f.Since.IsZero() {
		args = append(args, s.d.Audit.Time(f.Since))
		q += ` AND at >= ` + next()
	}
	order := ` ORDER BY seq`
	if f.Last {
		order = ` ORDER BY seq DESC`
	}
	args = append(args, store.ListLimit(f.Limit))
	var es []audit.Entry
	err := s.db.Query(ctx, q+order+` LIMIT `+next(), args, func(rows store.Rows) (err error) {
		es, err = store.ScanAudits(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	if f.Last {
		slices.Reverse(es)
	}
	return es, nil
}

// AuditLog implements store.Auditor. Rows are read as they arrive, so the
// log is never held in memory.
func (s Store) AuditLog(ctx context.Context) iter.Seq2[audit.Entry, error] {
	return func(yield func(audit.Entry, error) bool) {
		err := s.db.Query(ctx, `SELECT `+s.auditColumns()+` FROM audit ORDER BY seq`, nil, func(rows store.Rows) error {
			store.YieldAudit(rows, yield)
			return nil
		})
		if err != nil {
			yield(audit.Entry{}, fmt.Errorf("read audit log: %w", err))
		}
	}
}
