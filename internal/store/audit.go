package store

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
)

// AuditFilter selects audit entries. Zero fields do not filter.
type AuditFilter struct {
	Actor  string
	Action string
	// Subject selects the entries whose subject starts with it, such as
	// the captures of one case ("case-7/").
	Subject string
	Since   time.Time // entries at or after
	After   int64     // entries with a greater Seq
	Limit   int       // default 100
	// Last lists the newest matching entries instead of the oldest,
	// still in Seq order: Limit 1 reads the trail's head.
	Last bool
}

// Auditor keeps the audit trail (see package audit). Appends are
// serialized across every process that writes to the store, so the chain
// never forks.
type Auditor interface {
	// Append seals e after the last stored entry (audit.Seal) and stores
	// it, and returns it as stored, with Seq, PrevHash and Hash. Seq,
	// PrevHash and Hash of the argument are ignored; a zero At becomes now.
	Append(ctx context.Context, e audit.Entry) (audit.Entry, error)
	// AuditEntries lists up to ListLimit(f.Limit) entries matching f, in
	// Seq order.
	AuditEntries(ctx context.Context, f AuditFilter) ([]audit.Entry, error)
	// AuditLog yields every entry in Seq order, reading them as it goes:
	// what audit.Verify walks. It stops at the first error, yielded last.
	AuditLog(ctx context.Context) iter.Seq2[audit.Entry, error]
}

// AuditColumns are the columns ScanAudit reads, in its order, with at in
// Unix microseconds as atMicros selects it.
func AuditColumns(atMicros string) string {
	return "seq, " + atMicros + ", actor, source, action, subject, before_json, after_json, prev_hash, hash"
}

// ScanAudit reads one entry of AuditColumns with scan, a rows' Scan.
func ScanAudit(scan func(dest ...any) error) (audit.Entry, error) {
	var (
		e             audit.Entry
		at            int64
		before, after []byte // drivers set a *[]byte, not a *json.RawMessage, to nil for NULL
	)
	if err := scan(&e.Seq, &at, &e.Actor, &e.Source, &e.Action, &e.Subject, &before, &after, &e.PrevHash, &e.Hash); err != nil {
		return e, fmt.Errorf("read audit entry: %w", err)
	}
	e.At, e.Before, e.After = time.UnixMicro(at).UTC(), before, after
	return e, nil
}

// YieldAudit yields the entries of rows of AuditColumns until yield
// returns false, then an error of rows, if any. The caller closes rows.
func YieldAudit(rows Rows, yield func(audit.Entry, error) bool) {
	for rows.Next() {
		e, err := ScanAudit(rows.Scan)
		if !yield(e, err) || err != nil {
			return
		}
	}
	if err := rows.Err(); err != nil {
		yield(audit.Entry{}, fmt.Errorf("read audit log: %w", err))
	}
}

// ScanAudits reads every entry of rows of AuditColumns.
func ScanAudits(rows Rows) ([]audit.Entry, error) {
	var es []audit.Entry
	var err error
	YieldAudit(rows, func(e audit.Entry, e2 error) bool {
		if e2 != nil {
			err = e2
			return false
		}
		es = append(es, e)
		return true
	})
	return es, err
}
