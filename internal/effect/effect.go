// Package effect holds what the rules decide about a post before anything
// is persisted, in the manner of indigo automod's effects: rules only
// record effects; the worker (internal/worker) persists them in one place
// after the store committed the batch, so that a rule never writes, a
// failed batch leaves nothing behind, and a batch delivered twice changes
// nothing twice.
package effect

import "github.com/raqib-project/raqib/internal/post"

// Label is one label a rule attached to a post, and why.
type Label struct {
	Label  post.Label
	Tier   post.Tier
	Entity string
	Reason string // "rule: why"
}

// Action asks for an automated action about a post: an alert today;
// referral, evidence capture and partner notification in later stages.
// Actions run under the quotas of internal/worker and only on posts
// already committed; none of them reaches a platform without an analyst.
type Action struct {
	Name   string // the Actor's name, e.g. "alert"
	Reason string
}

// Set is every effect of one post that the worker persists after the
// post is stored. Labels are not in it: the engine folds them into the
// post's Decision, which is stored with the post itself.
type Set struct {
	// Flags are short markers kept on the post's decision for filtering
	// and review ("repeat-author"), with no label of their own.
	Flags []string
	// Cases are the review cases the rules propose; a proposal needs no
	// violating label.
	Cases []post.CaseProposal
	// Counts are counter keys the post increments, once per post however
	// often the batch is delivered.
	Counts []string
	// Actions are automated actions to take once the post is stored.
	Actions []Action
	// IndexText says the post is violating and its text starts a new
	// cluster of recycled text: it goes into the shared near-duplicate
	// index, so that later copies are recognized.
	IndexText bool
	// TextSig is the encoded signature of the post's text, when the
	// recycled-text detector found no cluster the text belongs to: what
	// the worker indexes when IndexText is set, signed once.
	TextSig []byte
	// Account lists lifecycle events of the post's author.
	Account []AccountEvent
}

// Account lifecycle events a rule can see in a post (AccountEvent.Kind).
const (
	AccountNew         = "new"
	AccountReactivated = "reactivated"
	AccountRemoved     = "removed"
)

// AccountEvent is a change in the life of a post's author: the account is
// new, active again after a dormant period, or removed (withheld) by the
// platform. The worker counts it once per account and records a removal
// as the account's status, with the reason as evidence.
type AccountEvent struct {
	Kind   string
	Reason string
}
