package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/store"
)

var _ store.Users = Store{}

const userColumns = `name, role, password, disabled, created_at, changed_at`

func scanUser(scan func(...any) error) (auth.User, error) {
	var (
		u    auth.User
		role string
	)
	if err := scan(&u.Name, &role, &u.PasswordHash, &u.Disabled, store.ScanTime(&u.CreatedAt), store.ScanTime(&u.Changed)); err != nil {
		return u, err
	}
	u.Role = auth.Role(role)
	return u, nil
}

// AddUser implements store.Users.
func (s Store) AddUser(ctx context.Context, u auth.User) error {
	if !s.d.Storable(u.Name) {
		return fmt.Errorf("user %q: %w", u.Name, auth.ErrBadName)
	}
	_, err := s.db.Exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		u.Name, string(u.Role), u.PasswordHash, u.Disabled, s.d.Time(u.CreatedAt), s.d.Time(u.Changed))
	if s.d.Unique(err) {
		return fmt.Errorf("user %q: %w", u.Name, store.ErrNameTaken)
	}
	if err != nil {
		return fmt.Errorf("add user %q: %w", u.Name, err)
	}
	return nil
}

// User implements store.Users.
func (s Store) User(ctx context.Context, name string) (auth.User, error) {
	if !s.d.Storable(name) {
		return auth.User{}, fmt.Errorf("user %q: %w", name, store.ErrNotFound)
	}
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE name = $1`, name).Scan)
	if err != nil {
		return u, fmt.Errorf("user %q: %w", name, err)
	}
	return u, nil
}

// ListUsers implements store.Users.
func (s Store) ListUsers(ctx context.Context) ([]auth.User, error) {
	return list(ctx, s.db, "list users", `SELECT `+userColumns+` FROM users ORDER BY name`+s.d.Bytewise, nil, scanUser)
}

// UpdateUser implements store.Users.
func (s Store) UpdateUser(ctx context.Context, u auth.User) error {
	n, err := s.db.Exec(ctx, `UPDATE users SET role = $1, password = $2, disabled = $3, changed_at = $4 WHERE name = $5`,
		string(u.Role), u.PasswordHash, u.Disabled, s.d.Time(u.Changed), s.d.Text(u.Name))
	return changed(n, err, fmt.Sprintf("update user %q", u.Name))
}

// AddSession implements store.Users.
func (s Store) AddSession(ctx context.Context, ss auth.Session) error {
	_, err := s.db.Exec(ctx, `INSERT INTO sessions (id, `+s.d.SessionUser+`, ip, created_at, seen_at) VALUES ($1, $2, $3, $4, $5)`,
		ss.ID, ss.User, s.d.Text(ss.IP), s.d.Time(ss.CreatedAt), s.d.Time(ss.SeenAt))
	if err != nil {
		return fmt.Errorf("add session of %q: %w", ss.User, err)
	}
	return nil
}

// Session implements store.Users.
func (s Store) Session(ctx context.Context, id string) (auth.Session, error) {
	ss := auth.Session{ID: id}
	err := s.db.QueryRow(ctx, `SELECT `+s.d.SessionUser+`, ip, created_at, seen_at FROM sessions WHERE id = $1`, s.d.Text(id)).
		Scan(&ss.User, &ss.IP, store.ScanTime(&ss.CreatedAt), store.ScanTime(&ss.SeenAt))
	if err != nil {
		return ss, fmt.Errorf("session: %w", err)
	}
	return ss, nil
}

// TouchSession implements store.Users.
func (s Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	n, err := s.db.Exec(ctx, `UPDATE sessions SET seen_at = $1 WHERE id = $2`, s.d.Time(at), s.d.Text(id))
	return changed(n, err, "touch session")
}

// EndSession implements store.Users.
func (s Store) EndSession(ctx context.Context, id string) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, s.d.Text(id)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndSessions implements store.Users.
func (s Store) EndSessions(ctx context.Context, user string) (int, error) {
	n, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE `+s.d.SessionUser+` = $1`, s.d.Text(user))
	if err != nil {
		return 0, fmt.Errorf("end sessions of %q: %w", user, err)
	}
	return int(n), nil
}

// PruneSessions implements store.Users.
func (s Store) PruneSessions(ctx context.Context, seen, created time.Time) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE seen_at < $1 OR created_at < $2`, s.d.Time(seen), s.d.Time(created)); err != nil {
		return fmt.Errorf("prune sessions: %w", err)
	}
	return nil
}

const tokenColumns = `name, role, hash, created_at, created_by, revoked_at`

func scanToken(scan func(...any) error) (auth.Token, error) {
	var (
		t    auth.Token
		role string
	)
	if err := scan(&t.Name, &role, &t.Hash, store.ScanTime(&t.CreatedAt), &t.CreatedBy, store.ScanTime(&t.RevokedAt)); err != nil {
		return t, err
	}
	t.Role = auth.Role(role)
	return t, nil
}

// AddToken implements store.Users.
func (s Store) AddToken(ctx context.Context, t auth.Token) error {
	if !s.d.Storable(t.Name) {
		return fmt.Errorf("token %q: %w", t.Name, auth.ErrBadName)
	}
	_, err := s.db.Exec(ctx, `INSERT INTO tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.Name, string(t.Role), t.Hash, s.d.Time(t.CreatedAt), s.d.Text(t.CreatedBy), s.d.OptTime(t.RevokedAt))
	if s.d.Unique(err) {
		return fmt.Errorf("token %q: %w", t.Name, store.ErrNameTaken)
	}
	if err != nil {
		return fmt.Errorf("add token %q: %w", t.Name, err)
	}
	return nil
}

// Token implements store.Users.
func (s Store) Token(ctx context.Context, hash string) (auth.Token, error) {
	t, err := scanToken(s.db.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, s.d.Text(hash)).Scan)
	if err != nil {
		return t, fmt.Errorf("token: %w", err)
	}
	return t, nil
}

// ListTokens implements store.Users.
func (s Store) ListTokens(ctx context.Context) ([]auth.Token, error) {
	return list(ctx, s.db, "list tokens", `SELECT `+tokenColumns+` FROM tokens ORDER BY name`+s.d.Bytewise, nil, scanToken)
}

// RevokeToken implements store.Users.
func (s Store) RevokeToken(ctx context.Context, name string, at time.Time) error {
	n, err := s.db.Exec(ctx, `UPDATE tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at`+s.d.Unset, s.d.Time(at), s.d.Text(name))
	return changed(n, err, fmt.Sprintf("revoke token %q", name))
}
