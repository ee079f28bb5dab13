package liveness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/fetch"
	"github.com/raqib-project/raqib/internal/post"
)

// Doer sends a request: the SSRF-safe *fetch.Client, which refuses
// private addresses after DNS and on every redirect. A refused address is
// an inconclusive check, never a removal.
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// Config says how often items are checked and by how many goroutines.
type Config struct {
	// Intervals are the waits between checks: after n checks the next
	// waits Intervals[n], the last repeating, so that checks are dense in
	// the first hours, when most removals happen, and sparse later.
	Intervals []time.Duration
	// Confirm is how many consecutive checks must find the content gone
	// (or withheld) before its removal is confirmed.
	Confirm int
	// ConfirmAfter is the wait before re-checking content first seen gone
	// (and after an inconclusive check of it).
	ConfirmAfter time.Duration
	// Jitter scales every wait by a random factor in [1-Jitter, 1+Jitter],
	// so that items referred together are not all checked together.
	Jitter float64
	// Concurrency is how many checks run at once in this process.
	Concurrency int
	// Batch is how many due items are claimed at a time; Lease how long
	// the claim stands before another checker may take the items over.
	Batch int
	Lease time.Duration
	// Poll is how long Run waits when nothing is due.
	Poll time.Duration
	// TrackPosts makes TrackPosts watch every violating post with a URL.
	TrackPosts bool

	// Audit, when set, keeps the trail of what liveness found: each
	// confirmed removal and each comeback (not every check, which would
	// drown the trail).
	Audit Auditor
	// Source names this process in audit entries, e.g. "worker:host".
	Source string

	Now     func() time.Time // time.Now when nil
	Rand    func() float64   // uniform in [0,1); math/rand/v2 when nil
	Observe func(Outcome)    // told of every check (metrics); may be nil
	// Removed, when set, is told of each item whose removal was just
	// confirmed, after the result is stored: an account's page gone
	// marks the account removed.
	Removed func(ctx context.Context, it Tracked) error
	Log     *slog.Logger
}

// Auditor appends to the audit trail (store.Auditor does).
type Auditor interface {
	Append(ctx context.Context, e audit.Entry) (audit.Entry, error)
}

