package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// Leases give each source one owner among the processes that collect:
// NATS KV in raqib (internal/pipeline), shared by every worker.
type Leases interface {
	// Hold takes the lease of key for owner, or renews it when owner holds
	// it already; false when another owner holds it.
	Hold(ctx context.Context, key, owner string) (bool, error)
	// Release gives up a lease owner holds.
	Release(ctx context.Context, key, owner string) error
}

// Commit hands a batch to the pipeline and returns once it is committed.
type Commit func(ctx context.Context, ps []post.Post) (store.Counts, error)

// Config sets up a Collector.
type Config struct {
	Store      store.Collection
	Connectors Connectors
	Env        Env
	Commit     Commit
	// Leases, when set, make sure no two collectors poll one source;
	// without them this collector polls every source.
	Leases Leases
	// Owner names this collector in leases (and logs).
	Owner string
	// Tick is how often the list of sources is read again, so that a
	// source added anywhere is polled without a restart. Default 2s.
	Tick time.Duration
	// Backoff is the first wait after a failed poll; it doubles with each
	// failure in a row up to the source's interval (at least MaxBackoff),
	// with jitter. Default 10s.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Parallel bounds the polls running at once. Default 4.
	Parallel int
	Log      *slog.Logger
	// Registerer, when set, gets the per-source metrics.
	Registerer prometheus.Registerer
}

// Collector polls the watched sources. It is safe for concurrent use.
type Collector struct {
	cfg     Config
	metrics *metrics

	mu    sync.Mutex
	state map[string]*schedule
}

// schedule is what the collector keeps of one source between polls.
type schedule struct {
	next     time.Time
	failures int
	running  bool
	owned    bool
}

// New returns a collector.
func New(cfg Config) *Collector {
	if cfg.Tick <= 0 {
		cfg.Tick = 2 * time.Second
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 10 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Hour
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 4
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Collector{cfg: cfg, metrics: newMetrics(cfg.Registerer), state: map[string]*schedule{}}
}

// Run polls sources until ctx ends.
func (c *Collector) Run(ctx context.Context) error {
	slots := make(chan struct{}, c.cfg.Parallel)
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(c.cfg.Tick)
	defer t.Stop()
	for {
		if err := c.round(ctx, slots, &wg); err != nil && ctx.Err() == nil {
			c.cfg.Log.Warn("collect: read sources", "err", err)
		}
		select {
		case <-ctx.Done():
			c.releaseAll()
			return nil
		case <-t.C:
		}
	}
}

// round starts the polls that are due.
func (c *Collector) round(ctx context.Context, slots chan struct{}, wg *sync.WaitGroup) error {
	now := c.cfg.Env.Time()
	srcs, err := c.cfg.Store.Watched(ctx, now)
	if err != nil {
		return err
	}
	live := map[string]bool{}
	type due struct {
		src post.Source
		st  *schedule
	}
	var ready []due
	for _, src := range srcs {
		if src.Watch.Paused || c.cfg.Connectors[src.Watch.Kind] == nil {
			continue
		}
		live[src.ID] = true
		st := c.schedule(src, now)
		if !c.hold(ctx, src.ID, st) || !c.due(st, now) {
			continue
		}
		ready = append(ready, due{src, st})
	}
	// The most overdue first, so that sources listed early cannot starve
	// the others of slots.
	c.mu.Lock()
	sort.Slice(ready, func(i, j int) bool { return ready[i].st.next.Before(ready[j].st.next) })
	c.mu.Unlock()
	for _, d := range ready {
		select {
		case slots <- struct{}{}:
		default:
			c.forget(ctx, live)
			return nil // every slot busy: the next round goes on from here
		}
		c.mu.Lock()
		d.st.running = true
		c.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			c.pollScheduled(ctx, d.src, d.st)
		}()
	}
	c.forget(ctx, live)
	return nil
}

// schedule returns the state of src, new sources due once their interval
// since the last poll (by any process) has passed.
func (c *Collector) schedule(src post.Source, now time.Time) *schedule {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.state[src.ID]
	if st == nil {
		st = &schedule{next: src.Watch.LastPoll.Add(src.Watch.Every)}
		if src.Watch.LastPoll.IsZero() || st.next.After(now.Add(src.Watch.Every)) {
			st.next = now
		}
		c.state[src.ID] = st
	}
	return st
}

// due reports whether a source is to be polled now.
func (c *Collector) due(st *schedule, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !st.running && !now.Before(st.next)
}

// hold takes or renews the lease of a source; without leases every source
// is this collector's.
func (c *Collector) hold(ctx context.Context, id string, st *schedule) bool {
	if c.cfg.Leases == nil {
		return true
	}
	ok, err := c.cfg.Leases.Hold(ctx, id, c.cfg.Owner)
	if err != nil {
		c.cfg.Log.Warn("collect: lease", "source", id, "err", err)
		ok = false
	}
	c.mu.Lock()
	st.owned = ok
	c.mu.Unlock()
	return ok
}

