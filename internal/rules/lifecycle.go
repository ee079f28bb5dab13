package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/effect"
	"github.com/raqib-project/raqib/internal/post"
)

// Lifecycle holds the settings of the account lifecycle rules.
type Lifecycle struct {
	// NewAccountAge: an account created (per the platform) less than this
	// before it posts is new.
	NewAccountAge time.Duration
	// DormantAfter: an account silent this long that posts again is
	// reactivated.
	DormantAfter time.Duration
}

// DefaultLifecycle is used where a stack is given no Lifecycle.
var DefaultLifecycle = Lifecycle{NewAccountAge: 7 * 24 * time.Hour, DormantAfter: 30 * 24 * time.Hour}

// History is what a Tally may also know: when each author was last seen
// before the batch, from the account registry. A Tally without it leaves
// the first-seen and reactivation rules silent.
type History interface {
	LastSeen(platform post.Platform, id string) (last time.Time, known bool)
}

// AuthorLastSeen returns when the post's author was last seen before this
// post; ok is false when the tally keeps no history.
func (c *Context) AuthorLastSeen() (last time.Time, known, ok bool) {
	h, isHistory := c.tally.(History)
	if !isHistory || c.Post.Author.ID == "" {
		return time.Time{}, false, false
	}
	last, known = h.LastSeen(c.Post.Platform, c.Post.Author.ID)
	return last, known, true
}

// AccountEvent records a lifecycle event of the post's author.
func (c *Context) AccountEvent(kind, reason string) {
	c.accountEvents = append(c.accountEvents, effect.AccountEvent{Kind: kind, Reason: reason})
}

// postedAt is when the post was published, or now when the platform does
// not say.
func postedAt(c *Context, p *post.Post) time.Time {
	if p.PostedAt.IsZero() {
		return c.Now
	}
	return p.PostedAt
}

// NewAccountRule marks posts of accounts the platform says were created
// recently, and records an account first seen by raqib as new.
func NewAccountRule(c *Context, p *post.Post) error {
	if p.Author.ID == "" {
		return nil
	}
	at := postedAt(c, p)
	if created := p.Author.CreatedAt; !created.IsZero() && !at.Before(created) && at.Sub(created) < c.lifecycle.NewAccountAge {
		c.AddFlag("new-account")
		c.AccountEvent(effect.AccountNew, fmt.Sprintf("created %s, %s before this post", created.UTC().Format(time.DateOnly), at.Sub(created).Round(time.Hour)))
		return nil
	}
	if _, known, ok := c.AuthorLastSeen(); ok && !known {
		c.AccountEvent(effect.AccountNew, "first seen")
	}
	return nil
}

// ReactivatedRule marks posts of accounts that were silent for the
// dormant period.
func ReactivatedRule(c *Context, p *post.Post) error {
	last, known, ok := c.AuthorLastSeen()
	if !ok || !known {
		return nil
	}
	if gap := postedAt(c, p).Sub(last); gap >= c.lifecycle.DormantAfter {
		c.AddFlag("reactivated")
		c.AccountEvent(effect.AccountReactivated, fmt.Sprintf("silent %d days since %s", int(gap.Hours()/24), last.UTC().Format(time.DateOnly)))
	}
	return nil
}

// WithheldAccountRule records an account the platform withholds as
// removed: the platform's own record of a takedown.
func WithheldAccountRule(c *Context, p *post.Post) error {
	if len(p.Author.Withheld) > 0 && p.Author.ID != "" {
		c.AccountEvent(effect.AccountRemoved, "platform withholds the account in "+strings.Join(p.Author.Withheld, ", "))
	}
	return nil
}
