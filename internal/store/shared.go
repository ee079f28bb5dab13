package store

import (
	"context"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

// The capabilities below hold the state that pipeline workers share. They
// live in the store, never only in one process, so that any number of
// `raqib worker` processes agree, and a batch that is delivered again
// changes nothing: every write is keyed by the post that caused it.

// CountEvent is one counted event: the post (ID, a post key) that made
// Key's count grow, at At.
type CountEvent struct {
	Key string
	ID  string
	At  time.Time
}

// Counters counts events per key in time windows, for rules such as "this
// author posted three violating posts today".
type Counters interface {
	// AddEvents records events. An event whose Key and ID are recorded
	// already is not counted again.
	AddEvents(ctx context.Context, evs []CountEvent) error
	// CountEvents returns, for each of keys, how many events were recorded
	// at or after since. Keys without events are absent from the map.
	CountEvents(ctx context.Context, keys []string, since time.Time) (map[string]int, error)
	// PruneEvents forgets the events before t of the keys that begin with
	// prefix. Counters are pruned by prefix because their windows differ:
	// a rule's counts span a day, lifecycle counts all time.
	PruneEvents(ctx context.Context, prefix string, before time.Time) error
}

// IndexedText is one text of the shared near-duplicate index: the
// representative of a cluster of recycled texts found violating.
type IndexedText struct {
	Seq   int64  // assigned by the store, increasing in insertion order
	Key   string // post key
	Sig   []byte // neardup signature, as neardup encodes it
	Label post.Label
}

// TextIndex is the shared, append-only log of near-duplicate
// representatives. Each worker keeps a bounded in-memory index of its
// newest entries and catches up by Seq before it detects a batch.
type TextIndex interface {
	// AddTexts appends texts; a text whose Key is stored already is
	// skipped. Seq of the arguments is ignored.
	AddTexts(ctx context.Context, ts []IndexedText) error
	// TextsSince returns up to limit texts with Seq > after, in Seq order.
	TextsSince(ctx context.Context, after int64, limit int) ([]IndexedText, error)
	// LastTextSeq returns the highest Seq stored, 0 when none.
	LastTextSeq(ctx context.Context) (int64, error)
}

// Batcher is a store that can commit several writes as one transaction.
type Batcher interface {
	// Batch runs fn in one transaction: the store's writes that fn makes
	// with the context it is given commit together when fn returns nil,
	// and none of them otherwise.
	Batch(ctx context.Context, fn func(ctx context.Context) error) error
}

// CaseProposer opens review cases from the rules' proposals, after the
// posts they are about were committed.
type CaseProposer interface {
	// ProposeCases opens one case per proposal, except that a proposal
	// with a Group joins the open case of that group when there is one
	// (its post is added to the case and Case.Posts grows), and a post
	// already in a case, open or decided, is left as it is: a post an
	// analyst dismissed is not proposed again when it is re-imported. It
	// returns how many cases it opened, joined ones not counted. A
	// proposal needs no violating label: an analyst decides.
	ProposeCases(ctx context.Context, ps []post.CaseProposal) (opened int, err error)
}
