package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlstore"
)

// dialect is how SQLite keeps what sqlstore's queries read and write.
var dialect = sqlstore.Dialect{
	Time:        func(t time.Time) any { return unixMilli(t) },
	OptTime:     func(t time.Time) any { return unixMilli(t) },
	Unset:       ` = 0`,
	Set:         ` > 0`,
	Text:        func(s string) any { return s },
	Storable:    func(string) bool { return true },
	Unique:      uniqueViolation,
	Greatest:    "MAX",
	Least:       "MIN",
	SessionUser: "user",
	RowOrder:    "rowid",
	PostRow:     "rowid",
	// Without statistics the planner takes cases_status and sorts every
	// open case: 250 ms at 50,000 of them, against 40 µs through the
	// index that is in queue order.
	QueueIndex: " INDEXED BY cases_open_prio",
	// Append's transaction begins IMMEDIATE (see the connection string),
	// taking SQLite's one write lock before it reads the last entry, so
	// that appends of other processes on the same file wait.
	Audit: sqlstore.AuditDialect{At: "at", Time: func(t time.Time) any { return t.UnixMicro() }},
}

// uniqueViolation reports whether err is SQLite's UNIQUE or PRIMARY KEY
// constraint failure.
func uniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// sqlDB is sqlstore.DB on the store's pool: statements outside a
// transaction write under the store's write lock.
type sqlDB struct{ s *Store }

func (d sqlDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	n, err := rowsAffected(d.s.db.ExecContext(ctx, q, args...))
	if err == nil {
		d.s.ckpt.committed()
	}
	return n, err
}

func (d sqlDB) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return oneRow{d.s.db.QueryRowContext(ctx, q, args...)}
}

func (d sqlDB) Query(ctx context.Context, q string, args []any, fn func(store.Rows) error) error {
	return query(ctx, d.s.db, q, args, fn)
}

// Tx runs fn in a transaction under the write lock; the connection string
// begins it IMMEDIATE, so it holds SQLite's write lock from the start.
func (d sqlDB) Tx(ctx context.Context, fn func(sqlstore.DB) error) error {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	tx, err := d.s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(sqlTx{tx}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	d.s.ckpt.committed()
	return nil
}

// sqlTx is sqlstore.DB inside one of sqlDB's transactions.
type sqlTx struct{ tx *sql.Tx }

func (t sqlTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return rowsAffected(t.tx.ExecContext(ctx, q, args...))
}

func (t sqlTx) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return oneRow{t.tx.QueryRowContext(ctx, q, args...)}
}

func (t sqlTx) Query(ctx context.Context, q string, args []any, fn func(store.Rows) error) error {
	return query(ctx, t.tx, q, args, fn)
}

func (t sqlTx) Tx(_ context.Context, fn func(sqlstore.DB) error) error { return fn(t) }

func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func query(ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, q string, args []any, fn func(store.Rows) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return fn(rows)
}

// oneRow turns sql.ErrNoRows into store.ErrNotFound.
type oneRow struct{ r *sql.Row }

func (r oneRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