// DefaultIntervals are 5 min, 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h,
// then daily: eight checks in the first sixteen hours, when a one-hour
// (TCO) or one-day removal is decided.
var DefaultIntervals = []time.Duration{5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour,
	2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// maxBody is how much of a page the classifier reads: the platforms'
// notices are near the start.
const maxBody = 256 << 10

// Tracker registers URLs to watch and checks the ones that are due.
type Tracker struct {
	store  Store
	client Doer
	cfg    Config
	randMu sync.Mutex
	// fetching holds a token per check in flight, so that the pipelines
	// of Run together run at most Concurrency checks.
	fetching chan struct{}
}

// pipelines is how many claim–check–record loops Run keeps going: while
// one waits on the store, the other's checks keep the fetch slots busy.
const pipelines = 2

// New returns a tracker on s that fetches through client, with cfg's
// zero fields set to their defaults.
func New(s Store, client Doer, cfg Config) *Tracker {
	if len(cfg.Intervals) == 0 {
		cfg.Intervals = DefaultIntervals
	}
	if cfg.Confirm < 1 {
		cfg.Confirm = 2
	}
	if cfg.ConfirmAfter <= 0 {
		cfg.ConfirmAfter = 5 * time.Minute
	}
	cfg.Jitter = min(max(cfg.Jitter, 0), 0.9)
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 8
	}
	if cfg.Batch < 1 {
		cfg.Batch = 32 * cfg.Concurrency
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 10 * time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Tracker{store: s, client: client, cfg: cfg, fetching: make(chan struct{}, cfg.Concurrency)}
}

// Track registers one URL to watch; its first check is due after the
// first interval.
func (t *Tracker) Track(ctx context.Context, it Item) error {
	_, err := t.TrackAll(ctx, []Item{it})
	return err
}

// TrackAll registers items and returns how many were new. A bad item
// refuses the whole call, naming it.
func (t *Tracker) TrackAll(ctx context.Context, items []Item) (int, error) {
	now := t.cfg.Now()
	for i := range items {
		if err := checkItem(&items[i], now); err != nil {
			return 0, fmt.Errorf("item %d (%q): %w", i, items[i].URL, err)
		}
	}
	return t.store.Track(ctx, items, now.Add(t.wait(t.cfg.Intervals[0])))
}

// StillOnline reports whether the tracked url was online at its last
// check: what a re-report asks before it goes. Content seen gone, even
// before confirmation, is not online; a URL not tracked is ErrNotFound.
func (t *Tracker) StillOnline(ctx context.Context, url string) (bool, error) {
	it, err := t.store.TrackedURL(ctx, url)
	if err != nil {
		return false, err
	}
	return it.State == Online || it.State == Returned, nil
}

// TrackPosts watches the violating posts of ps that have a URL, as items
// without a referral (channel none) timed from their collection, when
// the configuration asks for it.
func (t *Tracker) TrackPosts(ctx context.Context, ps []post.Post) (int, error) {
	if !t.cfg.TrackPosts {
		return 0, nil
	}
	var items []Item
	for i := range ps {
		p := &ps[i]
		if !p.Decision.Violating || p.URL == "" {
			continue
		}
		it := Item{URL: p.URL, Platform: p.Platform, PostKey: p.Key(), Channel: None,
			Label: p.Decision.Label, Tier: p.Decision.Tier, ReferredAt: p.CollectedAt}
		if checkItem(&it, t.cfg.Now()) != nil {
			continue // a post's URL that is not http(s) cannot be checked
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return 0, nil
	}
	return t.TrackAll(ctx, items)
}

func checkItem(it *Item, now time.Time) error {
	u, err := url.Parse(it.URL)
	if err != nil {
		return fmt.Errorf("%w: url: %w", ErrBadItem, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: url: want an absolute http(s) URL", ErrBadItem)
	}
	if it.Channel == "" {
		it.Channel = None
	}
	if !it.Channel.Valid() {
		return fmt.Errorf("%w: channel %q: want email, webhook, bundle or none", ErrBadItem, it.Channel)
	}
	if it.Label != "" && !it.Label.Valid() {
		return fmt.Errorf("%w: label %q: not a label of the taxonomy", ErrBadItem, it.Label)
	}
	if it.ReferredAt.IsZero() {
		it.ReferredAt = now
	}
	it.ReferredAt = it.ReferredAt.UTC()
	return nil
}

// wait is d scaled by a random factor in [1-Jitter, 1+Jitter].
func (t *Tracker) wait(d time.Duration) time.Duration {
	if t.cfg.Jitter == 0 {
		return d
	}
	t.randMu.Lock()
	r := t.cfg.Rand()
	t.randMu.Unlock()
	return time.Duration(float64(d) * (1 + t.cfg.Jitter*(2*r-1)))
}

// Run checks due items until ctx ends, in pipelines loops that each wait
// Poll whenever fewer than a batch were due.
func (t *Tracker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range pipelines {
		wg.Go(func() { t.loop(ctx) })
	}
	wg.Wait()
	return nil
}

func (t *Tracker) loop(ctx context.Context) {
	for {
		n, err := t.CheckDue(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			t.cfg.Log.Error("liveness checks", "err", err)
		}
		if n >= t.cfg.Batch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(t.cfg.Poll):
		}
	}
}

// CheckDue claims one batch of due items, checks them and records the
// results; it returns how many it claimed.
func (t *Tracker) CheckDue(ctx context.Context) (int, error) {
	items, err := t.store.ClaimDue(ctx, t.cfg.Now(), t.cfg.Lease, t.cfg.Batch)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	before := make([]State, len(items))
	for i := range items {
		before[i] = items[i].State
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(t.cfg.Concurrency, len(items)) {
		wg.Go(func() {
			for i := range next {
				t.fetching <- struct{}{}
				c := t.check(ctx, items[i].URL)
				<-t.fetching
				t.Apply(&items[i], c)
			}
		})
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		// The fetches were cut short: record nothing, and let the leases
		// run out so that the items are checked again.
		return len(items), err
	}
	if _, err := t.store.RecordChecks(context.WithoutCancel(ctx), items); err != nil {
		return len(items), err
	}
	return len(items), errors.Join(t.audit(context.WithoutCancel(ctx), before, items), t.removed(context.WithoutCancel(ctx), before, items))
}

// removed tells the Removed hook of the items whose removal was confirmed
// by this batch.
func (t *Tracker) removed(ctx context.Context, before []State, items []Tracked) error {
	if t.cfg.Removed == nil {
		return nil
	}
	var errs []error
	for i := range items {
		if items[i].State == Removed && before[i] != Removed {
			if err := t.cfg.Removed(ctx, items[i]); err != nil {
				errs = append(errs, fmt.Errorf("removal of %s: %w", items[i].URL, err))
			}
		}
	}
	return errors.Join(errs...)
}

// audit records the items of a batch that were confirmed removed or came
// back.
func (t *Tracker) audit(ctx context.Context, before []State, items []Tracked) error {
	if t.cfg.Audit == nil {
		return nil
	}
	var errs []error
	for i := range items {
		it := &items[i]
		action := ""
		switch {
		case it.State == Removed && before[i] != Removed:
			action = "liveness.removed"
		case it.State == Returned && before[i] != Returned:
			action = "liveness.returned"
		default:
			continue
		}
		b, _ := json.Marshal(map[string]any{"state": before[i]})
		a, _ := json.Marshal(map[string]any{"state": it.State, "removed_at": it.RemovedAt, "confirmed_at": it.ConfirmedAt,
			"returned_at": it.ReturnedAt, "referral_id": it.ReferralID, "case_id": it.CaseID, "last_check": it.History[len(it.History)-1]})
		_, err := t.cfg.Audit.Append(ctx, audit.Entry{At: it.LastCheck, Actor: "liveness", Source: t.cfg.Source, Action: action,
			Subject: it.URL, Before: b, After: a})
		if err != nil {
			errs = append(errs, fmt.Errorf("audit %s of %s: %w", action, it.URL, err))
		}
	}
	return errors.Join(errs...)
}

// check fetches u once and classifies what came back.
func (t *Tracker) check(ctx context.Context, u string) Check {
	c := t.fetch(ctx, u)
	if t.cfg.Observe != nil {
		t.cfg.Observe(c.Outcome)
	}
	return c
}

func (t *Tracker) fetch(ctx context.Context, u string) Check {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Check{At: t.cfg.Now(), Outcome: Unknown}
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("Accept-Language", "en")
	resp, err := t.client.Do(req)
	at := t.cfg.Now()
	if err != nil {
		t.cfg.Log.Debug("liveness fetch", "url", u, "err", err)
		return Check{At: at, Outcome: Transient}
	}
	defer resp.Body.Close()
	p := Page{URL: u, Status: resp.StatusCode}
	if resp.Request != nil && resp.Request.URL != nil {
		p.FinalURL = resp.Request.URL.String()
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody)) // lets the connection be re-used
	o := Classify(Page{URL: p.URL, FinalURL: p.FinalURL, Status: p.Status, Body: body})
	if err != nil && !errors.Is(err, fetch.ErrTooLarge) && !o.Removal() {
		// A page cut short is read again later; a removal status needs
		// no body, and the notices of a page longer than the fetch limit
		// are in the part that was read.
		o = Transient
	}
	return Check{At: at, Outcome: o, Status: resp.StatusCode}
}

// Apply moves it on by the result of one check and schedules its next
// check. It is exported for tests that drive the state machine with an
// injected clock.
func (t *Tracker) Apply(it *Tracked, c Check) {
	it.Checks++
	it.LastCheck = c.At
	it.History = append(it.History, c)
	if n := len(it.History) - HistoryLen; n > 0 {
		it.History = append(it.History[:0], it.History[n:]...)
	}
	sparse := t.cfg.Intervals[len(t.cfg.Intervals)-1]
	wait := t.cfg.Intervals[min(it.Checks, len(t.cfg.Intervals)-1)]
	switch {
	case c.Outcome.Removal():
		if it.Streak == 0 {
			it.GoneSince = c.At
		}
		it.Streak++
		switch {
		case it.State == Removed:
			wait = sparse
		case it.Streak >= t.cfg.Confirm:
			it.State = Removed
			if it.RemovedAt.IsZero() {
				it.RemovedAt, it.ConfirmedAt = it.GoneSince, c.At
			}
			// Removed content is still watched, sparsely, in case the
			// platform reinstates it.
			wait = sparse
		default:
			it.State = Gone
			wait = t.cfg.ConfirmAfter
		}
	case c.Outcome == Up:
		switch {
		case it.State == Removed:
			it.State, it.ReturnedAt = Returned, c.At
		case it.State == Gone && !it.RemovedAt.IsZero():
			it.State = Returned
		case it.State == Gone || it.State == "":
			it.State = Online
		}
		it.Streak, it.GoneSince = 0, time.Time{}
	default:
		switch it.State {
		case Gone:
			wait = t.cfg.ConfirmAfter
		case Removed:
			wait = sparse
		}
	}
	it.NextCheck = c.At.Add(t.wait(wait))
}
