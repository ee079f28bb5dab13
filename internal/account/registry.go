package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// ErrNoRegistry is returned when the store keeps no account registry.
var ErrNoRegistry = errors.New("the store keeps no account registry")

// Store is what the registry needs of the store.
type Store interface {
	store.Accounts
	store.CaseProposer
	store.Auditor
	Posts(ctx context.Context, q store.Query) ([]post.Post, error)
}

// Actor is who changes the registry, for the audit trail.
type Actor struct {
	User   string // an analyst, "worker", or the OS user of the CLI
	Source string // an IP, "cli:user@host", a worker
}

// Registry changes account statuses and successor links, always with an
// audit entry, and proposes successors from an index it rebuilds from the
// store when it is older than MaxAge.
type Registry struct {
	Store Store
	// MaxAge is how old the successor index may get before a query
	// rebuilds it; 0 means 10 minutes.
	MaxAge time.Duration
	// Candidates is how many successors are proposed per removal; 0
	// means 5.
	Candidates int
	Now        func() time.Time
	// Watch, when set, is told of each account that becomes referred,
	// so that its page is re-checked until the platform removes it (see
	// PageURL and MarkRemoved).
	Watch func(ctx context.Context, a store.AccountRecord, at time.Time) error

	mu    sync.Mutex
	ix    *Index
	built time.Time

	graphMu    sync.Mutex
	nodes      []Node
	edges      []Edge
	graphBuilt time.Time
}

func (r *Registry) maxAge() time.Duration {
	if r.MaxAge <= 0 {
		return 10 * time.Minute
	}
	return r.MaxAge
}

// Graph returns the account graph of every stored post with PageRank,
// computed again when it is older than MaxAge: ranking is scheduled, not
// per request.
func (r *Registry) Graph(ctx context.Context) ([]Node, []Edge, error) {
	r.graphMu.Lock()
	defer r.graphMu.Unlock()
	if r.nodes != nil && r.now().Sub(r.graphBuilt) < r.maxAge() {
		return r.nodes, r.edges, nil
	}
	nodes, edges, err := BuildGraph(ctx, r.Store, time.Time{})
	if err != nil {
		return nil, nil, err
	}
	r.nodes, r.edges, r.graphBuilt = nodes, edges, r.now()
	return nodes, edges, nil
}

func (r *Registry) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// record appends an audit entry of a change already made.
func (r *Registry) record(ctx context.Context, who Actor, action, subject string, before, after any) error {
	e := audit.Entry{Actor: who.User, Source: who.Source, Action: action, Subject: subject}
	var err error
	if before != nil {
		e.Before, err = json.Marshal(before)
	}
	if err == nil && after != nil {
		e.After, err = json.Marshal(after)
	}
	if err == nil {
		_, err = r.Store.Append(ctx, e)
	}
	if err != nil {
		return fmt.Errorf("%s %s was done but not recorded in the audit trail: %w", action, subject, err)
	}
	return nil
}

// SetStatus records a status change with its evidence and audits it. A
// removal or referral proposes the account's likely successors for
// review. It returns whether the status changed.
func (r *Registry) SetStatus(ctx context.Context, who Actor, c store.StatusChange) (bool, error) {
	before, err := r.Store.AccountRecord(ctx, c.Account)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	if c.At.IsZero() {
		c.At = r.now()
	}
	if c.Actor == "" {
		c.Actor = who.User
	}
	changed, err := r.Store.SetAccountStatus(ctx, c)
	if err != nil || !changed {
		return changed, err
	}
	if err := r.record(ctx, who, "account.status", Key(c.Account.Platform, c.Account.ID),
		map[string]any{"status": before.Status}, c); err != nil {
		return true, err
	}
	if c.Status == store.StatusRemoved || c.Status == store.StatusReferred {
		if _, err := r.ProposeSuccessors(ctx, c.Account, c.At); err != nil {
			return true, err
		}
	}
	if c.Status == store.StatusReferred && r.Watch != nil {
		rec, err := r.Store.AccountRecord(ctx, c.Account)
		if err == nil {
			err = r.Watch(ctx, rec, c.At)
		}
		if err != nil {
			return true, fmt.Errorf("watch the page of %s: %w", Key(c.Account.Platform, c.Account.ID), err)
		}
	}
	return true, nil
}

