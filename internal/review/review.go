// Package review is where analysts work cases: every decision (confirm,
// dismiss, escalate, assign, comment, merge, reopen, approve) is applied to
// the case and committed with its event in one store transaction, written
// to the audit trail, and then handed to the registered hooks, so that the
// later stages (referral on approval, evidence capture, partner sharing)
// hook onto decisions without this package knowing them.
package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

var (
	// ErrBadAction is returned (wrapped, saying why) for an action that
	// does not fit the case or is missing what it needs.
	ErrBadAction = errors.New("bad action")
	// ErrNoReviews is returned when the store keeps no review state.
	ErrNoReviews = errors.New("the store keeps no review state")
)

// Event is one thing done to a case.
type Event = post.CaseEvent

// Hook is a later stage that acts on decisions: it runs after the decision
// and its audit entry are committed, and its error is recorded on the case
// but never undoes the decision.
type Hook interface {
	Name() string
	AfterEvent(ctx context.Context, c post.Case, e Event) error
}

// Kind names an action on a case; it is the event's Action and, prefixed
// with "case.", the audit entry's.
type Kind string

// Actions.
const (
	Confirm  Kind = "confirm"
	Dismiss  Kind = "dismiss"
	Escalate Kind = "escalate"
	Assign   Kind = "assign"
	Comment  Kind = "comment"
	Merge    Kind = "merge"
	Reopen   Kind = "reopen"
	Approve  Kind = "approve"
	// HookFailed records a hook's error on the case.
	HookFailed Kind = "hook_failed"
)

// Kinds lists the actions an analyst can take.
var Kinds = []Kind{Confirm, Dismiss, Escalate, Assign, Comment, Merge, Reopen, Approve}

// Action is what an analyst asks to do to a case. Fields that a kind does
// not use are ignored.
type Action struct {
	Kind Kind `json:"action"`
	// Confirm: the label, tier and entity, each corrected when set; the
	// case's own otherwise.
	Label  post.Label `json:"label,omitempty"`
	Tier   post.Tier  `json:"tier,omitempty"`
	Entity string     `json:"entity,omitempty"`
	// Dismiss: why.
	Dismissal post.Dismissal `json:"dismissal,omitempty"`
	// Assign: to whom; empty takes the case off its assignee.
	Assignee string `json:"assignee,omitempty"`
	// Merge: the case the duplicate is folded into.
	Into int64 `json:"into,omitempty"`
	// Note is the analyst's comment; a Comment needs one.
	Note string `json:"note,omitempty"`
}

// Actor is who acts and from where, for the event and the audit entry.
type Actor struct {
	auth.Principal
	From string // the client address, or "cli:user@host"
}

// Store is what the service needs of the store.
type Store interface {
	store.Reviews
	store.Auditor
	Post(ctx context.Context, key string) (post.Post, []store.Version, error)
}

// Service applies analysts' actions. It is safe for concurrent use; hooks
// are registered before it is.
type Service struct {
	st    Store
	hooks []Hook
	log   *slog.Logger
	now   func() time.Time
}

// New returns a service on st; log may be nil.
func New(st Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, log: log, now: time.Now}
}

// For returns a service on s when the store keeps review state.
func For(s store.Store, log *slog.Logger) (*Service, error) {
	st, ok := s.(Store)
	if !ok {
		return nil, ErrNoReviews
	}
	return New(st, log), nil
}

// Register adds hooks that run after every event, in order.
func (s *Service) Register(h ...Hook) { s.hooks = append(s.hooks, h...) }

// Store returns the store the service works on.
func (s *Service) Store() Store { return s.st }

// snapshot is what an event and an audit entry record of a case before and
// after an action.
type snapshot struct {
	Status post.CaseStatus `json:"status"`
	Label  post.Label      `json:"label"`
	Tier   post.Tier       `json:"tier,omitempty"`
	Entity string          `json:"entity,omitempty"`
	Posts  int             `json:"posts"`
	post.Review
}

func snap(c *post.Case) json.RawMessage {
	b, _ := json.Marshal(snapshot{c.Status, c.Label, c.Tier, c.Entity, c.Posts, c.Review})
	return b
}

// perm is the permission an action needs.
func perm(k Kind) auth.Permission {
	if k == Approve {
		return auth.Approve
	}
	return auth.Decide
}

