// Package mem keeps the state pipeline workers share (store.Counters,
// store.TextIndex, store.CaseProposer and the cases it opens) in memory,
// for tests of the code that uses them. It is safe for concurrent use;
// nothing outlives the process.
package mem

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// Store is the in-memory shared state. The zero value is not usable: call
// New.
type Store struct {
	mu     sync.Mutex
	events map[string]map[string]time.Time // key, then post key
	texts  []store.IndexedText
	keys   map[string]bool // keys of texts
	cases  []*memCase      // by id-1
	inCase map[string]*memCase
	groups map[string]*memCase // open cases by group
}

type memCase struct {
	c     post.Case
	posts []string
}

var (
	_ store.Counters     = (*Store)(nil)
	_ store.TextIndex    = (*Store)(nil)
	_ store.CaseProposer = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	return &Store{
		events: map[string]map[string]time.Time{},
		keys:   map[string]bool{},
		inCase: map[string]*memCase{},
		groups: map[string]*memCase{},
	}
}

// AddEvents implements store.Counters.
func (s *Store) AddEvents(_ context.Context, evs []store.CountEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range evs {
		ids := s.events[e.Key]
		if ids == nil {
			ids = map[string]time.Time{}
			s.events[e.Key] = ids
		}
		if _, ok := ids[e.ID]; !ok {
			ids[e.ID] = e.At
		}
	}
	return nil
}

// CountEvents implements store.Counters.
func (s *Store) CountEvents(_ context.Context, keys []string, since time.Time) (map[string]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, k := range keys {
		n := 0
		for _, at := range s.events[k] {
			if !at.Before(since) {
				n++
			}
		}
		if n > 0 {
			out[k] = n
		}
	}
	return out, nil
}

// PruneEvents implements store.Counters.
func (s *Store) PruneEvents(_ context.Context, prefix string, before time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, ids := range s.events {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		for id, at := range ids {
			if at.Before(before) {
				delete(ids, id)
			}
		}
		if len(ids) == 0 {
			delete(s.events, k)
		}
	}
	return nil
}

// AddTexts implements store.TextIndex.
func (s *Store) AddTexts(_ context.Context, ts []store.IndexedText) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range ts {
		if s.keys[t.Key] {
			continue
		}
		s.keys[t.Key] = true
		t.Seq = int64(len(s.texts)) + 1
		t.Sig = slices.Clone(t.Sig)
		s.texts = append(s.texts, t)
	}
	return nil
}

// TextsSince implements store.TextIndex.
func (s *Store) TextsSince(_ context.Context, after int64, limit int) ([]store.IndexedText, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Seq is the position in texts plus one.
	from := min(max(after, 0), int64(len(s.texts)))
	to := min(from+int64(max(limit, 0)), int64(len(s.texts)))
	return slices.Clone(s.texts[from:to]), nil
}

// LastTextSeq implements store.TextIndex.
func (s *Store) LastTextSeq(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.texts)), nil
}

// ProposeCases implements store.CaseProposer.
func (s *Store) ProposeCases(_ context.Context, ps []post.CaseProposal) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return store.ProposeSet(book{s}, ps, time.Now().UTC())
}

// book applies proposals to s; its caller holds s.mu.
type book struct{ s *Store }

func (b book) InCases(keys []string) (map[string]bool, error) {
	in := map[string]bool{}
	for _, k := range keys {
		if _, ok := b.s.inCase[k]; ok {
			in[k] = true
		}
	}
	return in, nil
}

func (b book) OpenCasesOfGroups(groups []string) (map[string]int64, error) {
	ids := map[string]int64{}
	for _, g := range groups {
		if c, ok := b.s.groups[g]; ok && c.c.Status == post.CaseOpen {
			ids[g] = c.c.ID
		}
	}
	return ids, nil
}

func (b book) OpenCases(ps []post.CaseProposal) (map[string]int64, error) {
	ids := make(map[string]int64, len(ps))
	for _, p := range ps {
		c := &memCase{c: post.Case{
			ID: int64(len(b.s.cases)) + 1, PostKey: p.PostKey, Label: p.Label, Tier: p.Tier, Entity: p.Entity,
			Score: p.Score, Status: post.CaseOpen, Reason: p.Reason, Group: p.Group, CreatedAt: p.At, UpdatedAt: p.At,
		}}
		b.s.cases = append(b.s.cases, c)
		if p.Group != "" {
			b.s.groups[p.Group] = c
		}
		ids[p.PostKey] = c.c.ID
	}
	return ids, nil
}

func (b book) JoinCases(ids []int64, ps []post.CaseProposal) error {
	for i, p := range ps {
		c := b.s.cases[ids[i]-1]
		c.posts = append(c.posts, p.PostKey)
		c.c.Posts = len(c.posts)
		if p.At.After(c.c.UpdatedAt) {
			c.c.UpdatedAt = p.At
		}
		b.s.inCase[p.PostKey] = c
	}
	return nil
}

// Cases lists up to store.ListLimit(limit) cases with the given status
// ("" for all), newest first, as store.Store does.
func (s *Store) Cases(_ context.Context, status post.CaseStatus, limit int) ([]post.Case, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []post.Case
	for i := len(s.cases) - 1; i >= 0 && len(out) < store.ListLimit(limit); i-- {
		if c := s.cases[i].c; status == "" || c.Status == status {
			out = append(out, c)
		}
	}
	return out, nil
}

// CasePosts lists the keys of up to store.ListLimit(limit) posts of a
// case, as store.Store does.
func (s *Store) CasePosts(_ context.Context, caseID int64, limit int) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if caseID < 1 || caseID > int64(len(s.cases)) {
		return nil, fmt.Errorf("case %d: %w", caseID, store.ErrNotFound)
	}
	ps := s.cases[caseID-1].posts
	return slices.Clone(ps[:min(len(ps), store.ListLimit(limit))]), nil
}
