package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Users = (*Store)(nil)

const userColumns = `name, role, password, disabled, created_at, changed_at`

func scanUser(row pgx.Row) (auth.User, error) {
	var (
		u    auth.User
		role string
	)
	if err := row.Scan(&u.Name, &role, &u.PasswordHash, &u.Disabled, &u.CreatedAt, &u.Changed); err != nil {
		return u, err
	}
	u.Role, u.CreatedAt, u.Changed = auth.Role(role), u.CreatedAt.UTC(), u.Changed.UTC()
	return u, nil
}

// uniqueViolation reports whether err is PostgreSQL's unique_violation.
func uniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// notFound turns pgx.ErrNoRows into store.ErrNotFound, naming what.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// changed turns an UPDATE that changed no row into store.ErrNotFound.
func changed(tag pgconn.CommandTag, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

// AddUser implements store.Users.
func (s *Store) AddUser(ctx context.Context, u auth.User) error {
	if !storable(u.Name) {
		return fmt.Errorf("user %q: %w", u.Name, auth.ErrBadName)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		u.Name, string(u.Role), u.PasswordHash, u.Disabled, u.CreatedAt, u.Changed)
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
	if !storable(name) {
		return auth.User{}, fmt.Errorf("user %q: %w", name, store.ErrNotFound)
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE name = $1`, name))
	return u, notFound(err, fmt.Sprintf("user %q", name))
}

// ListUsers implements store.Users.
func (s *Store) ListUsers(ctx context.Context) ([]auth.User, error) {
	return listRows(ctx, s, "list users", `SELECT `+userColumns+` FROM users ORDER BY name COLLATE "C"`, scanUser)
}

// listRows runs q and reads every row with scan.
func listRows[T any](ctx context.Context, s *Store, what, q string, scan func(pgx.Row) (T, error)) ([]T, error) {
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
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
	tag, err := s.pool.Exec(ctx, `UPDATE users SET role = $1, password = $2, disabled = $3, changed_at = $4 WHERE name = $5`,
		string(u.Role), u.PasswordHash, u.Disabled, u.Changed, text(u.Name))
	return changed(tag, err, fmt.Sprintf("update user %q", u.Name))
}

// AddSession implements store.Users.
func (s *Store) AddSession(ctx context.Context, ss auth.Session) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (id, username, ip, created_at, seen_at) VALUES ($1, $2, $3, $4, $5)`,
		ss.ID, ss.User, text(ss.IP), ss.CreatedAt, ss.SeenAt)
	if err != nil {
		return fmt.Errorf("add session of %q: %w", ss.User, err)
	}
	return nil
}

// Session implements store.Users.
func (s *Store) Session(ctx context.Context, id string) (auth.Session, error) {
	ss := auth.Session{ID: id}
	err := s.pool.QueryRow(ctx, `SELECT username, ip, created_at, seen_at FROM sessions WHERE id = $1`, text(id)).
		Scan(&ss.User, &ss.IP, &ss.CreatedAt, &ss.SeenAt)
	ss.CreatedAt, ss.SeenAt = ss.CreatedAt.UTC(), ss.SeenAt.UTC()
	return ss, notFound(err, "session")
}

// TouchSession implements store.Users.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET seen_at = $1 WHERE id = $2`, at, text(id))
	return changed(tag, err, "touch session")
}

// EndSession implements store.Users.
func (s *Store) EndSession(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, text(id)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndSessions implements store.Users.
func (s *Store) EndSessions(ctx context.Context, user string) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE username = $1`, text(user))
	if err != nil {
		return 0, fmt.Errorf("end sessions of %q: %w", user, err)
	}
	return int(tag.RowsAffected()), nil
}

// PruneSessions implements store.Users.
func (s *Store) PruneSessions(ctx context.Context, seen, created time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE seen_at < $1 OR created_at < $2`, seen, created); err != nil {
		return fmt.Errorf("prune sessions: %w", err)
	}
	return nil
}

const tokenColumns = `name, role, hash, created_at, created_by, revoked_at`

func scanToken(row pgx.Row) (auth.Token, error) {
	var (
		t       auth.Token
		role    string
		revoked *time.Time
	)
	if err := row.Scan(&t.Name, &role, &t.Hash, &t.CreatedAt, &t.CreatedBy, &revoked); err != nil {
		return t, err
	}
	t.Role, t.CreatedAt = auth.Role(role), t.CreatedAt.UTC()
	if revoked != nil {
		t.RevokedAt = revoked.UTC()
	}
	return t, nil
}

// AddToken implements store.Users.
func (s *Store) AddToken(ctx context.Context, t auth.Token) error {
	if !storable(t.Name) {
		return fmt.Errorf("token %q: %w", t.Name, auth.ErrBadName)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.Name, string(t.Role), t.Hash, t.CreatedAt, text(t.CreatedBy), timestamp(t.RevokedAt))
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
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, text(hash)))
	return t, notFound(err, "token")
}

// ListTokens implements store.Users.
func (s *Store) ListTokens(ctx context.Context) ([]auth.Token, error) {
	return listRows(ctx, s, "list tokens", `SELECT `+tokenColumns+` FROM tokens ORDER BY name COLLATE "C"`, scanToken)
}

// RevokeToken implements store.Users.
func (s *Store) RevokeToken(ctx context.Context, name string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL`, at, text(name))
	return changed(tag, err, fmt.Sprintf("revoke token %q", name))
}
