package web

import (
	"context"
	"sync"
	"time"

	"github.com/raqib-project/raqib/internal/store"
)

// statsTTL is how old the header's counts may be before a request starts
// recounting them.
const statsTTL = 10 * time.Second

// statsCache keeps the counts every page header shows. Counting scans
// every stored post (a second and more at a million posts), so pages show
// the last count and a request that finds it older than statsTTL starts a
// recount in the background; only the first page of a process waits for
// one.
type statsCache struct {
	mu         sync.Mutex
	st         store.Stats
	at         time.Time
	ok         bool
	refreshing bool
}

// headerStats returns the counts for page headers.
func (s *server) headerStats(ctx context.Context) (store.Stats, error) {
	c := &s.stats
	c.mu.Lock()
	if !c.ok {
		c.mu.Unlock()
		st, err := s.Store.Stats(ctx)
		if err == nil {
			c.mu.Lock()
			c.st, c.at, c.ok = st, time.Now(), true
			c.mu.Unlock()
		}
		return st, err
	}
	st := c.st
	stale := time.Since(c.at) > statsTTL && !c.refreshing
	if stale {
		c.refreshing = true
	}
	c.mu.Unlock()
	if stale {
		go s.recount(context.WithoutCancel(ctx))
	}
	return st, nil
}

// recount refreshes the cached counts.
func (s *server) recount(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	st, err := s.Store.Stats(ctx)
	c := &s.stats
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refreshing = false
	if err != nil {
		s.Log.Error("recount stats for page headers", "err", err)
		return
	}
	c.st, c.at = st, time.Now()
}

// staleStats marks the header's counts out of date after this process
// changed them (a decision closes a case), so that the next page starts a
// recount instead of waiting out statsTTL.
func (s *server) staleStats() {
	s.stats.mu.Lock()
	s.stats.at = time.Time{}
	s.stats.mu.Unlock()
}
