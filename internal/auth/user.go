package auth

import (
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrBadName is returned (wrapped) for a user or token name raqib will not
// store.
var ErrBadName = errors.New("bad name")

// User is a person who signs in.
type User struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// PasswordHash is HashPassword's encoding; never shown or logged.
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	// Changed is when the role, password or Disabled last changed.
	Changed time.Time `json:"changed"`
}

// Token is a machine's credential, sent as "Authorization: Bearer".
type Token struct {
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Hash      string    `json:"-"` // HashSecret of the token
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Session is a signed-in browser, kept server-side. Its ID is the hash of
// the cookie's value, so that a copy of the store cannot be replayed.
type Session struct {
	ID        string
	User      string
	IP        string // where it signed in
	CreatedAt time.Time
	SeenAt    time.Time
}

// SessionPolicy bounds how long a session lives.
type SessionPolicy struct {
	Idle time.Duration // unused this long, it ends
	Max  time.Duration // this long after sign-in, it ends however used
}

// Live reports whether s is still valid at now.
func (p SessionPolicy) Live(s Session, now time.Time) bool {
	return now.Before(s.SeenAt.Add(p.Idle)) && now.Before(s.CreatedAt.Add(p.Max))
}

// LoginPolicy limits password guessing. Failures are counted in a sliding
// Window per user name and per client address; at the limit further
// attempts are refused, even with the right password, until failures age
// out of the window.
type LoginPolicy struct {
	Window         time.Duration
	PerUser, PerIP int
}

// ValidName checks a user or token name: 1 to 64 letters, digits, '.', '-',
// '_' or '@', so that it reads unambiguously in audit entries and logs.
func ValidName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return fmt.Errorf("%w %q: want 1 to 64 characters", ErrBadName, name)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '-' && r != '_' && r != '@' {
			return fmt.Errorf("%w %q: only letters, digits, '.', '-', '_' and '@'", ErrBadName, name)
		}
	}
	return nil
}
