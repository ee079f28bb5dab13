package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

var liveT0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func liveItem(i int, ch liveness.Channel) liveness.Item {
	return liveness.Item{URL: fmt.Sprintf("https://t.me/s/example_chan/%d", i), Platform: post.Telegram,
		PostKey: fmt.Sprintf("telegram:example_chan:%d", i), CaseID: int64(i), ReferralID: int64(100 + i), Channel: ch,
		Label: post.Propaganda, Tier: post.TierOfficial, ReferredAt: liveT0.Add(time.Duration(i) * time.Minute)}
}

// RunLiveness runs the liveness suite against fresh, empty stores made by
// open.
func RunLiveness(t *testing.T, open func(t *testing.T) store.Liveness) {
	ctx := context.Background()

	t.Run("track once, referral replaces a plain watch", func(t *testing.T) {
		s := open(t)
		watch := liveItem(1, liveness.None)
		watch.CaseID, watch.ReferralID = 0, 0
		n, err := s.Track(ctx, []liveness.Item{watch, liveItem(2, liveness.Email)}, liveT0)
		if err != nil || n != 2 {
			t.Fatalf("Track = %d, %v; want 2 new", n, err)
		}
		ref := liveItem(1, liveness.Webhook)
		ref.ReferredAt = liveT0.Add(time.Hour)
		again := liveItem(2, liveness.Bundle)
		if n, err = s.Track(ctx, []liveness.Item{ref, again}, liveT0); err != nil || n != 0 {
			t.Fatalf("Track again = %d, %v; want 0 new", n, err)
		}
		got, err := s.TrackedURL(ctx, ref.URL)
		if err != nil {
			t.Fatal(err)
		}
		if got.Item != ref || got.State != liveness.Online || !got.NextCheck.Equal(liveT0) {
			t.Errorf("after referral: %+v, want the referral's item, online, due at %v", got, liveT0)
		}
		if got, _ := s.TrackedURL(ctx, again.URL); got.Channel != liveness.Email {
			t.Errorf("a second referral of a URL changed its channel to %s: the first referral stands", got.Channel)
		}
		if _, err := s.TrackedURL(ctx, "https://example.org/none"); !errors.Is(err, liveness.ErrNotFound) {
			t.Errorf("untracked URL: err %v, want ErrNotFound", err)
		}
	})

	t.Run("an account's page keeps its account", func(t *testing.T) {
		s := open(t)
		acct := liveness.Item{URL: "https://x.com/example_supporter", Platform: post.X, Account: "x:1234",
			Channel: liveness.None, ReferredAt: liveT0}
		if _, err := s.Track(ctx, []liveness.Item{acct}, liveT0); err != nil {
			t.Fatal(err)
		}
		got, err := s.TrackedURL(ctx, acct.URL)
		if err != nil || got.Item != acct {
			t.Errorf("account item read back as %+v, %v; want %+v", got.Item, err, acct)
		}
	})

	t.Run("claim due, lease, record", func(t *testing.T) {
		s := open(t)
		var items []liveness.Item
		for i := range 5 {
			items = append(items, liveItem(i, liveness.Email))
		}
		if _, err := s.Track(ctx, items, liveT0.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ClaimDue(ctx, liveT0, time.Minute, 10); err != nil || len(got) != 0 {
			t.Fatalf("ClaimDue before due = %d items, %v; want none", len(got), err)
		}
		now := liveT0.Add(5 * time.Minute)
		first, err := s.ClaimDue(ctx, now, time.Minute, 3)
		if err != nil || len(first) != 3 {
			t.Fatalf("ClaimDue = %d items, %v; want 3", len(first), err)
		}
		rest, err := s.ClaimDue(ctx, now, time.Minute, 10)
		if err != nil || len(rest) != 2 {
			t.Fatalf("second ClaimDue = %d items, %v; want the other 2", len(rest), err)
		}
		if again, _ := s.ClaimDue(ctx, now.Add(59*time.Second), time.Minute, 10); len(again) != 0 {
			t.Fatalf("claimed %d items again within their lease", len(again))
		}
		// The lease of first[0] ends; another checker takes it over, and the
		// first checker's late result is refused.
		taken, err := s.ClaimDue(ctx, now.Add(time.Minute), time.Minute, 1)
		if err != nil || len(taken) != 1 {
			t.Fatalf("ClaimDue after the lease = %d items, %v; want 1", len(taken), err)
		}
		late := first[0]
		if late.ID != taken[0].ID {
			late = first[1]
			for _, f := range first {
				if f.ID == taken[0].ID {
					late = f
				}
			}
		}
		late.State, late.Checks = liveness.Gone, 1
		if n, err := s.RecordChecks(ctx, []liveness.Tracked{late}); err != nil || n != 0 {
			t.Fatalf("RecordChecks with a lost lease = %d, %v; want 0 saved", n, err)
		}
		r := taken[0]
		r.State, r.Checks, r.Streak = liveness.Removed, 2, 2
		r.GoneSince, r.RemovedAt, r.ConfirmedAt = now, now, now.Add(5*time.Minute)
		r.LastCheck, r.NextCheck = now.Add(5*time.Minute), now.Add(24*time.Hour)
		r.History = []liveness.Check{{At: now, Outcome: liveness.GoneOutcome, Status: 404}, {At: now.Add(5 * time.Minute), Outcome: liveness.Withheld, Status: 451}}
		if n, err := s.RecordChecks(ctx, []liveness.Tracked{r}); err != nil || n != 1 {
			t.Fatalf("RecordChecks = %d, %v; want 1 saved", n, err)
		}
		got, err := s.TrackedURL(ctx, r.URL)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != r.State || got.Checks != 2 || got.Streak != 2 || !got.RemovedAt.Equal(now) || !got.ConfirmedAt.Equal(r.ConfirmedAt) ||
			!got.NextCheck.Equal(r.NextCheck) || !got.LastCheck.Equal(r.LastCheck) || len(got.History) != 2 ||
			got.History[1] != r.History[1] || !got.ReturnedAt.IsZero() {
			t.Errorf("read back %+v\nwant %+v", got, r)
		}
	})

	t.Run("items by referral time and platform", func(t *testing.T) {
		s := open(t)
		var items []liveness.Item
		for i := range 6 {
			it := liveItem(i, liveness.Email)
			if i%2 == 1 {
				it.Platform, it.URL = post.X, fmt.Sprintf("https://x.com/a/status/%d", i)
			}
			items = append(items, it)
		}
		if _, err := s.Track(ctx, items, liveT0); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			f    liveness.Filter
			want []int
		}{
			{liveness.Filter{}, []int{0, 1, 2, 3, 4, 5}},
			{liveness.Filter{From: liveT0.Add(2 * time.Minute), To: liveT0.Add(5 * time.Minute)}, []int{2, 3, 4}},
			{liveness.Filter{Platform: post.X}, []int{1, 3, 5}},
		} {
			var got []int
			for it, err := range s.TrackedItems(ctx, tt.f) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, int(it.CaseID))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("TrackedItems(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		}
	})
}

// ClaimLivenessConcurrently has checkers on each of stores claim due items at once
// until none are left, and fails if any item was claimed twice or not at
// all: what lets many workers share the checks.
func ClaimLivenessConcurrently(t *testing.T, stores []store.Liveness, checkers, items int) {
	t.Helper()
	ctx := context.Background()
	batch := make([]liveness.Item, items)
	for i := range batch {
		batch[i] = liveItem(i, liveness.Webhook)
	}
	if _, err := stores[0].Track(ctx, batch, liveT0); err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		claimed = map[int64]int{}
		wg      sync.WaitGroup
	)
	for c := range checkers * len(stores) {
		s := stores[c%len(stores)]
		wg.Go(func() {
			for {
				ts, err := s.ClaimDue(ctx, liveT0, time.Hour, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ts) == 0 {
					return
				}
				mu.Lock()
				for _, it := range ts {
					claimed[it.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != items {
		t.Errorf("%d items claimed, want %d", len(claimed), items)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("item %d claimed %d times", id, n)
		}
	}
}