// Apply does a to case id as who: checks who may, applies it, commits the
// case with its event, audits it and runs the hooks. It returns the case
// and the event as committed.
func (s *Service) Apply(ctx context.Context, who Actor, id int64, a Action) (post.Case, Event, error) {
	if !slices.Contains(Kinds, a.Kind) {
		return post.Case{}, Event{}, fmt.Errorf("%w: unknown action %q", ErrBadAction, a.Kind)
	}
	if err := who.Require(perm(a.Kind)); err != nil {
		return post.Case{}, Event{}, err
	}
	a.Note = strings.TrimSpace(a.Note)
	if a.Kind == Merge {
		return s.merge(ctx, who, id, a)
	}
	var lead *post.Post
	if a.Kind == Confirm || a.Kind == Dismiss {
		// Read before the write transaction: which rules and detectors
		// the decision judges, for their precision.
		c, err := s.st.Case(ctx, id)
		if err != nil {
			return post.Case{}, Event{}, err
		}
		if p, _, err := s.st.Post(ctx, c.PostKey); err == nil {
			lead = &p
		}
	}
	c, e, err := s.st.UpdateCase(ctx, id, func(c *post.Case) (Event, error) {
		before := snap(c)
		if err := s.change(c, who, a, lead); err != nil {
			return Event{}, err
		}
		return Event{At: s.now().UTC(), Actor: who.User, Action: string(a.Kind), Note: a.Note, Before: before, After: snap(c)}, nil
	})
	if err != nil {
		return c, e, fmt.Errorf("%s case %d: %w", a.Kind, id, err)
	}
	if err := s.audit(ctx, who, c, e); err != nil {
		return c, e, err
	}
	s.runHooks(ctx, c, e)
	return c, e, nil
}

// change applies a to c, checking that it fits c's state.
func (s *Service) change(c *post.Case, who Actor, a Action, lead *post.Post) error {
	open := c.Status == post.CaseOpen
	bad := func(why string) error {
		return fmt.Errorf("%w: cannot %s a case that is %s%s", ErrBadAction, a.Kind, c.Status, why)
	}
	if (a.Kind == Confirm || a.Kind == Dismiss) && c.Escalated && !who.Can(auth.Approve) {
		return fmt.Errorf("%w: case %d is escalated to a senior", auth.ErrForbidden, c.ID)
	}
	switch a.Kind {
	case Confirm:
		if !open {
			return bad("")
		}
		if a.Label != "" {
			c.Label = a.Label
		}
		if a.Tier != 0 {
			c.Tier = a.Tier
		}
		if e := strings.TrimSpace(a.Entity); e != "" {
			c.Entity = e
		}
		if !c.Label.Violating() {
			return fmt.Errorf("%w: confirm needs a violating label, not %q", ErrBadAction, c.Label)
		}
		if c.Tier < post.TierThreat || c.Tier > post.TierPromotional {
			return fmt.Errorf("%w: confirm needs a tier from 1 to 4, not %d", ErrBadAction, c.Tier)
		}
		c.Status, c.Approval, c.Dismissal = post.CaseConfirmed, post.ApprovalPending, ""
		s.decided(c, who, lead)
	case Dismiss:
		if !open {
			return bad("")
		}
		if !a.Dismissal.Valid() {
			return fmt.Errorf("%w: dismiss needs a reason of %v, not %q", ErrBadAction, post.Dismissals, a.Dismissal)
		}
		c.Status, c.Dismissal, c.Approval = post.CaseDismissed, a.Dismissal, ""
		s.decided(c, who, lead)
	case Escalate:
		if !open || c.Escalated {
			return bad(" or escalated already")
		}
		// It leaves the analyst's queue for the seniors'.
		c.Escalated, c.Assignee = true, ""
	case Assign:
		if !open {
			return bad("")
		}
		c.Assignee = strings.TrimSpace(a.Assignee)
	case Comment:
		if a.Note == "" {
			return fmt.Errorf("%w: a comment needs a note", ErrBadAction)
		}
	case Reopen:
		if c.Status != post.CaseConfirmed && c.Status != post.CaseDismissed {
			return bad("")
		}
		c.Status, c.Approval, c.Dismissal = post.CaseOpen, "", ""
		c.DecidedBy, c.DecidedAt, c.Rules, c.Detectors = "", time.Time{}, nil, nil
	case Approve:
		if c.Status != post.CaseConfirmed || c.Approval != post.ApprovalPending {
			return bad(" or not waiting for approval")
		}
		c.Approval = post.ApprovalApproved
	}
	return nil
}

// decided records who decided c and which rules and detectors flagged its
// first post.
func (s *Service) decided(c *post.Case, who Actor, lead *post.Post) {
	c.Escalated, c.DecidedBy, c.DecidedAt = false, who.User, s.now().UTC()
	c.Rules, c.Detectors = nil, nil
	if lead == nil {
		return
	}
	for _, r := range lead.Decision.Reasons {
		if name, _, ok := strings.Cut(r, ":"); ok && !slices.Contains(c.Rules, name) {
			c.Rules = append(c.Rules, strings.TrimSpace(name))
		}
	}
	for _, sg := range lead.Signals {
		if sg.Detector != "" && !slices.Contains(c.Detectors, sg.Detector) {
			c.Detectors = append(c.Detectors, sg.Detector)
		}
	}
}

