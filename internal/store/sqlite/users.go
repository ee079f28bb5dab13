package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Users = (*Store)(nil)

const userColumns = `name, role, password, disabled, created_at, changed_at`

func scanUser(scan func(...any) error) (auth.User, error) {
	var (
		u                auth.User
		role             string
		disabled         int
		created, changed int64
	)
	if err := scan(&u.Name, &role, &u.PasswordHash, &disabled, &created, &changed); err != nil {
		return u, err
	}
	u.Role, u.Disabled, u.CreatedAt, u.Changed = auth.Role(role), disabled != 0, fromMilli(created), fromMilli(changed)
	return u, nil
}

// writeOne runs one statement under the store's write lock.
func (s *Store) writeOne(ctx context.Context, q string, args ...any) (sql.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.ExecContext(ctx, q, args...)
}

// uniqueViolation reports whether err is SQLite's UNIQUE or PRIMARY KEY
// constraint failure.
func uniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// AddUser implements store.Users.
func (s *Store) AddUser(ctx context.Context, u auth.User) error {
	_, err := s.writeOne(ctx, `INSERT INTO users(`+userColumns+`) VALUES (?,?,?,?,?,?)`,
		u.Name, string(u.Role), u.PasswordHash, boolInt(u.Disabled), unixMilli(u.CreatedAt), unixMilli(u.Changed))
	if uniqueViolation(err) {
		return fmt.Errorf("user %q: %w", u.Name, store.ErrNameTaken)
	}
	if err != nil {
		return fmt.Errorf("add user %q: %w", u.Name, err)
	}
	return nil
}

// User implements store.Users.
func (s *Store) User(ctx context.Context, name string) (auth.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("user %q: %w", name, err)
	}
	return u, nil
}

// ListUsers implements store.Users.
func (s *Store) ListUsers(ctx context.Context) ([]auth.User, error) {
	return listRows(ctx, s.db, "list users", `SELECT `+userColumns+` FROM users ORDER BY name`, scanUser)
}

// listRows runs q and reads every row with scan.
func listRows[T any](ctx context.Context, db *sql.DB, what, q string, scan func(func(...any) error) (T, error)) ([]T, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// UpdateUser implements store.Users.
func (s *Store) UpdateUser(ctx context.Context, u auth.User) error {
	res, err := s.writeOne(ctx, `UPDATE users SET role = ?, password = ?, disabled = ?, changed_at = ? WHERE name = ?`,
		string(u.Role), u.PasswordHash, boolInt(u.Disabled), unixMilli(u.Changed), u.Name)
	return affected(res, err, "update user %q", u.Name)
}

// affected turns an UPDATE's result into ErrNotFound when it changed no
// row.
func affected(res sql.Result, err error, format string, arg any) error {
	if err != nil {
		return fmt.Errorf(format+": %w", arg, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf(format+": %w", arg, store.ErrNotFound)
	}
	return nil
}

// AddSession implements store.Users.
func (s *Store) AddSession(ctx context.Context, ss auth.Session) error {
	_, err := s.writeOne(ctx, `INSERT INTO sessions(id, user, ip, created_at, seen_at) VALUES (?,?,?,?,?)`,
		ss.ID, ss.User, ss.IP, unixMilli(ss.CreatedAt), unixMilli(ss.SeenAt))
	if err != nil {
		return fmt.Errorf("add session of %q: %w", ss.User, err)
	}
	return nil
}

// Session implements store.Users.
func (s *Store) Session(ctx context.Context, id string) (auth.Session, error) {
	ss := auth.Session{ID: id}
	var created, seen int64
	err := s.db.QueryRowContext(ctx, `SELECT user, ip, created_at, seen_at FROM sessions WHERE id = ?`, id).Scan(&ss.User, &ss.IP, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return ss, fmt.Errorf("session: %w", store.ErrNotFound)
	}
	if err != nil {
		return ss, fmt.Errorf("session: %w", err)
	}
	ss.CreatedAt, ss.SeenAt = fromMilli(created), fromMilli(seen)
	return ss, nil
}

// TouchSession implements store.Users.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	res, err := s.writeOne(ctx, `UPDATE sessions SET seen_at = ? WHERE id = ?`, unixMilli(at), id)
	return affected(res, err, "touch session%s", "")
}

// EndSession implements store.Users.
func (s *Store) EndSession(ctx context.Context, id string) error {
	if _, err := s.writeOne(ctx, `DELETE FROM sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndSessions implements store.Users.
func (s *Store) EndSessions(ctx context.Context, user string) (int, error) {
	res, err := s.writeOne(ctx, `DELETE FROM sessions WHERE user = ?`, user)
	if err != nil {
		return 0, fmt.Errorf("end sessions of %q: %w", user, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// PruneSessions implements store.Users.
func (s *Store) PruneSessions(ctx context.Context, seen, created time.Time) error {
	if _, err := s.writeOne(ctx, `DELETE FROM sessions WHERE seen_at < ? OR created_at < ?`, unixMilli(seen), unixMilli(created)); err != nil {
		return fmt.Errorf("prune sessions: %w", err)
	}
	return nil
}

const tokenColumns = `name, role, hash, created_at, created_by, revoked_at`

func scanToken(scan func(...any) error) (auth.Token, error) {
	var (
		t                auth.Token
		role             string
		created, revoked int64
	)
	if err := scan(&t.Name, &role, &t.Hash, &created, &t.CreatedBy, &revoked); err != nil {
		return t, err
	}
	t.Role, t.CreatedAt, t.RevokedAt = auth.Role(role), fromMilli(created), fromMilli(revoked)
	return t, nil
}

// AddToken implements store.Users.
func (s *Store) AddToken(ctx context.Context, t auth.Token) error {
	_, err := s.writeOne(ctx, `INSERT INTO tokens(`+tokenColumns+`) VALUES (?,?,?,?,?,?)`,
		t.Name, string(t.Role), t.Hash, unixMilli(t.CreatedAt), t.CreatedBy, unixMilli(t.RevokedAt))
	if uniqueViolation(err) {
		return fmt.Errorf("token %q: %w", t.Name, store.ErrNameTaken)
	}
	if err != nil {
		return fmt.Errorf("add token %q: %w", t.Name, err)
	}
	return nil
}

// Token implements store.Users.
func (s *Store) Token(ctx context.Context, hash string) (auth.Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = ?`, hash).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("token: %w", store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("token: %w", err)
	}
	return t, nil
}

// ListTokens implements store.Users.
func (s *Store) ListTokens(ctx context.Context) ([]auth.Token, error) {
	return listRows(ctx, s.db, "list tokens", `SELECT `+tokenColumns+` FROM tokens ORDER BY name`, scanToken)
}

// RevokeToken implements store.Users.
func (s *Store) RevokeToken(ctx context.Context, name string, at time.Time) error {
	res, err := s.writeOne(ctx, `UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at = 0`, unixMilli(at), name)
	return affected(res, err, "revoke token %q", name)
}
