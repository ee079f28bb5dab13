package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// SharedStore is what RunShared tests: the state workers share, and the
// cases that proposals open.
type SharedStore interface {
	store.Counters
	store.TextIndex
	store.CaseProposer
	Cases(ctx context.Context, status post.CaseStatus, limit int) ([]post.Case, error)
	CasePosts(ctx context.Context, caseID int64, limit int) ([]string, error)
}

// RunShared runs the conformance suite of the shared state against a
// fresh, empty store made by open.
func RunShared(t *testing.T, open func(t *testing.T) SharedStore) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

	t.Run("counters", func(t *testing.T) {
		s := open(t)
		evs := []store.CountEvent{
			{Key: "author:x:1", ID: "x:t:1", At: t0},
			{Key: "author:x:1", ID: "x:t:2", At: t0.Add(time.Hour)},
			{Key: "author:x:1", ID: "x:t:3", At: t0.Add(2 * time.Hour)},
			{Key: "author:x:2", ID: "x:t:1", At: t0},
		}
		// A batch delivered again, or one event twice, counts once.
		for range 2 {
			if err := s.AddEvents(ctx, evs); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AddEvents(ctx, []store.CountEvent{evs[1], {Key: "author:x:1", ID: "x:t:1", At: t0.Add(3 * time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		keys := []string{"author:x:1", "author:x:2", "author:x:3"}
		for _, tc := range []struct {
			since time.Time
			want  map[string]int
		}{
			{time.Time{}, map[string]int{"author:x:1": 3, "author:x:2": 1}},
			{t0, map[string]int{"author:x:1": 3, "author:x:2": 1}},
			{t0.Add(time.Minute), map[string]int{"author:x:1": 2}},
			{t0.Add(time.Hour), map[string]int{"author:x:1": 2}},
			{t0.Add(3 * time.Hour), map[string]int{}},
		} {
			got, err := s.CountEvents(ctx, keys, tc.since)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("CountEvents since %v = %v, want %v", tc.since, got, tc.want)
			}
		}
		if got, err := s.CountEvents(ctx, nil, t0); err != nil || len(got) != 0 {
			t.Errorf("CountEvents of no keys = %v (err %v), want none", got, err)
		}
		// Pruning forgets the old events of the keys with the prefix only.
		other := []store.CountEvent{{Key: "authos", ID: "x:t:1", At: t0}, {Key: "autho", ID: "x:t:1", At: t0}, {Key: "lifecycle/new", ID: "x:t:1", At: t0}}
		if err := s.AddEvents(ctx, other); err != nil {
			t.Fatal(err)
		}
		if err := s.PruneEvents(ctx, "author:", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		all := append(slices.Clone(keys), "authos", "autho", "lifecycle/new")
		got, err := s.CountEvents(ctx, all, time.Time{})
		if want := map[string]int{"author:x:1": 2, "authos": 1, "autho": 1, "lifecycle/new": 1}; err != nil || !maps.Equal(got, want) {
			t.Errorf("after pruning author: %v (err %v), want %v", got, err, want)
		}
		if err := s.PruneEvents(ctx, "", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, err = s.CountEvents(ctx, all, time.Time{})
		if want := map[string]int{"author:x:1": 2}; err != nil || !maps.Equal(got, want) {
			t.Errorf("after pruning all: %v (err %v), want %v", got, err, want)
		}
	})

	t.Run("texts", func(t *testing.T) {
		s := open(t)
		if seq, err := s.LastTextSeq(ctx); err != nil || seq != 0 {
			t.Errorf("LastTextSeq of an empty index = %d (err %v), want 0", seq, err)
		}
		text := func(i int) store.IndexedText {
			return store.IndexedText{Key: fmt.Sprintf("x:t:%d", i), Sig: []byte{byte(i), 0, 0xff}, Label: post.Propaganda}
		}
		// A key stored already is skipped, within a call and across calls.
		if err := s.AddTexts(ctx, []store.IndexedText{text(1), text(2), text(1), text(3)}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddTexts(ctx, []store.IndexedText{text(2), text(4), text(5)}); err != nil {
			t.Fatal(err)
		}
		var (
			got   []store.IndexedText
			after int64
		)
		for pages := 0; ; pages++ {
			page, err := s.TextsSince(ctx, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > 2 || pages > 5 {
				t.Fatalf("page of %d texts after %d pages, want at most 2 and 3 pages", len(page), pages)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].Seq
		}
		if len(got) != 5 {
			t.Fatalf("paged %d texts, want 5: %+v", len(got), got)
		}
		for i, g := range got {
			want := text(i + 1)
			if g.Key != want.Key || string(g.Sig) != string(want.Sig) || g.Label != want.Label || (i > 0 && g.Seq <= got[i-1].Seq) {
				t.Errorf("text %d = %+v, want %+v after seq %d", i, g, want, got[max(i-1, 0)].Seq)
			}
		}
		if seq, err := s.LastTextSeq(ctx); err != nil || seq != got[4].Seq {
			t.Errorf("LastTextSeq = %d (err %v), want %d", seq, err, got[4].Seq)
		}
		if rest, err := s.TextsSince(ctx, got[2].Seq, 10); err != nil || len(rest) != 2 || rest[0].Key != "x:t:4" {
			t.Errorf("TextsSince(%d) = %+v (err %v), want texts 4 and 5", got[2].Seq, rest, err)
		}
	})

	t.Run("cases", func(t *testing.T) {
		s := open(t)
		prop := func(key, group string, minute int) post.CaseProposal {
			return post.CaseProposal{PostKey: key, Label: post.Propaganda, Tier: post.TierOfficial, Entity: "isis",
				Score: 0.9, Reason: "near-duplicate cluster", Group: group, At: t0.Add(time.Duration(minute) * time.Minute)}
		}
		propose := func(want int, ps ...post.CaseProposal) {
			t.Helper()
			if n, err := s.ProposeCases(ctx, ps); err != nil || n != want {
				t.Errorf("ProposeCases(%v) opened %d (err %v), want %d", ps, n, err, want)
			}
		}
		propose(1, prop("x:t:1", "", 0))
		propose(0, prop("x:t:1", "", 1))
		// A group's first proposal opens its case; later ones join it, the
		// same post twice in a call included.
		propose(1, prop("x:t:10", "cluster:a", 2))
		propose(0, prop("x:t:11", "cluster:a", 3))
		propose(0, prop("x:t:12", "cluster:a", 4), prop("x:t:13", "cluster:a", 5), prop("x:t:12", "cluster:a", 6))
		// A post already in an open case stays where it is.
		propose(0, prop("x:t:11", "cluster:b", 7), prop("x:t:1", "cluster:b", 8))
		// A new group with its first posts in one call; a proposal needs
		// no violating label.
		news := prop("x:t:20", "cluster:c", 9)
		news.Label, news.Tier, news.Entity = post.News, post.TierNone, ""
		propose(1, news, prop("x:t:21", "cluster:c", 10))

		cs, err := s.Cases(ctx, post.CaseOpen, 0)
		if err != nil {
			t.Fatal(err)
		}
		type sum struct {
			key, group string
			label      post.Label
			posts      int
		}
		var got []sum
		for _, c := range cs {
			got = append(got, sum{c.PostKey, c.Group, c.Label, c.Posts})
		}
		want := []sum{
			{"x:t:20", "cluster:c", post.News, 2},
			{"x:t:10", "cluster:a", post.Propaganda, 4},
			{"x:t:1", "", post.Propaganda, 1},
		}
		if !slices.Equal(got, want) {
			t.Fatalf("cases = %+v, want %+v", got, want)
		}
		if c := cs[1]; c.Tier != post.TierOfficial || c.Entity != "isis" || c.Reason != "near-duplicate cluster" ||
			c.Status != post.CaseOpen || !c.CreatedAt.Equal(t0.Add(2*time.Minute)) || c.UpdatedAt.Before(c.CreatedAt) {
			t.Errorf("case of cluster:a = %+v", c)
		}
		keys, err := s.CasePosts(ctx, cs[1].ID, 0)
		if want := []string{"x:t:10", "x:t:11", "x:t:12", "x:t:13"}; err != nil || !slices.Equal(keys, want) {
			t.Errorf("CasePosts = %v (err %v), want %v", keys, err, want)
		}
		if keys, err := s.CasePosts(ctx, cs[1].ID, 2); err != nil || len(keys) != 2 {
			t.Errorf("CasePosts with limit 2 = %v (err %v)", keys, err)
		}
		if _, err := s.CasePosts(ctx, cs[0].ID+1000, 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CasePosts of no case: err %v, want ErrNotFound", err)
		}
		if _, err := s.ProposeCases(ctx, []post.CaseProposal{{Reason: "no key"}}); !errors.Is(err, store.ErrBadPost) {
			t.Errorf("proposal without a post key: err %v, want ErrBadPost", err)
		}
	})

	t.Run("concurrent proposals", func(t *testing.T) {
		s := open(t)
		const rounds, workers = 5, 2
		for r := range rounds {
			group := fmt.Sprintf("cluster:%d", r)
			lone := fmt.Sprintf("x:lone:%d", r)
			var (
				wg     sync.WaitGroup
				mu     sync.Mutex
				opened int
			)
			for w := range workers {
				wg.Go(func() {
					// Each worker proposes the same group with posts of its
					// own, and the same post without a group.
					n, err := s.ProposeCases(ctx, []post.CaseProposal{
						{PostKey: fmt.Sprintf("x:%d:%d:1", r, w), Label: post.Propaganda, Group: group},
						{PostKey: fmt.Sprintf("x:%d:%d:2", r, w), Label: post.Propaganda, Group: group},
						{PostKey: lone, Label: post.Propaganda},
					})
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					opened += n
					mu.Unlock()
				})
			}
			wg.Wait()
			if opened != 2 {
				t.Errorf("round %d: %d workers opened %d cases, want 2", r, workers, opened)
			}
		}
		cs, err := s.Cases(ctx, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		groups := map[string]int{}
		for _, c := range cs {
			groups[c.Group] += c.Posts
		}
		if len(cs) != 2*rounds || groups[""] != rounds || groups["cluster:0"] != 2*workers {
			t.Errorf("%d cases, posts by group %v, want %d cases, one post alone and %d in each group per round",
				len(cs), groups, 2*rounds, 2*workers)
		}
	})
}

// BenchAddEvents measures AddEvents as workers call it for flagged posts:
// batches of 500 events, each of a post by one of 5,000 authors.
func BenchAddEvents(b *testing.B, c store.Counters) {
	ctx := context.Background()
	evs := make([]store.CountEvent, 500)
	n := 0
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		for i := range evs {
			evs[i] = store.CountEvent{Key: fmt.Sprintf("author:x:%d", n%5000), ID: fmt.Sprintf("x:t:%d", n),
				At: t0.Add(time.Duration(n) * time.Millisecond)}
			n++
		}
		if err := c.AddEvents(ctx, evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