// MarkRemoved records that the platform removed an account, with the
// evidence (a liveness check's URL and result, say): what the liveness
// stage calls when an account's page is gone.
func (r *Registry) MarkRemoved(ctx context.Context, a store.AccountRef, evidence string) error {
	_, err := r.SetStatus(ctx, Actor{User: "liveness", Source: "liveness"},
		store.StatusChange{Account: a, Status: store.StatusRemoved, Source: "liveness", Evidence: evidence})
	return err
}

// index returns the successor index, rebuilding it when it is too old.
func (r *Registry) index(ctx context.Context) (*Index, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ix != nil && r.now().Sub(r.built) < r.maxAge() {
		return r.ix, nil
	}
	ps, err := LoadProfiles(ctx, r.Store)
	if err != nil {
		return nil, err
	}
	ix := NewIndex()
	ix.Add(ps...)
	r.ix, r.built = ix, r.now()
	return ix, nil
}

// LoadProfiles reads every account's profile from the registry: names and
// avatar from the account, its posted links, the rooms it posted in, and
// the flagged texts of its posts.
func LoadProfiles(ctx context.Context, s store.Accounts) ([]Profile, error) {
	var ps []Profile
	at := map[store.AccountRef]int{}
	err := s.EachAccount(ctx, func(a store.AccountRecord) error {
		at[a.Ref()] = len(ps)
		ps = append(ps, profileOf(a))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.EachLink(ctx, func(l store.AccountLink) error {
		if i, ok := at[l.Account]; ok {
			ps[i].Links = append(ps[i].Links, l.Link)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := s.EachRoom(ctx, func(a store.AccountRef, room string) error {
		if i, ok := at[a]; ok {
			ps[i].Rooms = append(ps[i].Rooms, Key(a.Platform, room))
		}
		return nil
	}); err != nil {
		return nil, err
	}
	err = s.EachPost(ctx, time.Time{}, true, func(p post.Post) error {
		if i, ok := at[store.AccountRef{Platform: p.Platform, ID: p.Author.ID}]; ok && p.Norm != "" {
			ps[i].Texts = append(ps[i].Texts, TextPrint(p.Norm))
		}
		return nil
	})
	return ps, err
}

func profileOf(a store.AccountRecord) Profile {
	p := Profile{Platform: a.Platform, ID: a.ID, Handle: a.Handle, Name: a.DisplayName, Bio: a.Description,
		FirstSeen: a.FirstSeen, LastSeen: a.LastSeen}
	if !a.CreatedAt.IsZero() && (p.FirstSeen.IsZero() || a.CreatedAt.Before(p.FirstSeen)) {
		// The platform's creation date is the better first sighting.
		p.FirstSeen = a.CreatedAt
	}
	if a.Avatar != "" {
		if h, err := pdq.ParseHash(a.Avatar); err == nil {
			p.Avatar, p.HasAvatar = h, true
		}
	}
	return p
}

// ProposeSuccessors ranks the likely successors of a removed or referred
// account and stores them for review; it returns how many were new.
func (r *Registry) ProposeSuccessors(ctx context.Context, a store.AccountRef, removed time.Time) (int, error) {
	ix, err := r.index(ctx)
	if err != nil {
		return 0, fmt.Errorf("successor index: %w", err)
	}
	q, ok := ix.Profile(Key(a.Platform, a.ID))
	if !ok {
		rec, err := r.Store.AccountRecord(ctx, a)
		if err != nil {
			return 0, err
		}
		q = profileOf(rec)
	}
	k := r.Candidates
	if k <= 0 {
		k = 5
	}
	var links []store.SuccessorLink
	for _, c := range ix.Successors(q, removed, k) {
		ev, err := json.Marshal(c.Evidence)
		if err != nil {
			return 0, err
		}
		links = append(links, store.SuccessorLink{From: a, To: store.AccountRef{Platform: c.Platform, ID: c.ID},
			Score: c.Score, Evidence: string(ev), CreatedAt: r.now()})
	}
	if len(links) == 0 {
		return 0, nil
	}
	return r.Store.ProposeSuccessors(ctx, links)
}

// Decide confirms or rejects a proposed successor link and audits it. A
// confirmed successor of a removed account gets a review case at the top
// of the queue, for its newest post, through the store's case proposals
// as every case.
func (r *Registry) Decide(ctx context.Context, who Actor, id int64, confirm bool) (store.SuccessorLink, error) {
	st := store.LinkRejected
	if confirm {
		st = store.LinkConfirmed
	}
	l, err := r.Store.DecideSuccessor(ctx, id, st, who.User, r.now())
	if err != nil {
		return l, err
	}
	action := "successor.reject"
	if confirm {
		action = "successor.confirm"
	}
	if err := r.record(ctx, who, action, fmt.Sprint(id), map[string]any{"status": store.LinkProposed}, l); err != nil {
		return l, err
	}
	if !confirm {
		return l, nil
	}
	from, err := r.Store.AccountRecord(ctx, l.From)
	if err != nil || from.Status != store.StatusRemoved {
		return l, err
	}
	ps, err := r.Store.Posts(ctx, store.Query{Platform: l.To.Platform, Author: l.To.ID, Limit: 1})
	if err != nil || len(ps) == 0 {
		return l, err
	}
	p := &ps[0]
	_, err = r.Store.ProposeCases(ctx, []post.CaseProposal{{
		PostKey: p.Key(), Label: caseLabel(p), Tier: p.Decision.Tier, Entity: p.Decision.Entity, Score: 1,
		Reason: fmt.Sprintf("successor of removed account %s, confirmed by %s", Key(l.From.Platform, l.From.ID), who.User),
		Group:  post.AccountGroup(l.To.Platform, l.To.ID), At: r.now(),
	}})
	return l, err
}

// caseLabel is the label a successor's case carries: its post's, or
// propaganda when the post itself was not found violating, because the
// account is reviewed as a removed supporter's return.
func caseLabel(p *post.Post) post.Label {
	if p.Decision.Violating {
		return p.Decision.Label
	}
	return post.Propaganda
}

// Lineage returns the chain of confirmed successors through a: its
// predecessors, oldest first, a itself, then its successors (A → A' → A”).
func (r *Registry) Lineage(ctx context.Context, a store.AccountRef) ([]store.AccountRef, error) {
	confirmed := func(x store.AccountRef, from bool) (store.AccountRef, bool, error) {
		ls, err := r.Store.LinksOfAccount(ctx, x)
		if err != nil {
			return store.AccountRef{}, false, err
		}
		for _, l := range ls {
			if l.Status != store.LinkConfirmed {
				continue
			}
			if from && l.To == x {
				return l.From, true, nil
			}
			if !from && l.From == x {
				return l.To, true, nil
			}
		}
		return store.AccountRef{}, false, nil
	}
	chain := []store.AccountRef{a}
	seen := map[store.AccountRef]bool{a: true}
	for x := a; ; {
		prev, ok, err := confirmed(x, true)
		if err != nil {
			return nil, err
		}
		if !ok || seen[prev] {
			break
		}
		seen[prev] = true
		chain = append([]store.AccountRef{prev}, chain...)
		x = prev
	}
	for x := a; ; {
		next, ok, err := confirmed(x, false)
		if err != nil {
			return nil, err
		}
		if !ok || seen[next] {
			break
		}
		seen[next] = true
		chain = append(chain, next)
		x = next
	}
	return chain, nil
}

// MarkDormant sets every active account silent for longer than after to
// dormant, with its last sighting as evidence, and returns how many it
// changed; the reactivation rule sets them active again when they post.
func (r *Registry) MarkDormant(ctx context.Context, after time.Duration) (int, error) {
	now := r.now()
	var stale []store.AccountRecord
	err := r.Store.EachAccount(ctx, func(a store.AccountRecord) error {
		if a.Status == store.StatusActive && !a.LastSeen.IsZero() && now.Sub(a.LastSeen) >= after {
			stale = append(stale, a)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range stale {
		changed, err := r.SetStatus(ctx, Actor{User: "lifecycle", Source: "lifecycle"}, store.StatusChange{Account: a.Ref(),
			Status: store.StatusDormant, Source: "lifecycle", Evidence: "last seen " + a.LastSeen.UTC().Format(time.RFC3339), At: now})
		if err != nil {
			return n, err
		}
		if changed {
			n++
		}
	}
	return n, nil
}
