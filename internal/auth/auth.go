// Package auth says who may do what in raqib: the roles a user holds, the
// permissions each role grants, and the principal (a signed-in user or an
// API token) that a request or command acts as. Every route and every
// state change asks this package, so that one table answers "may X do Y".
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

var (
	// ErrUnauthenticated is returned when a request carries no valid
	// session or token.
	ErrUnauthenticated = errors.New("not signed in")
	// ErrForbidden is returned when the principal's role lacks the
	// permission an action needs.
	ErrForbidden = errors.New("not allowed for this role")
	// ErrBadRole is returned (wrapped) for a role name raqib does not know.
	ErrBadRole = errors.New("unknown role")
)

// Role is what a user or token may do, as a named set of permissions.
type Role string

// The roles of a unit: analysts work cases, seniors also approve what
// leaves the unit, admins run the system, auditors only read (including
// the audit trail). Monitor is for a scraper's token: it reads the
// metrics and nothing else, so Prometheus never holds an admin's power.
const (
	Analyst Role = "analyst"
	Senior  Role = "senior"
	Admin   Role = "admin"
	Auditor Role = "auditor"
	Monitor Role = "monitor"
)

// Roles lists every role, least to most powerful among the working roles;
// the auditor and the monitor read beside them.
var Roles = []Role{Analyst, Senior, Admin, Auditor, Monitor}

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles, r) {
		return "", fmt.Errorf("%w %q: want one of %v", ErrBadRole, s, Roles)
	}
	return r, nil
}

// Permission is one kind of thing a route or command does.
type Permission string

// Permissions. A route needs exactly one; Open routes need none.
const (
	// Open marks the few routes served without a principal: the health
	// check, the login page and the static files the login page uses.
	Open Permission = ""
	// Read is reading posts, cases, accounts, sources and banks.
	Read Permission = "read"
	// Decide is working cases: confirm, dismiss, escalate, assign,
	// comment, merge, reopen.
	Decide Permission = "decide"
	// Approve is approving what leaves the unit: referrals to platforms
	// and publication to partners.
	Approve Permission = "approve"
	// ManageBanks is creating, importing and switching hash banks.
	ManageBanks Permission = "banks"
	// ManageSources is adding, pausing and removing collection sources.
	ManageSources Permission = "sources"
	// ManageUsers is adding and disabling users and tokens.
	ManageUsers Permission = "users"
	// ReadAudit is reading the audit trail.
	ReadAudit Permission = "audit"
	// Ingest is pushing posts in (webhooks, machine clients).
	Ingest Permission = "ingest"
	// Metrics is scraping /metrics.
	Metrics Permission = "metrics"
)

// grants is the one table of what each role may do.
var grants = map[Role][]Permission{
	Analyst: {Read, Decide},
	Senior:  {Read, Decide, Approve},
	Admin:   {Read, Decide, Approve, ManageBanks, ManageSources, ManageUsers, ReadAudit, Ingest, Metrics},
	Auditor: {Read, ReadAudit},
	Monitor: {Metrics},
}

// Can reports whether role r has permission p. Every role can do what is
// Open.
func (r Role) Can(p Permission) bool {
	return p == Open || slices.Contains(grants[r], p)
}

// Principal is who a request or command acts as.
type Principal struct {
	// User is the user's name, or the token's name for a machine.
	User string `json:"user"`
	Role Role   `json:"role"`
	// Token is set when the principal is an API token, not a person.
	Token bool `json:"token,omitempty"`
	// Session identifies the session (hashed, never the cookie value), so
	// that audit entries of one sitting can be grouped.
	Session string `json:"session,omitempty"`
}

// Can reports whether p's role has permission perm.
func (p Principal) Can(perm Permission) bool { return p.Role.Can(perm) }

// Require returns ErrForbidden (wrapped, naming both) unless p may perm.
func (p Principal) Require(perm Permission) error {
	if !p.Can(perm) {
		return fmt.Errorf("%s (%s) may not %s: %w", p.User, p.Role, perm, ErrForbidden)
	}
	return nil
}

type ctxKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal ctx carries; ok is false when there is
// none.
func FromContext(ctx context.Context) (p Principal, ok bool) {
	p, ok = ctx.Value(ctxKey{}).(Principal)
	return p, ok
}
