package post

import (
	"encoding/json"
	"time"
)

// Approval is where a confirmed case stands with the seniors who approve
// what leaves the unit.
type Approval string

// Approval states; empty when the case needs none.
const (
	ApprovalPending  Approval = "pending"
	ApprovalApproved Approval = "approved"
)

// Dismissal says why an analyst found a case not violating.
type Dismissal string

// Dismissal reasons.
const (
	DismissNews          Dismissal = "news"
	DismissCounterSpeech Dismissal = "counter_speech"
	DismissReligious     Dismissal = "religious"
	DismissResearch      Dismissal = "research"
	DismissUnrelated     Dismissal = "unrelated"
	DismissDuplicate     Dismissal = "duplicate"
)

// Dismissals lists every dismissal reason in display order.
var Dismissals = []Dismissal{DismissNews, DismissCounterSpeech, DismissReligious, DismissResearch, DismissUnrelated, DismissDuplicate}

// Valid reports whether d is one of Dismissals.
func (d Dismissal) Valid() bool {
	for _, k := range Dismissals {
		if k == d {
			return true
		}
	}
	return false
}

// Review is the analysts' side of a case: who has it, whether it waits for
// a senior, and what was decided by whom. Rules and Detectors are recorded
// when the case is decided, from its first post, so that each one's
// precision can be counted from decided cases without reading posts.
type Review struct {
	Assignee   string    `json:"assignee,omitempty"`
	Escalated  bool      `json:"escalated,omitempty"`
	Approval   Approval  `json:"approval,omitempty"`
	Dismissal  Dismissal `json:"dismissal,omitempty"`
	MergedInto int64     `json:"merged_into,omitempty"`
	DecidedBy  string    `json:"decided_by,omitempty"`
	DecidedAt  time.Time `json:"decided_at,omitzero"`
	Rules      []string  `json:"rules,omitempty"`
	Detectors  []string  `json:"detectors,omitempty"`
}

// CaseEvent is one thing done to a case, in the manner of Ozone's
// moderation events: every action, by whom, when, with the analyst's note
// and the case as it was before and after.
type CaseEvent struct {
	ID     int64           `json:"id"`
	Case   int64           `json:"case"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	Note   string          `json:"note,omitempty"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}
