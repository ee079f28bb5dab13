package store

import (
	"context"
	"errors"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

// ErrConflict is returned (wrapped, saying why) when a case change clashes
// with the state of another case, e.g. reopening a case whose post or group
// has another open case.
var ErrConflict = errors.New("conflict")

// Queue names a review queue.
type Queue string

// Review queues. Each but Mine and All is a value of the cases' generated
// queue column, so that one index lists it in priority order.
const (
	QueueUnassigned Queue = "unassigned" // open, nobody has it
	QueueAssigned   Queue = "assigned"   // open, someone has it
	QueueEscalated  Queue = "escalated"  // open, handed to a senior
	QueueApproval   Queue = "approval"   // confirmed, waiting for a senior's approval
	QueueMine       Queue = "mine"       // open or escalated, assigned to QueueQuery.User
	QueueAll        Queue = "all"        // every open case
)

// Queues lists the queues an analyst picks from, in tab order.
var Queues = []Queue{QueueUnassigned, QueueMine, QueueEscalated, QueueApproval, QueueAll}

// QueueQuery selects a page of a queue, in priority order: severity tier
// (1 first, no tier last), then score, then spread (posts in the case),
// then age (oldest first).
type QueueQuery struct {
	Queue  Queue
	User   string // for QueueMine
	Limit  int    // default 50, at most 1000
	Offset int
}

// CaseChange is what UpdateCase asks of its caller: the new state of the
// case it is given, and the event that records the change. An error leaves
// the case as it was.
type CaseChange func(c *post.Case) (post.CaseEvent, error)

// Reviews keeps analysts' work on cases: their review state and their
// history of events. Every change commits the case and its event together.
type Reviews interface {
	// Case returns case id, or ErrNotFound.
	Case(ctx context.Context, id int64) (post.Case, error)
	// UpdateCase reads case id, calls change on it, and commits the
	// changed review state (status, label, tier, entity and Review) with
	// the event change returned, which gets the case's id, an ID and, when
	// zero, the time now. It returns both as stored.
	UpdateCase(ctx context.Context, id int64, change CaseChange) (post.Case, post.CaseEvent, error)
	// MergeCase folds case from into case into: change sets both new
	// states and returns an event for each, and the store moves from's
	// posts to into, which then counts them.
	MergeCase(ctx context.Context, from, into int64, change func(from, into *post.Case) (post.CaseEvent, post.CaseEvent, error)) (post.Case, post.Case, error)
	// CaseEvents lists up to ListLimit(limit) events of case id, oldest
	// first.
	CaseEvents(ctx context.Context, id int64, limit int) ([]post.CaseEvent, error)
	// CasePostsPage lists up to ListLimit(limit) post keys of case id
	// from offset, the earliest added first.
	CasePostsPage(ctx context.Context, id int64, offset, limit int) ([]string, error)
	// Queue lists a page of a queue in priority order, through an index.
	Queue(ctx context.Context, q QueueQuery) ([]post.Case, error)
	// QueueCounts counts the cases of every queue of Queues for user, up
	// to limit each: an exact count of 50,000 open cases reads 50,000
	// rows for every page.
	QueueCounts(ctx context.Context, user string, limit int) (map[Queue]int64, error)
	// OpenCasesOf returns the ids of the open cases that hold any of the
	// posts with keys, in ascending order.
	OpenCasesOf(ctx context.Context, keys []string) ([]int64, error)
	// DecidedCases calls fn with every case decided (confirmed, dismissed
	// or later) at or after since, in order of decision.
	DecidedCases(ctx context.Context, since time.Time, fn func(post.Case) error) error
}

// QueueOrder is the priority order of queues, in both stores' dialect,
// matching the indexes that serve it.
const QueueOrder = ` ORDER BY rank, score DESC, posts DESC, created_at, id`

// QueueWhere is the condition (with placeholders written ph(1), ph(2), ...)
// and arguments that select q's cases; ok is false for a queue raqib does
// not know.
func QueueWhere(q QueueQuery, ph func(int) string) (where string, args []any, ok bool) {
	switch q.Queue {
	case QueueAll:
		return `status = 'open'`, nil, true
	case QueueMine:
		return `assignee = ` + ph(1) + ` AND queue IN ('assigned', 'escalated')`, []any{q.User}, true
	case QueueUnassigned, QueueEscalated, QueueApproval, QueueAssigned:
		// A literal, not a parameter: one of the constants above, and the
		// planner then knows which part of the index it reads.
		return `queue = '` + string(q.Queue) + `'`, nil, true
	}
	return "", nil, false
}
