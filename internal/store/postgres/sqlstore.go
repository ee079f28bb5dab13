package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlstore"
)

// dialect is how PostgreSQL keeps what sqlstore's queries read and write.
var dialect = sqlstore.Dialect{
	Time:        func(t time.Time) any { return t },
	OptTime:     timestamp,
	Unset:       ` IS NULL`,
	Set:         ` IS NOT NULL`,
	Text:        func(s string) any { return text(s) },
	Storable:    storable,
	Unique:      uniqueViolation,
	Bytewise:    ` COLLATE "C"`,
	Greatest:    "greatest",
	Least:       "least",
	SessionUser: "username",
	ForShare:    ` FOR SHARE`,
	ForUpdate:   ` FOR UPDATE`,
	RowOrder:    "id",
	PostRow:     "id",
	SkipLocked:  ` FOR UPDATE SKIP LOCKED`,
	Audit: sqlstore.AuditDialect{
		// at is kept as timestamptz, microseconds like audit.Seal's times,
		// and read back as Unix microseconds, exactly, through numeric.
		At:   "(extract(epoch FROM at) * 1000000)::bigint",
		Time: func(t time.Time) any { return t },
	},
	// A transaction-scoped advisory lock, keyed on the schema, serializes
	// what it names across every process and worker on the database; each
	// statement of a READ COMMITTED transaction sees what committed
	// before it, so the audit append after one reads its entry.
	Serialize: func(what string) string {
		return `SELECT pg_advisory_xact_lock(hashtextextended('raqib ` + what + ` ' || current_schema(), 0))`
	},
}

// uniqueViolation reports whether err is PostgreSQL's unique_violation.
func uniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// conn is what a pool and a transaction both offer.
type conn interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
}

// pgDB is sqlstore.DB on the pool or in one of its transactions.
type pgDB struct{ q conn }

func (d pgDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := d.q.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

func (d pgDB) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return oneRow{d.q.QueryRow(ctx, q, args...)}
}

func (d pgDB) Query(ctx context.Context, q string, args []any, fn func(store.Rows) error) error {
	rows, err := d.q.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return fn(rows)
}

// Tx runs fn in a transaction; inside one, in a savepoint.
func (d pgDB) Tx(ctx context.Context, fn func(sqlstore.DB) error) error {
	return pgx.BeginFunc(ctx, d.q, func(tx pgx.Tx) error { return fn(pgDB{tx}) })
}

// oneRow turns pgx.ErrNoRows into store.ErrNotFound.
type oneRow struct{ r pgx.Row }

func (r oneRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
