package store

import (
	"context"
	"errors"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

// ErrDecided is returned when a successor link was decided already.
var ErrDecided = errors.New("already decided")

// AccountStatus is where an account stands.
type AccountStatus string

// Account statuses. Active is the default of an account seen posting.
const (
	StatusActive   AccountStatus = "active"
	StatusDormant  AccountStatus = "dormant"
	StatusRemoved  AccountStatus = "removed"
	StatusReferred AccountStatus = "referred"
)

// Valid reports whether s is one of the statuses.
func (s AccountStatus) Valid() bool {
	switch s {
	case StatusActive, StatusDormant, StatusRemoved, StatusReferred:
		return true
	}
	return false
}

// AccountRef names an account.
type AccountRef struct {
	Platform post.Platform `json:"platform"`
	ID       string        `json:"id"`
}

// AccountRecord is an account of the registry: what its posts said of it
// last, when it was seen, its status and its avatar.
type AccountRecord struct {
	post.Account
	FirstSeen time.Time     `json:"first_seen,omitzero"`
	LastSeen  time.Time     `json:"last_seen,omitzero"`
	Status    AccountStatus `json:"status"`
	StatusAt  time.Time     `json:"status_at,omitzero"`
	Avatar    string        `json:"avatar,omitempty"` // PDQ hash, hex
}

// Ref returns the record's account.
func (a *AccountRecord) Ref() AccountRef { return AccountRef{a.Platform, a.ID} }

// ProfileVersion is an earlier profile of an account: the handle, name,
// bio and avatar it showed until Until.
type ProfileVersion struct {
	Handle      string    `json:"handle,omitempty"`
	DisplayName string    `json:"display_name,omitempty"`
	Description string    `json:"description,omitempty"`
	Avatar      string    `json:"avatar,omitempty"`
	Until       time.Time `json:"until,omitzero"`
}

// StatusChange is one change of an account's status and the evidence
// for it: a liveness result, a platform's withheld flag, an analyst.
type StatusChange struct {
	Account  AccountRef    `json:"account"`
	Status   AccountStatus `json:"status"`
	Source   string        `json:"source"`   // liveness, withheld, analyst, lifecycle
	Evidence string        `json:"evidence"` // what shows it: a URL and HTTP status, the withheld countries, a note
	Actor    string        `json:"actor,omitempty"`
	At       time.Time     `json:"at"`
}

// AccountLink is a link an account posted: an outlink or an invite link,
// in account.CanonLink form.
type AccountLink struct {
	Account AccountRef `json:"account"`
	Link    string     `json:"link"`
	At      time.Time  `json:"at"`
}

// LinkStatus is where a proposed successor link stands.
type LinkStatus string

// Successor link statuses.
const (
	LinkProposed  LinkStatus = "proposed"
	LinkConfirmed LinkStatus = "confirmed"
	LinkRejected  LinkStatus = "rejected"
)

// SuccessorLink proposes (or, once confirmed, records) that To is the next
// incarnation of From.
type SuccessorLink struct {
	ID        int64      `json:"id"`
	From      AccountRef `json:"from"`
	To        AccountRef `json:"to"`
	Score     float64    `json:"score"`
	Evidence  string     `json:"evidence"` // the per-feature evidence, JSON
	Status    LinkStatus `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	DecidedBy string     `json:"decided_by,omitempty"`
	DecidedAt time.Time  `json:"decided_at,omitzero"`
}

// Accounts is the account registry beyond what SavePosts keeps of each
// author: status with evidence, earlier profiles, avatars, posted links,
// successor links. It is a separate interface, found by type assertion.
type Accounts interface {
	// AccountRecord returns an account, or ErrNotFound.
	AccountRecord(ctx context.Context, a AccountRef) (AccountRecord, error)
	// ListAccounts lists up to ListLimit(limit) accounts of a status ("" for
	// all), the most recently seen first.
	ListAccounts(ctx context.Context, status AccountStatus, limit int) ([]AccountRecord, error)
	// EachAccount calls fn with every account.
	EachAccount(ctx context.Context, fn func(AccountRecord) error) error
	// ProfileHistory lists an account's earlier profiles, oldest first;
	// the current one is its AccountRecord.
	ProfileHistory(ctx context.Context, a AccountRef) ([]ProfileVersion, error)
	// SetAvatar records an account's avatar hash; a different earlier one
	// goes to the profile history.
	SetAvatar(ctx context.Context, a AccountRef, pdqHex string) error
	// SetAccountStatus records a status change unless the account has that
	// status already, and reports whether it changed; an account not seen
	// yet is created.
	SetAccountStatus(ctx context.Context, c StatusChange) (bool, error)
	// StatusHistory lists an account's status changes, oldest first.
	StatusHistory(ctx context.Context, a AccountRef) ([]StatusChange, error)
	// StatusChanges lists up to ListLimit(limit) status changes at or after
	// since, oldest first.
	StatusChanges(ctx context.Context, since time.Time, limit int) ([]StatusChange, error)
	// LastSeen returns when each of the accounts stored was last seen.
	LastSeen(ctx context.Context, as []AccountRef) (map[AccountRef]time.Time, error)
	// NoteLinks records links accounts posted; a link recorded already
	// for its account is skipped.
	NoteLinks(ctx context.Context, ls []AccountLink) error
	// LinksOf lists the links an account posted, first posted first.
	LinksOf(ctx context.Context, a AccountRef) ([]AccountLink, error)
	// EachLink calls fn with every recorded link.
	EachLink(ctx context.Context, fn func(AccountLink) error) error
	// ProposeSuccessors stores proposed links; a pair proposed before is
	// left as it is. It returns how many were new.
	ProposeSuccessors(ctx context.Context, ls []SuccessorLink) (int, error)
	// SuccessorLinks lists up to ListLimit(limit) links of a status ("" for
	// all), the best score first.
	SuccessorLinks(ctx context.Context, status LinkStatus, limit int) ([]SuccessorLink, error)
	// LinksOfAccount lists the links from or to an account.
	LinksOfAccount(ctx context.Context, a AccountRef) ([]SuccessorLink, error)
	// DecideSuccessor confirms or rejects a proposed link and returns it
	// decided: ErrNotFound when there is none, ErrDecided when it was
	// decided before.
	DecideSuccessor(ctx context.Context, id int64, status LinkStatus, actor string, at time.Time) (SuccessorLink, error)
	// EachRoom calls fn once with every account and channel it posted in:
	// the account's audience, which a re-created account returns to.
	EachRoom(ctx context.Context, fn func(a AccountRef, channel string) error) error
	// EachPost calls fn with every post posted at or after since (all when
	// zero), only violating ones when violatingOnly, in posting order.
	EachPost(ctx context.Context, since time.Time, violatingOnly bool, fn func(post.Post) error) error
}
