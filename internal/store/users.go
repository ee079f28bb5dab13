package store

import (
	"context"
	"errors"
	"time"

	"github.com/raqib-project/raqib/internal/auth"
)

// ErrNameTaken is returned when a user or token of that name is stored
// already.
var ErrNameTaken = errors.New("name taken")

// Users keeps the people and machines that may use raqib: users with
// their password hashes, server-side sessions and API tokens (see package
// auth). Sessions and tokens are stored and looked up by the hash of their
// secret only. It is a separate interface so that a store can be used
// before it supports users.
type Users interface {
	// AddUser stores a new user; ErrNameTaken when the name is.
	AddUser(ctx context.Context, u auth.User) error
	// User returns the user of that name, or ErrNotFound.
	User(ctx context.Context, name string) (auth.User, error)
	// ListUsers returns every user, by name.
	ListUsers(ctx context.Context) ([]auth.User, error)
	// UpdateUser stores u's role, password hash, Disabled and Changed;
	// ErrNotFound when there is no such user.
	UpdateUser(ctx context.Context, u auth.User) error

	// AddSession stores a new session of a stored user.
	AddSession(ctx context.Context, s auth.Session) error
	// Session returns the session with that id (the secret's hash), or
	// ErrNotFound.
	Session(ctx context.Context, id string) (auth.Session, error)
	// TouchSession sets the session's SeenAt.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// EndSession deletes a session; ending one that is gone is no error.
	EndSession(ctx context.Context, id string) error
	// EndSessions deletes every session of a user and says how many.
	EndSessions(ctx context.Context, user string) (int, error)
	// PruneSessions deletes the sessions seen before seen or created
	// before created: those no policy would accept any more.
	PruneSessions(ctx context.Context, seen, created time.Time) error

	// AddToken stores a new API token; ErrNameTaken when the name is,
	// revoked tokens included, so that audit entries stay unambiguous.
	AddToken(ctx context.Context, t auth.Token) error
	// Token returns the token with that hash, revoked or not, or
	// ErrNotFound.
	Token(ctx context.Context, hash string) (auth.Token, error)
	// ListTokens returns every token, by name.
	ListTokens(ctx context.Context) ([]auth.Token, error)
	// RevokeToken sets RevokedAt of the token of that name; ErrNotFound
	// when there is no such token that is not revoked already.
	RevokeToken(ctx context.Context, name string, at time.Time) error
}

// SetUserDisabled disables or enables the user of that name at now and,
// when it disables, ends the user's sessions, so that a disabled user
// keeps no sitting open. It returns the user before and after, for the
// audit trail, and how many sessions it ended.
func SetUserDisabled(ctx context.Context, us Users, name string, disabled bool, now time.Time) (before, after auth.User, ended int, err error) {
	if before, err = us.User(ctx, name); err != nil {
		return before, after, 0, err
	}
	after = before
	after.Disabled, after.Changed = disabled, now
	if err = us.UpdateUser(ctx, after); err != nil {
		return before, after, 0, err
	}
	if disabled {
		ended, err = us.EndSessions(ctx, name)
	}
	return before, after, ended, err
}
