// Package worker is raqib's one batch path. A batch of collected posts is
// enriched, detected and decided (internal/rules) and saved, and only then
// are the rules' effects persisted, in one place: review cases proposed,
// counters incremented, new recycled texts indexed (with the posts in one
// transaction where the store can, store.Batcher), and once all that is
// committed, automated actions taken under quotas. The NATS pipeline
// calls Process for every batch a worker receives; the re-scan after a
// hash-bank import calls it for the posts the new entries match.
//
// Everything a worker remembers between batches lives in the store, so
// that any number of workers in any number of processes agree, and every
// effect is keyed by the post that caused it, so that a batch delivered
// twice (after a crash, before its acknowledgement) changes nothing twice.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/raqib-project/raqib/internal/account"
	"github.com/raqib-project/raqib/internal/detect/recycled"
	"github.com/raqib-project/raqib/internal/effect"
	"github.com/raqib-project/raqib/internal/enrich"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/rules"
	"github.com/raqib-project/raqib/internal/store"
)

// ErrNoStack is returned by New without a detection stack or store.
var ErrNoStack = errors.New("worker needs a stack and a store")

// Store is what a worker needs of the store.
type Store interface {
	SavePosts(ctx context.Context, ps []post.Post) (store.Counts, error)
	store.Counters
	store.TextIndex
	store.CaseProposer
}

// Actor carries out one kind of automated action (effect.Action) on a
// stored post. Actors are listed in Config.Actors; an action no actor
// carries out is logged and dropped.
type Actor interface {
	Name() string
	Act(ctx context.Context, p *post.Post, reason string) error
}

// DefaultQuota is how many times a day each automated action runs, across
// all workers, unless configured otherwise: a circuit breaker against a
// rule gone wrong.
const DefaultQuota = 1000

// quotaWindow is the span a quota counts.
const quotaWindow = 24 * time.Hour

// catchUpPage is how many representatives a worker reads at a time from
// the shared log.
const catchUpPage = 2000

// Config says what a Worker runs.
type Config struct {
	Stack *rules.Stack
	Store Store
	// Recycled is the recycled-text detector the stack runs, whose index
	// the worker fills from the shared log, with as many of the newest
	// representatives as it holds; nil turns that off.
	Recycled *recycled.Detector
	Actors   []Actor
	// Quota is how often each action may run a day; 0 means DefaultQuota.
	Quota int
	Log   *slog.Logger
	// Observe, when set, is told of every committed batch (metrics).
	Observe func(ps []post.Post, c store.Counts, took time.Duration)
	// Now gives the time; nil means time.Now.
	Now func() time.Time
	// Enrich, when set, adds to a batch before detection what needs
	// outside tools and the whole batch at once: the text inside images
	// (internal/ocr.Enricher). An error fails the batch, to be retried.
	Enrich func(ctx context.Context, ps []post.Post) error
}

// Worker processes batches. It is safe for concurrent use.
type Worker struct {
	cfg    Config
	actors map[string]Actor

	mu      sync.Mutex // guards textSeq, the catch-up and pruned
	textSeq int64      // the newest representative read from the log
	pruned  time.Time  // when counter events were last pruned
	// accounts is the store's account registry, nil when it keeps none:
	// then lifecycle rules see no history and links are not recorded.
	accounts store.Accounts
}