// merge folds case id into a.Into.
func (s *Service) merge(ctx context.Context, who Actor, id int64, a Action) (post.Case, Event, error) {
	if a.Into == 0 || a.Into == id {
		return post.Case{}, Event{}, fmt.Errorf("%w: merge needs another case to merge into", ErrBadAction)
	}
	var ef, ei Event
	from, into, err := s.st.MergeCase(ctx, id, a.Into, func(f, i *post.Case) (Event, Event, error) {
		if f.Status != post.CaseOpen || i.Status != post.CaseOpen {
			return Event{}, Event{}, fmt.Errorf("%w: only open cases merge (case %d is %s, case %d is %s)", ErrBadAction, f.ID, f.Status, i.ID, i.Status)
		}
		fb, ib := snap(f), snap(i)
		f.Status, f.MergedInto, f.Escalated = post.CaseMerged, i.ID, false
		at := s.now().UTC()
		// The target's posts count is set by the store after the move;
		// its event records the state before and the merged case.
		ef = Event{At: at, Actor: who.User, Action: string(Merge), Note: a.Note, Before: fb, After: snap(f)}
		ei = Event{At: at, Actor: who.User, Action: string(Merge), Note: joinNote("merged case "+strconv.FormatInt(f.ID, 10), a.Note), Before: ib}
		return ef, ei, nil
	})
	if err != nil {
		return from, ef, fmt.Errorf("merge case %d into %d: %w", id, a.Into, err)
	}
	ef.Case, ei.Case, ei.After = from.ID, into.ID, snap(&into)
	if err := s.audit(ctx, who, from, ef); err != nil {
		return from, ef, err
	}
	s.runHooks(ctx, from, ef)
	s.runHooks(ctx, into, ei)
	return from, ef, nil
}

func joinNote(a, b string) string {
	if b == "" {
		return a
	}
	return a + ": " + b
}

// Read records in the audit trail that who read case c: case data is
// evidence, and who looked at it is part of its record.
func (s *Service) Read(ctx context.Context, who Actor, c post.Case) error {
	_, err := s.st.Append(ctx, audit.Entry{Actor: who.User, Source: who.From, Action: "case.read", Subject: "case:" + strconv.FormatInt(c.ID, 10)})
	if err != nil {
		return fmt.Errorf("audit read of case %d: %w", c.ID, err)
	}
	return nil
}

// audit writes e to the audit trail.
func (s *Service) audit(ctx context.Context, who Actor, c post.Case, e Event) error {
	_, err := s.st.Append(ctx, audit.Entry{
		Actor: who.User, Source: who.From, Action: "case." + e.Action, Subject: "case:" + strconv.FormatInt(c.ID, 10),
		Before: e.Before, After: e.After,
	})
	if err != nil {
		return fmt.Errorf("audit %s of case %d: %w", e.Action, c.ID, err)
	}
	return nil
}

// runHooks hands a committed event to every hook. A hook's error is
// logged and recorded on the case as an event; the decision stands.
func (s *Service) runHooks(ctx context.Context, c post.Case, e Event) {
	ctx = context.WithoutCancel(ctx)
	for _, h := range s.hooks {
		err := h.AfterEvent(ctx, c, e)
		if err == nil {
			continue
		}
		s.log.Error("review hook failed", "hook", h.Name(), "case", c.ID, "action", e.Action, "err", err)
		_, _, rerr := s.st.UpdateCase(ctx, c.ID, func(*post.Case) (Event, error) {
			return Event{At: s.now().UTC(), Actor: "system", Action: string(HookFailed), Note: h.Name() + ": " + err.Error()}, nil
		})
		if rerr != nil {
			s.log.Error("record hook failure", "hook", h.Name(), "case", c.ID, "err", rerr)
		}
	}
}

// Result is what a bulk action did to one case.
type Result struct {
	Case int64  `json:"case"`
	Err  string `json:"error,omitempty"`
}

// ApplyAll does a to every case of ids, each its own decision, event and
// audit entry; a case that refuses does not stop the rest. It returns how
// many were done and the outcome of each.
func (s *Service) ApplyAll(ctx context.Context, who Actor, ids []int64, a Action) (done int, out []Result) {
	for _, id := range ids {
		r := Result{Case: id}
		if _, _, err := s.Apply(ctx, who, id, a); err != nil {
			r.Err = err.Error()
		} else {
			done++
		}
		out = append(out, r)
	}
	return done, out
}
