package storetest

import (
	"context"
	"encoding/json"
	"errors"
	stdmaps "maps"
	"slices"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// ReviewStore is a store that also keeps analysts' work on cases.
type ReviewStore interface {
	store.Store
	store.Reviews
}

// RunReviews runs the review suite against a fresh, empty store.
func RunReviews(t *testing.T, open func(t *testing.T) ReviewStore) {
	ctx := context.Background()
	s := open(t)
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ps := []post.CaseProposal{
		{PostKey: "x:c:low", Label: post.Propaganda, Tier: post.TierPromotional, Score: 0.9, Reason: "classifier", At: t0},
		{PostKey: "x:c:threat", Label: post.Threat, Tier: post.TierThreat, Score: 0.5, Reason: "threat to life", At: t0.Add(time.Minute)},
		{PostKey: "x:c:old", Label: post.Propaganda, Tier: post.TierPromotional, Score: 0.9, Reason: "classifier", At: t0.Add(-time.Hour)},
		{PostKey: "x:c:g1", Label: post.Propaganda, Tier: post.TierOfficial, Score: 0.7, Reason: "official propaganda", Group: "account/x/a", At: t0},
		{PostKey: "x:c:g2", Label: post.Propaganda, Tier: post.TierOfficial, Score: 0.7, Reason: "official propaganda", Group: "account/x/a", At: t0},
		{PostKey: "x:c:none", Label: post.News, Score: 0.99, Reason: "news", At: t0},
	}
	if n, err := s.ProposeCases(ctx, ps); err != nil || n != 5 {
		t.Fatalf("ProposeCases opened %d (err %v), want 5", n, err)
	}
	idOf := map[string]int64{}
	all, err := s.Queue(ctx, store.QueueQuery{Queue: store.QueueAll})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range all {
		idOf[c.PostKey] = c.ID
		order = append(order, c.PostKey)
	}
	// Tier first (1 most severe, none last), then score, then spread
	// (posts), then age.
	if want := []string{"x:c:threat", "x:c:g1", "x:c:old", "x:c:low", "x:c:none"}; !slices.Equal(order, want) {
		t.Fatalf("queue order %v, want %v", order, want)
	}
	if c, err := s.Case(ctx, idOf["x:c:g1"]); err != nil || c.Posts != 2 || c.Group != "account/x/a" || c.Status != post.CaseOpen {
		t.Fatalf("Case = %+v, %v", c, err)
	}
	if _, err := s.Case(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Case(9999): %v, want ErrNotFound", err)
	}

	update := func(t *testing.T, key, action string, f func(c *post.Case)) post.Case {
		t.Helper()
		c, e, err := s.UpdateCase(ctx, idOf[key], func(c *post.Case) (post.CaseEvent, error) {
			before, _ := json.Marshal(c.Review)
			f(c)
			after, _ := json.Marshal(c.Review)
			return post.CaseEvent{Actor: "amal", Action: action, Note: "note " + action, Before: before, After: after}, nil
		})
		if err != nil {
			t.Fatalf("%s %s: %v", action, key, err)
		}
		if e.ID == 0 || e.Case != c.ID || e.At.IsZero() || e.Action != action {
			t.Fatalf("event %+v", e)
		}
		return c
	}
	queue := func(t *testing.T, q store.Queue, user string) []string {
		t.Helper()
		cs, err := s.Queue(ctx, store.QueueQuery{Queue: q, User: user})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, c := range cs {
			keys = append(keys, c.PostKey)
		}
		return keys
	}

	t.Run("assign and escalate", func(t *testing.T) {
		update(t, "x:c:low", "assign", func(c *post.Case) { c.Assignee = "amal" })
		update(t, "x:c:old", "escalate", func(c *post.Case) { c.Escalated, c.Assignee = true, "amal" })
		if got := queue(t, store.QueueMine, "amal"); !slices.Equal(got, []string{"x:c:old", "x:c:low"}) {
			t.Errorf("mine = %v", got)
		}
		if got := queue(t, store.QueueUnassigned, ""); !slices.Equal(got, []string{"x:c:threat", "x:c:g1", "x:c:none"}) {
			t.Errorf("unassigned = %v", got)
		}
		if got := queue(t, store.QueueEscalated, ""); !slices.Equal(got, []string{"x:c:old"}) {
			t.Errorf("escalated = %v", got)
		}
		if capped, err := s.QueueCounts(ctx, "amal", 2); err != nil || capped[store.QueueAll] != 2 || capped[store.QueueEscalated] != 1 {
			t.Errorf("counts up to 2 = %v, %v", capped, err)
		}
		counts, err := s.QueueCounts(ctx, "amal", 1000)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[store.Queue]int64{store.QueueUnassigned: 3, store.QueueMine: 2, store.QueueEscalated: 1, store.QueueApproval: 0, store.QueueAll: 5}; !stdmaps.Equal(counts, want) {
			t.Errorf("counts = %v, want %v", counts, want)
		}
		es, err := s.CaseEvents(ctx, idOf["x:c:old"], 0)
		if err != nil || len(es) != 1 || es[0].Actor != "amal" || es[0].Note != "note escalate" || !json.Valid(es[0].After) {
			t.Errorf("events = %+v, %v", es, err)
		}
	})

	t.Run("confirm awaits approval", func(t *testing.T) {
		decided := time.Now().UTC().Truncate(time.Millisecond)
		c := update(t, "x:c:threat", "confirm", func(c *post.Case) {
			c.Status, c.Approval, c.Label, c.Entity = post.CaseConfirmed, post.ApprovalPending, post.Incitement, "isis"
			c.DecidedBy, c.DecidedAt, c.Rules, c.Detectors = "amal", decided, []string{"threat"}, []string{"lexicon", "classifier"}
		})
		got, err := s.Case(ctx, c.ID)
		if err != nil || got.Status != post.CaseConfirmed || got.Label != post.Incitement || got.Entity != "isis" ||
			!slices.Equal(got.Detectors, []string{"lexicon", "classifier"}) || !got.DecidedAt.Equal(decided) {
			t.Errorf("confirmed case = %+v, %v", got, err)
		}
		if got := queue(t, store.QueueApproval, ""); !slices.Equal(got, []string{"x:c:threat"}) {
			t.Errorf("approval = %v", got)
		}
	})

	t.Run("a dismissed post is not proposed again", func(t *testing.T) {
		update(t, "x:c:none", "dismiss", func(c *post.Case) {
			c.Status, c.Dismissal, c.DecidedBy, c.DecidedAt = post.CaseDismissed, post.DismissNews, "amal", time.Now()
		})
		n, err := s.ProposeCases(ctx, []post.CaseProposal{ps[5], ps[1]})
		if err != nil || n != 0 {
			t.Errorf("re-proposing decided posts opened %d (err %v), want 0", n, err)
		}
		var decided []string
		err = s.DecidedCases(ctx, t0, func(c post.Case) error {
			decided = append(decided, c.PostKey)
			return nil
		})
		if err != nil || !slices.Equal(decided, []string{"x:c:threat", "x:c:none"}) {
			t.Errorf("decided = %v, %v", decided, err)
		}
		decided = nil
		s.DecidedCases(ctx, time.Now().Add(time.Hour), func(c post.Case) error { decided = append(decided, c.PostKey); return nil })
		if len(decided) != 0 {
			t.Errorf("decided after an hour from now = %v", decided)
		}
	})

	t.Run("merge", func(t *testing.T) {
		from, into, err := s.MergeCase(ctx, idOf["x:c:g1"], idOf["x:c:low"], func(f, i *post.Case) (post.CaseEvent, post.CaseEvent, error) {
			f.Status, f.MergedInto = post.CaseMerged, i.ID
			return post.CaseEvent{Actor: "amal", Action: "merge"}, post.CaseEvent{Actor: "amal", Action: "merge"}, nil
		})
		if err != nil || from.Status != post.CaseMerged || into.Posts != 3 {
			t.Fatalf("merge: %+v %+v %v", from, into, err)
		}
		keys, err := s.CasePostsPage(ctx, into.ID, 1, 10)
		if err != nil || len(keys) != 2 {
			t.Errorf("page 2 of merged posts = %v, %v", keys, err)
		}
		if keys, _ := s.CasePostsPage(ctx, from.ID, 0, 10); len(keys) != 0 {
			t.Errorf("the merged case kept %v", keys)
		}
		ids, err := s.OpenCasesOf(ctx, []string{"x:c:g2", "x:c:low", "x:c:none", "nope"})
		if err != nil || !slices.Equal(ids, []int64{into.ID}) {
			t.Errorf("OpenCasesOf = %v, %v; want [%d]", ids, err, into.ID)
		}
	})

	t.Run("failed change leaves the case", func(t *testing.T) {
		boom := errors.New("boom")
		_, _, err := s.UpdateCase(ctx, idOf["x:c:low"], func(c *post.Case) (post.CaseEvent, error) {
			c.Status = post.CaseDismissed
			return post.CaseEvent{}, boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		if c, _ := s.Case(ctx, idOf["x:c:low"]); c.Status != post.CaseOpen {
			t.Errorf("status = %s after a failed change", c.Status)
		}
		if _, _, err := s.UpdateCase(ctx, 9999, func(*post.Case) (post.CaseEvent, error) { return post.CaseEvent{}, nil }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("update of a missing case: %v", err)
		}
	})

	t.Run("reopen conflicts with a newer open case", func(t *testing.T) {
		update(t, "x:c:low", "dismiss", func(c *post.Case) { c.Status = post.CaseDismissed })
		// A new post of the group of the merged case opens a new case.
		if n, err := s.ProposeCases(ctx, []post.CaseProposal{{PostKey: "x:c:g3", Label: post.Propaganda, Group: "account/x/a", At: t0}}); err != nil || n != 1 {
			t.Fatalf("opened %d, %v", n, err)
		}
		_, _, err := s.UpdateCase(ctx, idOf["x:c:g1"], func(c *post.Case) (post.CaseEvent, error) {
			c.Status = post.CaseOpen
			return post.CaseEvent{Actor: "amal", Action: "reopen"}, nil
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("reopening beside an open case of its group: %v, want ErrConflict", err)
		}
		update(t, "x:c:low", "reopen", func(c *post.Case) { c.Status = post.CaseOpen })
	})
}
