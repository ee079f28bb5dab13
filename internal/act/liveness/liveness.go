// Package liveness re-checks the URLs of referred (and optionally of every
// violating) post until the platform removes them, and measures how long
// that took. A Checker claims the items that are due from the store under a
// lease, so that any number of raqib processes share the work without
// checking a URL twice; each result moves the item through online → gone →
// removed (confirmed) → returned, and the next check is scheduled densely
// in the first hours and sparsely later. Report turns the tracked items
// into time-to-removal figures and Kaplan–Meier survival curves.
package liveness

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

var (
	// ErrNotFound is returned for a URL that is not tracked.
	ErrNotFound = errors.New("not tracked")
	// ErrBadItem is returned (wrapped, saying why) for an item that cannot
	// be tracked.
	ErrBadItem = errors.New("bad item")
)

// Channel is how an item was referred to its platform.
type Channel string

// Channels of referral; None is a violating post watched without a
// referral, the baseline that referred items are compared with.
const (
	Email   Channel = "email"
	Webhook Channel = "webhook"
	Bundle  Channel = "bundle"
	None    Channel = "none"
)

// Channels lists every channel in display order.
var Channels = []Channel{Email, Webhook, Bundle, None}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	for _, k := range Channels {
		if k == c {
			return true
		}
	}
	return false
}

// Item is a URL to watch and what it was referred as.
type Item struct {
	URL        string        `json:"url"`
	Platform   post.Platform `json:"platform"`
	PostKey    string        `json:"post_key,omitempty"`
	CaseID     int64         `json:"case_id,omitempty"`
	ReferralID int64         `json:"referral_id,omitempty"`
	Channel    Channel       `json:"channel"`
	Label      post.Label    `json:"label,omitempty"`
	Tier       post.Tier     `json:"tier,omitempty"`
	// Account is set when the URL is an account's page rather than a
	// post's: the account's key (platform:id), whose removal the
	// Removed hook reports to the account registry.
	Account string `json:"account,omitempty"`
	// ReferredAt is when time-to-removal starts: the referral's send time,
	// or when the post was collected for an item without a referral.
	ReferredAt time.Time `json:"referred_at"`
}

// Evidence says what a removal rests on, for the record of whoever acts
// on it: the URL, since when it was gone, when the removal was confirmed,
// after how many checks, and the last answer.
func (t *Tracked) Evidence() string {
	e := fmt.Sprintf("%s gone since %s, removal confirmed %s after %d checks", t.URL,
		t.GoneSince.UTC().Format(time.RFC3339), t.ConfirmedAt.UTC().Format(time.RFC3339), t.Checks)
	if n := len(t.History); n > 0 {
		last := t.History[n-1]
		e += fmt.Sprintf(" (last: %s, HTTP %d)", last.Outcome, last.Status)
	}
	return e
}

// State is where an item stands.
type State string

// States of a tracked item. Gone is seen gone but not yet confirmed;
// Returned is online again after a confirmed removal.
const (
	Online   State = "online"
	Gone     State = "gone"
	Removed  State = "removed"
	Returned State = "returned"
)

// Tracked is an item as the store keeps it.
type Tracked struct {
	ID int64 `json:"id"`
	Item
	State  State `json:"state"`
	Checks int   `json:"checks"`
	// Streak counts the consecutive checks that found the content gone
	// or withheld; inconclusive results neither add to it nor reset it.
	Streak int `json:"streak"`
	// GoneSince is the first check of the current gone streak.
	GoneSince time.Time `json:"gone_since,omitzero"`
	// RemovedAt is when the content was first seen gone in the streak that
	// confirmed its removal, ConfirmedAt the check that confirmed it. Both
	// are kept from the first removal even if it comes back.
	RemovedAt   time.Time `json:"removed_at,omitzero"`
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
	// ReturnedAt is the last time content was found online again after a
	// confirmed removal.
	ReturnedAt time.Time `json:"returned_at,omitzero"`
	LastCheck  time.Time `json:"last_check,omitzero"`
	NextCheck  time.Time `json:"next_check"`
	// History holds the latest checks, oldest first (see HistoryLen).
	History []Check `json:"history,omitempty"`
	// Lease identifies the claim a Checker holds; RecordChecks only
	// applies a result whose lease still stands.
	Lease int64 `json:"-"`
}

// Check is one result, kept compactly in an item's history.
type Check struct {
	At      time.Time `json:"at"`
	Outcome Outcome   `json:"outcome"`
	Status  int       `json:"status,omitempty"` // HTTP status; 0 when the fetch failed
}

// Filter selects tracked items for a report. Zero fields do not filter.
type Filter struct {
	From, To time.Time // referred at or after From and before To
	Platform post.Platform
}

// Store keeps tracked items and their state where every raqib process
// sees them (store.Liveness is this interface).
type Store interface {
	// Track stores new items, due at next; it returns how many were new.
	// A URL is tracked once: tracking it again changes nothing, except
	// that a referral replaces what a watch without referral (channel
	// none) recorded, so that time-to-removal starts at the referral.
	Track(ctx context.Context, items []Item, next time.Time) (int, error)
	// ClaimDue leases up to limit items whose next check is due at now:
	// their next check moves to now+lease, so that no other checker
	// claims them before the lease ends, and each gets a new Lease.
	ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Tracked, error)
	// RecordChecks saves the new state (everything from State on) of
	// claimed items. A result whose
	// lease was taken over (it ran past its lease and another checker
	// claimed the item) is skipped; the count of saved results is
	// returned.
	RecordChecks(ctx context.Context, ts []Tracked) (int, error)
	// TrackedURL returns the item tracking url, or ErrNotFound.
	TrackedURL(ctx context.Context, url string) (Tracked, error)
	// TrackedItems yields the items matching f in referral order, reading
	// them as it goes; it stops at the first error, yielded last.
	TrackedItems(ctx context.Context, f Filter) iter.Seq2[Tracked, error]
}
