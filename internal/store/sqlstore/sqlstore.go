// Package sqlstore holds the queries that the SQL stores, store/sqlite and
// store/postgres, run alike: their text is written once, with $1-style
// placeholders (PostgreSQL's, which SQLite takes as well), and each store
// supplies a DB that runs it and a Dialect for what the two databases keep
// differently (times, text, locks, names, constraint errors). Sub-interfaces
// whose SQL differs in more than that stay in each store.
package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/raqib-project/raqib/internal/store"
)

// DB runs statements: a store's connections, or one of its transactions.
// QueryRow's Scan returns store.ErrNotFound when there is no row.
type DB interface {
	// Exec runs a statement and says how many rows it changed.
	Exec(ctx context.Context, q string, args ...any) (int64, error)
	QueryRow(ctx context.Context, q string, args ...any) Row
	// Query runs q and calls fn with its rows, which it closes after.
	Query(ctx context.Context, q string, args []any, fn func(store.Rows) error) error
	// Tx runs fn in one write transaction, committed when fn returns nil.
	Tx(ctx context.Context, fn func(DB) error) error
}

// Row is one row of QueryRow.
type Row interface {
	Scan(dest ...any) error
}

// Dialect is what the two databases keep differently.
type Dialect struct {
	// Time encodes a time for a column that is never unset: Unix
	// milliseconds in SQLite, the time itself in PostgreSQL.
	Time func(time.Time) any
	// OptTime encodes a time that the zero time leaves unset: 0 in SQLite,
	// NULL in PostgreSQL.
	OptTime func(time.Time) any
	// Unset and Set are the tests that a time column is unset or set,
	// after its name; Set is the condition of the partial indexes of
	// times.
	Unset, Set string
	// Text makes a descriptive string storable: PostgreSQL's text refuses
	// NUL and invalid UTF-8.
	Text func(string) any
	// Storable reports whether a key can be stored as it is; one that
	// cannot is never found.
	Storable func(string) bool
	// Unique reports whether err is a unique-constraint violation.
	Unique func(error) bool
	// Greatest and Least name the functions that take the greater and
	// the lesser of two values.
	Greatest, Least string
	// Bytewise follows a text column in ORDER BY to order it by bytes, as
	// SQLite does by default.
	Bytewise string
	// Serialize, when set, returns the statement that a transaction runs
	// first so that no other transaction runs what (one name per kind)
	// until it ends; a store whose transactions serialize writers
	// already leaves it nil.
	Serialize func(what string) string
	// ForShare ends a SELECT of a row that must not change until the
	// transaction ends.
	ForShare string
	// ForUpdate ends a SELECT of rows a transaction is about to change:
	// where writers run at once, it locks them until the transaction ends.
	ForUpdate string
	// QueueIndex follows the cases table in the query of every open case
	// where the planner would not take the index in queue order.
	QueueIndex string
	// SkipLocked ends the subquery of the rows a claim takes: where
	// writers run at once, it skips rows another claim has locked.
	SkipLocked string
	// PostRow names the posts table's row id, which post_versions refers
	// to as post_ and that name.
	PostRow string
	// RowOrder names the column that orders the rows of a table without a
	// key of its own as they were inserted.
	RowOrder string
	// Audit is how the audit trail is kept.
	Audit AuditDialect
	// SessionUser names the sessions table's user column: user is a
	// reserved word in PostgreSQL.
	SessionUser string
}

// Store implements the sub-interfaces of store.Store whose SQL both
// stores share, on db.
type Store struct {
	db DB
	d  Dialect
}

// New returns the shared queries on db in dialect d.
func New(db DB, d Dialect) Store {
	return Store{db: db, d: d}
}

// serialize runs the dialect's Serialize statement for what in tx.
func (s Store) serialize(ctx context.Context, tx DB, what string) error {
	if s.d.Serialize == nil {
		return nil
	}
	if _, err := tx.Exec(ctx, s.d.Serialize(what)); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	return nil
}

// list runs q and reads every row with scan.
func list[T any](ctx context.Context, db DB, what, q string, args []any, scan func(func(...any) error) (T, error)) ([]T, error) {
	var out []T
	err := db.Query(ctx, q, args, func(rows store.Rows) error {
		for rows.Next() {
			v, err := scan(rows.Scan)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// changed turns a statement that changed no row into store.ErrNotFound,
// naming what.
func changed(n int64, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}