// forget drops the state of sources no longer watched (or paused) and
// gives up their leases.
func (c *Collector) forget(ctx context.Context, live map[string]bool) {
	c.mu.Lock()
	var gone []string
	for id, st := range c.state {
		if !live[id] && !st.running {
			if st.owned {
				gone = append(gone, id)
			}
			delete(c.state, id)
		}
	}
	c.mu.Unlock()
	for _, id := range gone {
		c.release(ctx, id)
	}
}

func (c *Collector) releaseAll() {
	c.mu.Lock()
	var ids []string
	for id, st := range c.state {
		if st.owned {
			ids = append(ids, id)
		}
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, id := range ids {
		c.release(ctx, id)
	}
}

func (c *Collector) release(ctx context.Context, id string) {
	if c.cfg.Leases == nil {
		return
	}
	if err := c.cfg.Leases.Release(ctx, id, c.cfg.Owner); err != nil {
		c.cfg.Log.Debug("collect: release lease", "source", id, "err", err)
	}
}

// pollScheduled polls src and schedules its next poll.
func (c *Collector) pollScheduled(ctx context.Context, src post.Source, st *schedule) {
	res, err := c.Poll(ctx, src)
	now := c.cfg.Env.Time()
	c.mu.Lock()
	defer c.mu.Unlock()
	st.running = false
	var wait *WaitError
	switch {
	case err == nil:
		st.failures = 0
		st.next = now.Add(src.Watch.Every)
		if res.NotBefore.After(st.next) {
			st.next = res.NotBefore
		}
	case errors.As(err, &wait):
		// The source said when: no sooner, and no backoff on top.
		st.next = wait.Until
	default:
		st.failures++
		st.next = now.Add(c.backoff(st.failures, src.Watch.Every))
	}
}

// backoff is the wait after n failures in a row: doubling from Backoff up
// to the source's interval (at least MaxBackoff), each a random point in
// its upper half so that sources failing together spread out.
func (c *Collector) backoff(n int, every time.Duration) time.Duration {
	d := c.cfg.Backoff
	ceiling := max(every, c.cfg.MaxBackoff)
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return d/2 + rand.N(d/2+1)
}

// Result is what one poll did.
type Result struct {
	Posts    int
	Rejected int
	Counts   store.Counts
	// NotBefore is the earliest next poll the source's rate limit allows.
	NotBefore time.Time
}

// Poll reads src once, commits what it read and only then stores the new
// cursor; a failure is recorded as the source's last error.
func (c *Collector) Poll(ctx context.Context, src post.Source) (Result, error) {
	start := c.cfg.Env.Time()
	res, err := c.poll(ctx, src, start)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	rec := store.Poll{At: c.cfg.Env.Time()}
	if err != nil {
		rec.Err = err.Error()
		c.cfg.Log.Warn("collect: poll failed", "source", src.ID, "location", src.Location, "err", err)
	}
	c.metrics.polled(src.ID, res, err, rec.At.Sub(start))
	if err != nil {
		if perr := c.cfg.Store.Polled(ctx, src.ID, rec); perr != nil {
			c.cfg.Log.Warn("collect: record failure", "source", src.ID, "err", perr)
		}
		return res, err
	}
	return res, nil
}

func (c *Collector) poll(ctx context.Context, src post.Source, now time.Time) (Result, error) {
	conn := c.cfg.Connectors[src.Watch.Kind]
	if conn == nil {
		return Result{}, fmt.Errorf("%w: no connector for kind %q", ErrBadSource, src.Watch.Kind)
	}
	b, err := conn.Poll(ctx, c.cfg.Env, src)
	if err != nil {
		return Result{}, err
	}
	res := Result{Posts: len(b.Posts), Rejected: len(b.Rejected), NotBefore: b.NotBefore}
	for _, r := range b.Rejected {
		c.cfg.Log.Warn("collect: record skipped", "source", src.ID, "reason", r.Error())
	}
	newest := Stamp(b.Posts, src, now)
	if len(b.Posts) > 0 {
		if res.Counts, err = c.cfg.Commit(ctx, b.Posts); err != nil {
			return res, fmt.Errorf("commit %d posts: %w", len(b.Posts), err)
		}
	}
	// The posts are committed: only now may the cursor move past them.
	if err := c.cfg.Store.Polled(ctx, src.ID, store.Poll{At: c.cfg.Env.Time(), Cursor: b.Cursor, Newest: newest}); err != nil {
		return res, fmt.Errorf("store cursor: %w", err)
	}
	return res, nil
}

// Stamp marks posts as collected from src at now and returns the newest
// publication time among them.
func Stamp(ps []post.Post, src post.Source, now time.Time) time.Time {
	var newest time.Time
	for i := range ps {
		p := &ps[i]
		p.Origin.Source = src.ID
		if p.Origin.File == "" {
			p.Origin.File = src.Location
		}
		if p.CollectedAt.IsZero() {
			p.CollectedAt = now.UTC()
		}
		if p.PostedAt.After(newest) {
			newest = p.PostedAt
		}
	}
	return newest
}

// Store is the store of the watched sources.
func (c *Collector) Store() store.Collection { return c.cfg.Store }
