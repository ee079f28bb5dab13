package web

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/store"
)

// countingStore counts Stats calls.
type countingStore struct {
	store.Store
	calls atomic.Int32
}

func (c *countingStore) Stats(ctx context.Context) (store.Stats, error) {
	c.calls.Add(1)
	return c.Store.Stats(ctx)
}

// TestHeaderStatsCached: pages share one count of the stored posts, and a
// stale count is recounted in the background while pages show it.
func TestHeaderStatsCached(t *testing.T) {
	cs := &countingStore{Store: reviewStore(t, 0)}
	s := &server{Options: Options{Store: cs}}
	s.Options.Log = slog.New(slog.DiscardHandler)
	ctx := context.Background()
	for range 3 {
		if st, err := s.headerStats(ctx); err != nil || st.Posts != 5 {
			t.Fatalf("stats %+v, %v", st, err)
		}
	}
	if n := cs.calls.Load(); n != 1 {
		t.Errorf("%d counts for three pages, want 1", n)
	}
	s.staleStats()
	if _, err := s.headerStats(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for cs.calls.Load() != 2 || s.refreshingNow() {
		if time.Now().After(deadline) {
			t.Fatalf("no recount after the count went stale: %d counts", cs.calls.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *server) refreshingNow() bool {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.refreshing
}
