package app

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/raqib-project/raqib/internal/account"
	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// livenessSettings are the settings of the commands that run liveness
// checks.
var livenessSettings = slices.Concat([]string{"liveness-intervals", "liveness-confirm", "liveness-confirm-after", "liveness-jitter",
	"liveness-concurrency", "liveness-track-posts"}, fetchSettings)

// livenessConfig reads the liveness settings. Commands that do not take
// them (ingest only watches posts) leave them zero, which liveness.New
// reads as its defaults; negative values are refused.
func (c *Config) livenessConfig() (liveness.Config, error) {
	lc := liveness.Config{Confirm: c.LivenessConfirm, ConfirmAfter: c.LivenessConfirmAfter, Jitter: float64(c.LivenessJitter) / 100,
		Concurrency: c.LivenessConcurrency, TrackPosts: c.LivenessTrackPosts}
	for _, v := range c.LivenessIntervals {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return lc, fmt.Errorf("%w: --liveness-intervals: %q is not a positive duration (5m, 1h, ...)", ErrUsage, v)
		}
		lc.Intervals = append(lc.Intervals, d)
	}
	switch {
	case c.LivenessJitter < 0 || c.LivenessJitter > 90:
		return lc, fmt.Errorf("%w: --liveness-jitter must be 0 to 90 (percent), got %d", ErrUsage, c.LivenessJitter)
	case c.LivenessConcurrency < 0:
		return lc, fmt.Errorf("%w: --liveness-concurrency must be at least 1, got %d", ErrUsage, c.LivenessConcurrency)
	case c.LivenessConfirm < 0:
		return lc, fmt.Errorf("%w: --liveness-confirm must be at least 1, got %d", ErrUsage, c.LivenessConfirm)
	case c.LivenessConfirmAfter < 0:
		return lc, fmt.Errorf("%w: --liveness-confirm-after must be positive, got %v", ErrUsage, c.LivenessConfirmAfter)
	}
	return lc, nil
}

// openLiveness sets up the tracker on the system's store, when the store
// keeps liveness items, with its checks counted in the metrics.
func (s *system) openLiveness() error {
	ls, ok := s.store.(store.Liveness)
	if !ok {
		return nil
	}
	lc, err := s.cfg.livenessConfig()
	if err != nil {
		return err
	}
	client, err := s.cfg.fetcher()
	if err != nil {
		return err
	}
	checks := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "raqib_liveness_checks_total",
		Help: "Liveness re-checks of referred URLs by outcome: online, gone, withheld, login (inconclusive) or error (inconclusive).",
	}, []string{"outcome"})
	for _, o := range liveness.Outcomes {
		checks.WithLabelValues(o.String())
	}
	s.metrics.reg.MustRegister(checks)
	lc.Observe = func(o liveness.Outcome) { checks.WithLabelValues(o.String()).Inc() }
	lc.Log, lc.Now = s.log, s.cfg.Now
	lc.Audit = s.store
	host, _ := os.Hostname()
	lc.Source = "liveness@" + host
	if as, ok := s.store.(account.Store); ok {
		s.accounts = &account.Registry{Store: as, Now: s.cfg.Now}
		lc.Removed = markAccountRemoved(s.accounts)
	}
	s.live = liveness.New(ls, client, lc)
	watchAccounts(s.accounts, s.live)
	return nil
}

// watchAccounts has live re-check the page of every account marked
// referred, timed from the referral, beside the referred posts.
func watchAccounts(reg *account.Registry, live *liveness.Tracker) {
	if reg == nil {
		return
	}
	reg.Watch = func(ctx context.Context, a store.AccountRecord, at time.Time) error {
		u := account.PageURL(a.Account)
		if u == "" {
			return nil // no public page: its removal is only seen in what it posts
		}
		return live.Track(ctx, liveness.Item{URL: u, Platform: a.Platform, Account: account.Key(a.Platform, a.ID),
			Channel: liveness.None, ReferredAt: at})
	}
}

// markAccountRemoved is the liveness hook that marks an account removed
// when the removal of its page is confirmed, with the checks as evidence.
func markAccountRemoved(reg *account.Registry) func(context.Context, liveness.Tracked) error {
	return func(ctx context.Context, it liveness.Tracked) error {
		if it.Account == "" {
			return nil
		}
		p, id, ok := account.SplitKey(it.Account)
		if !ok {
			return fmt.Errorf("liveness item %d: account %q is not platform/id", it.ID, it.Account)
		}
		return reg.MarkRemoved(ctx, store.AccountRef{Platform: p, ID: id}, it.Evidence())
	}
}

// observeBatch counts a committed batch, records the sources its flagged
// posts point to (discovery) and, when configured, watches its violating
// posts.
func (s *system) observeBatch(ps []post.Post, c store.Counts, took time.Duration) {
	s.metrics.observeBatch(ps, c, took)
	s.discover(ps)
	if s.avatars != nil {
		s.avatars.Observe(ps)
	}
	if s.live == nil {
		return
	}
	if _, err := s.live.TrackPosts(context.Background(), ps); err != nil {
		s.log.Error("watch violating posts", "err", err)
	}
}

// fetchAvatars hashes the profile pictures of committed posts until ctx
// ends, when --fetch-avatars asks for it.
func (s *system) fetchAvatars(ctx context.Context) error {
	if !s.cfg.FetchAvatars || s.accounts == nil {
		return nil
	}
	client, err := s.cfg.fetcher()
	if err != nil {
		return err
	}
	s.avatars = &account.Avatars{Fetch: client, Store: s.accounts.Store, Log: s.log}
	go s.avatars.Run(ctx, 2)
	return nil
}

// checkLiveness re-checks due URLs until ctx ends; every serve and worker
// process runs it, sharing the due items through store leases.
func (s *system) checkLiveness(ctx context.Context) {
	if s.live == nil {
		s.log.Info("the store keeps no liveness items: no re-checks")
		return
	}
	s.live.Run(ctx)
}