// New returns a worker and fills the recycled-text index with the newest
// representatives of the shared log.
func New(ctx context.Context, cfg Config) (*Worker, error) {
	if cfg.Stack == nil || cfg.Store == nil {
		return nil, ErrNoStack
	}
	if cfg.Quota <= 0 {
		cfg.Quota = DefaultQuota
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	w := &Worker{cfg: cfg, actors: map[string]Actor{}}
	w.accounts, _ = cfg.Store.(store.Accounts)
	for _, a := range cfg.Actors {
		w.actors[a.Name()] = a
	}
	if cfg.Recycled != nil {
		last, err := cfg.Store.LastTextSeq(ctx)
		if err != nil {
			return nil, fmt.Errorf("recycled texts: %w", err)
		}
		w.textSeq = max(0, last-int64(cfg.Recycled.Capacity()))
		if err := w.catchUp(ctx); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Process runs one batch through the whole path and returns what the
// store did with it. On an error nothing of the batch's effects may have
// been persisted; running the batch again completes it.
func (w *Worker) Process(ctx context.Context, ps []post.Post) (store.Counts, error) {
	start := time.Now()
	if err := w.catchUp(ctx); err != nil {
		return store.Counts{}, err
	}
	now := w.cfg.Now()
	rt, t, err := w.tally(ctx, ps, now)
	if err != nil {
		return store.Counts{}, err
	}
	if w.cfg.Enrich != nil {
		if err := w.cfg.Enrich(ctx, ps); err != nil {
			return store.Counts{}, fmt.Errorf("enrich: %w", err)
		}
	}
	effects := make([]effect.Set, len(ps))
	for i := range ps {
		p := &ps[i]
		enrich.Post(p)
		effects[i] = w.cfg.Stack.Check(p, rt)
		for _, k := range effects[i].Counts {
			t.local[k]++
		}
		t.noteSeen(p, now)
	}
	var (
		c    store.Counts
		acts []request
	)
	save := func(ctx context.Context) (err error) {
		if c, err = w.cfg.Store.SavePosts(ctx, ps); err != nil {
			return err
		}
		if c.Cases, acts, err = w.persist(ctx, ps, effects, now); err != nil {
			return fmt.Errorf("persist effects: %w", err)
		}
		return nil
	}
	if b, ok := w.cfg.Store.(store.Batcher); ok {
		err = b.Batch(ctx, save)
	} else {
		err = save(ctx)
	}
	if err != nil {
		return store.Counts{}, err
	}
	// Actions reach outside: they run once their posts and their own
	// records are committed.
	if err := w.act(ctx, acts, now); err != nil {
		return c, fmt.Errorf("persist effects: %w", err)
	}
	w.prune(ctx, now)
	if w.cfg.Observe != nil {
		w.cfg.Observe(ps, c, time.Since(start))
	}
	return c, nil
}

// catchUp adds the representatives other workers (and this one) logged
// since the last catch-up to the recycled-text index.
func (w *Worker) catchUp(ctx context.Context) error {
	if w.cfg.Recycled == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		ts, err := w.cfg.Store.TextsSince(ctx, w.textSeq, catchUpPage)
		if err != nil {
			return fmt.Errorf("recycled texts: %w", err)
		}
		for _, t := range ts {
			if err := w.cfg.Recycled.Add(t.Key, t.Label, t.Sig); err != nil {
				w.cfg.Log.Warn("recycled text not indexed", "err", err)
			}
			w.textSeq = t.Seq
		}
		if len(ts) < catchUpPage {
			return nil
		}
	}
}

// batchTally answers the rules' counter queries: the shared counts when
// the batch began plus the batch's own increments, so that the fourth
// violating post of an author in one batch sees the three before it. With
// an account registry it also knows when each author was last seen, the
// batch's own posts included.
type batchTally struct {
	base, local map[string]int
	seen        map[store.AccountRef]time.Time // nil without a registry
}

func (t *batchTally) Count(key string) int { return t.base[key] + t.local[key] }

// batchHistory is a batchTally that implements rules.History: one made
// only when the store keeps a registry, so that the lifecycle rules stay
// silent where there is no history to read.
type batchHistory struct{ *batchTally }

func (t batchHistory) LastSeen(platform post.Platform, id string) (time.Time, bool) {
	last, ok := t.seen[store.AccountRef{Platform: platform, ID: id}]
	return last, ok
}

// noteSeen records that p's author was seen, for the later posts of the
// batch.
func (t *batchTally) noteSeen(p *post.Post, now time.Time) {
	if t.seen == nil || p.Author.ID == "" {
		return
	}
	at := p.PostedAt
	if at.IsZero() {
		at = now
	}
	r := store.AccountRef{Platform: p.Platform, ID: p.Author.ID}
	if last, ok := t.seen[r]; !ok || at.After(last) {
		t.seen[r] = at
	}
}

func (w *Worker) tally(ctx context.Context, ps []post.Post, now time.Time) (rules.Tally, *batchTally, error) {
	seen := make(map[string]bool, len(ps))
	keys := make([]string, 0, len(ps))
	var authors []store.AccountRef
	for i := range ps {
		if k := rules.FlaggedKey(&ps[i]); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
			if ps[i].Author.ID != "" {
				authors = append(authors, store.AccountRef{Platform: ps[i].Platform, ID: ps[i].Author.ID})
			}
		}
	}
	base, err := w.cfg.Store.CountEvents(ctx, keys, now.Add(-rules.CounterWindow))
	if err != nil {
		return nil, nil, fmt.Errorf("counters: %w", err)
	}
	t := &batchTally{base: base, local: map[string]int{}}
	if w.accounts == nil {
		return t, t, nil
	}
	if t.seen, err = w.accounts.LastSeen(ctx, authors); err != nil {
		return nil, nil, fmt.Errorf("account registry: %w", err)
	}
	return batchHistory{t}, t, nil
}

// persist writes the effects of a saved batch and returns the number of
// cases it opened and the actions asked for, which act carries out once
// this is committed.
func (w *Worker) persist(ctx context.Context, ps []post.Post, effects []effect.Set, now time.Time) (int, []request, error) {
	var (
		cases  []post.CaseProposal
		events []store.CountEvent
		texts  []store.IndexedText
		acts   []request
	)
	for i := range effects {
		fx, p := &effects[i], &ps[i]
		cases = append(cases, fx.Cases...)
		key := ""
		if len(fx.Counts) > 0 || fx.IndexText || len(fx.Actions) > 0 {
			key = p.Key()
		}
		for _, k := range fx.Counts {
			events = append(events, store.CountEvent{Key: k, ID: key, At: now})
		}
		if fx.IndexText && fx.TextSig != nil && w.cfg.Recycled != nil {
			texts = append(texts, store.IndexedText{Key: key, Sig: fx.TextSig, Label: p.Decision.Label})
		}
		for _, a := range fx.Actions {
			acts = append(acts, request{a, p})
		}
		events = append(events, account.LifecycleEvents(p, fx.Account, now)...)
	}
	opened := 0
	if len(cases) > 0 {
		var err error
		if opened, err = w.cfg.Store.ProposeCases(ctx, cases); err != nil {
			return 0, nil, fmt.Errorf("cases: %w", err)
		}
	}
	if len(events) > 0 {
		if err := w.cfg.Store.AddEvents(ctx, events); err != nil {
			return opened, nil, fmt.Errorf("counters: %w", err)
		}
	}
	if len(texts) > 0 {
		if err := w.cfg.Store.AddTexts(ctx, texts); err != nil {
			return opened, nil, fmt.Errorf("recycled texts: %w", err)
		}
	}
	if err := w.persistAccounts(ctx, ps, effects, now); err != nil {
		return opened, nil, err
	}
	return opened, acts, nil
}

// request is one action asked for one post.
type request struct {
	effect.Action
	p *post.Post
}

// quotaKey is the counter of an action's runs; doneKey records that it ran
// for one post.
func quotaKey(action string) string         { return quotaPrefix + action }
func doneKey(action, postKey string) string { return donePrefix + action + "/" + postKey }

const (
	quotaPrefix = "action/"
	donePrefix  = "acted/"
)

// pruneEvery is how often a worker forgets the counter events that fell
// out of the windows they are read over. Without it the events table grew
// by a row per flagged post for ever, and with it every counter's index.
const pruneEvery = time.Hour

// windows are the counters the worker writes, by key prefix, and the span
// over which they are read; lifecycle counters are read over all time and
// are kept (one event per account, or per account and day).
var windows = []struct {
	prefix string
	span   time.Duration
}{
	{rules.FlaggedPrefix, rules.CounterWindow},
	{quotaPrefix, quotaWindow},
	{donePrefix, quotaWindow},
}

// prune forgets counter events older than their window, at most once per
// pruneEvery in this process. Every worker may do it (it is idempotent);
// a failure is logged and tried again at the next interval, because the
// batch it follows is stored.
func (w *Worker) prune(ctx context.Context, now time.Time) {
	w.mu.Lock()
	due := now.Sub(w.pruned) >= pruneEvery
	if due {
		w.pruned = now
	}
	w.mu.Unlock()
	if !due {
		return
	}
	for _, win := range windows {
		if err := w.cfg.Store.PruneEvents(ctx, win.prefix, now.Add(-win.span)); err != nil {
			w.cfg.Log.Warn("prune counters", "prefix", win.prefix, "err", err)
		}
	}
}

// act runs the actions of a batch within each action's daily quota. Each
// run is recorded before it is carried out, keyed by post, so that a batch
// delivered again neither acts twice nor counts twice against the quota.
// An actor's failure is logged, not returned: the batch is stored, and
// delivering it again would repeat the actions that succeeded.
func (w *Worker) act(ctx context.Context, reqs []request, now time.Time) error {
	byName := map[string][]request{}
	var names []string
	for _, r := range reqs {
		if _, ok := w.actors[r.Name]; !ok {
			w.cfg.Log.Warn("no actor for action; dropped", "action", r.Name, "post", r.p.Key())
			continue
		}
		if len(byName[r.Name]) == 0 {
			names = append(names, r.Name)
		}
		byName[r.Name] = append(byName[r.Name], r)
	}
	since := now.Add(-quotaWindow)
	for _, name := range names {
		rs := byName[name]
		keys := []string{quotaKey(name)}
		for _, r := range rs {
			keys = append(keys, doneKey(name, r.p.Key()))
		}
		seen, err := w.cfg.Store.CountEvents(ctx, keys, since)
		if err != nil {
			return fmt.Errorf("quota of %s: %w", name, err)
		}
		rs = slices.DeleteFunc(rs, func(r request) bool { return seen[doneKey(name, r.p.Key())] > 0 })
		if left := max(w.cfg.Quota-seen[quotaKey(name)], 0); len(rs) > left {
			w.cfg.Log.Warn("action quota reached; the rest of the day's requests are dropped",
				"action", name, "quota", w.cfg.Quota, "dropped", len(rs)-left)
			rs = rs[:left]
		}
		if len(rs) == 0 {
			continue
		}
		evs := make([]store.CountEvent, 0, 2*len(rs))
		for _, r := range rs {
			evs = append(evs, store.CountEvent{Key: quotaKey(name), ID: r.p.Key(), At: now},
				store.CountEvent{Key: doneKey(name, r.p.Key()), ID: r.p.Key(), At: now})
		}
		if err := w.cfg.Store.AddEvents(ctx, evs); err != nil {
			return fmt.Errorf("quota of %s: %w", name, err)
		}
		for _, r := range rs {
			if err := w.actors[name].Act(ctx, r.p, r.Reason); err != nil {
				w.cfg.Log.Error("action failed", "action", name, "post", r.p.Key(), "err", err)
			}
		}
	}
	return nil
}

// persistAccounts records what the batch showed of its authors in the
// registry: removals the platform itself reports and dormant accounts
// posting again, with their evidence, and the links each author posted.
func (w *Worker) persistAccounts(ctx context.Context, ps []post.Post, effects []effect.Set, now time.Time) error {
	if w.accounts == nil {
		return nil
	}
	for i := range effects {
		for _, ev := range effects[i].Account {
			p := &ps[i]
			ref := store.AccountRef{Platform: p.Platform, ID: p.Author.ID}
			c := store.StatusChange{Account: ref, Evidence: ev.Reason + " (post " + p.Key() + ")", Actor: "worker", At: now}
			switch ev.Kind {
			case effect.AccountRemoved:
				c.Status, c.Source = store.StatusRemoved, "withheld"
			case effect.AccountReactivated:
				// Only a dormant account becomes active again: a removed
				// one posting is evidence for an analyst, not a reversal.
				rec, err := w.accounts.AccountRecord(ctx, ref)
				if err != nil {
					return fmt.Errorf("account status: %w", err)
				}
				if rec.Status != store.StatusDormant {
					continue
				}
				c.Status, c.Source = store.StatusActive, "lifecycle"
			default:
				continue
			}
			if _, err := w.accounts.SetAccountStatus(ctx, c); err != nil {
				return fmt.Errorf("account status: %w", err)
			}
		}
	}
	if links := account.PostedLinks(ps, now); len(links) > 0 {
		if err := w.accounts.NoteLinks(ctx, links); err != nil {
			return fmt.Errorf("account links: %w", err)
		}
	}
	return nil
}
