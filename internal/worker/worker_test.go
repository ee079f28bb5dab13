package worker_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/act/alert"
	"github.com/raqib-project/raqib/internal/detect"
	"github.com/raqib-project/raqib/internal/detect/lexicon"
	"github.com/raqib-project/raqib/internal/detect/recycled"
	"github.com/raqib-project/raqib/internal/neardup"
	"github.com/raqib-project/raqib/internal/ocr"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/rules"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
	"github.com/raqib-project/raqib/internal/worker"
)

// The posts are hand-made and fictional.
const (
	propaganda = "بيان من جنود الخلافة في ولاية الشام: الدولة الإسلامية باقية وتتمدد رغم أنف الرافضة والصليبيين"
	// recycledCopy is propaganda re-posted with a hashtag and an emoji.
	recycledCopy = "#عاجل بيان من جنود الخلافة في ولاية الشام: الدولة الإسلامية باقية وتتمدد رغم أنف الرافضة والصليبيين 🔥"
	threat       = "@enemy أنت التالي يا عدو الله، سنذبحكم يا مرتدين"
	weather      = "الجو جميل اليوم في المدينة والناس في الحدائق"
)

var now = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func mkPost(id, author, text string) post.Post {
	return post.Post{Platform: post.Telegram, ID: id, Kind: post.Message, Channel: post.Channel{Platform: post.Telegram, ID: "c"},
		Author: post.Account{Platform: post.Telegram, ID: author}, Text: text, CollectedAt: now}
}

// recorder is an Actor that remembers what it was asked to do.
type recorder struct {
	mu   sync.Mutex
	keys []string
}

func (r *recorder) Name() string { return alert.Name }

func (r *recorder) Act(_ context.Context, p *post.Post, _ string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = append(r.keys, p.Key())
	return nil
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newWorker(t *testing.T, st worker.Store, quota int, actors ...worker.Actor) *worker.Worker {
	t.Helper()
	lex, err := lexicon.NewHolder("")
	if err != nil {
		t.Fatal(err)
	}
	texts := recycled.New(neardup.NewIndex(0))
	stack, err := rules.NewStack(rules.StackConfig{Lexicon: lex, Detectors: []detect.Detector{texts}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(context.Background(), worker.Config{Stack: stack, Store: st, Recycled: texts,
		Actors: actors, Quota: quota, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func process(t *testing.T, w *worker.Worker, ps ...post.Post) store.Counts {
	t.Helper()
	c, err := w.Process(context.Background(), ps)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// flagged returns the shared count of violating posts per author.
func flagged(t *testing.T, st store.Store, authors ...string) map[string]int {
	t.Helper()
	keys := make([]string, len(authors))
	for i, a := range authors {
		p := mkPost("", a, "")
		keys[i] = rules.FlaggedKey(&p)
	}
	n, err := st.CountEvents(context.Background(), keys, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for i, k := range keys {
		if n[k] > 0 {
			out[authors[i]] = n[k]
		}
	}
	return out
}

// TestEffectsPersistedOnce checks that a batch's effects reach the store
// after it is committed, grouped as analysts work them, and that the same
// batch delivered again changes nothing.
func TestEffectsPersistedOnce(t *testing.T) {
	st := openStore(t)
	rec := &recorder{}
	w := newWorker(t, st, 100, rec)
	batch := func() []post.Post {
		return []post.Post{mkPost("1", "a", propaganda), mkPost("2", "a", propaganda+" اليوم"), mkPost("3", "b", threat), mkPost("4", "c", weather)}
	}
	c := process(t, w, batch()...)
	if c.Inserted != 4 || c.Cases != 2 {
		t.Errorf("counts %+v: want 4 inserted and 2 cases (one for author a's two posts, one for the threat)", c)
	}
	cases, err := st.Cases(context.Background(), post.CaseOpen, 10)
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]int{}
	for _, cs := range cases {
		groups[cs.Group] = cs.Posts
	}
	if groups["account/telegram/a"] != 2 || groups[""] != 1 || len(groups) != 2 {
		t.Errorf("cases by group %v: want author a's case with 2 posts and one threat case", groups)
	}
	if got := flagged(t, st, "a", "b", "c"); got["a"] != 2 || got["b"] != 1 || len(got) != 2 {
		t.Errorf("flagged counts %v: want a=2, b=1, c absent", got)
	}
	last, err := st.LastTextSeq(context.Background())
	if err != nil || last == 0 {
		t.Errorf("no representative logged (last seq %d, %v)", last, err)
	}
	if len(rec.keys) != 1 || rec.keys[0] != "telegram:c:3" {
		t.Errorf("alerts %v: want one for the threat", rec.keys)
	}

	again := process(t, w, batch()...)
	if again.Duplicates != 4 || again.Cases != 0 {
		t.Errorf("replay counts %+v: want 4 duplicates, no case", again)
	}
	if got := flagged(t, st, "a"); got["a"] != 2 {
		t.Errorf("replay counted again: %v", got)
	}
	if last2, _ := st.LastTextSeq(context.Background()); last2 != last {
		t.Errorf("replay logged texts again: seq %d then %d", last, last2)
	}
	if len(rec.keys) != 1 {
		t.Errorf("replay alerted again: %v", rec.keys)
	}
}

// TestRecycledAcrossWorkers checks that a worker recognizes the copy of a
// text another worker (another process, in scale-out) found violating:
// the index is shared through the store, and the copy joins the
// original's case group.
func TestRecycledAcrossWorkers(t *testing.T) {
	st := openStore(t)
	a, b := newWorker(t, st, 100), newWorker(t, st, 100)
	process(t, a, mkPost("1", "a", propaganda))
	cp := mkPost("2", "z", recycledCopy)
	process(t, b, cp)
	got, _, err := st.Post(context.Background(), cp.Key())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(got.Signals, func(s post.Signal) bool { return s.Detector == recycled.Name })
	if i < 0 || got.Signals[i].Ref != "telegram:c:1" {
		t.Fatalf("copy's signals %+v: want a link to telegram:c:1", got.Signals)
	}
	cases, err := st.Cases(context.Background(), post.CaseOpen, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(cases, func(c post.Case) bool { return c.Group == "recycled/telegram:c:1" }) {
		t.Errorf("cases %+v: want the copy in the original's cluster", cases)
	}
	// A third worker started afterwards loads the representative too.
	c := newWorker(t, st, 100)
	cp2 := mkPost("3", "y", recycledCopy+" انشروا")
	process(t, c, cp2)
	if got, _, _ := st.Post(context.Background(), cp2.Key()); !slices.ContainsFunc(got.Signals, func(s post.Signal) bool { return s.Detector == recycled.Name }) {
		t.Errorf("a new worker did not load the shared index: %+v", got.Signals)
	}
}

// TestActionQuota checks that automated actions stop at the daily quota
// shared by all workers.
func TestActionQuota(t *testing.T) {
	st := openStore(t)
	rec := &recorder{}
	w1, w2 := newWorker(t, st, 3, rec), newWorker(t, st, 3, rec)
	for i := range 5 {
		w := w1
		if i%2 == 1 {
			w = w2
		}
		process(t, w, mkPost(fmt.Sprint(i), fmt.Sprint("t", i), threat))
	}
	if len(rec.keys) != 3 {
		t.Errorf("%d alerts (%v), want the quota of 3", len(rec.keys), rec.keys)
	}
}

// failingSave is the store with a SavePosts that fails, as a full disk
// makes it fail.
type failingSave struct{ store.Store }

var errDiskFull = errors.New("database or disk is full")

func (failingSave) SavePosts(context.Context, []post.Post) (store.Counts, error) {
	return store.Counts{}, errDiskFull
}

// TestNoEffectsWithoutCommit checks that nothing of a batch's effects is
// persisted when the batch itself was not stored.
func TestNoEffectsWithoutCommit(t *testing.T) {
	st := openStore(t)
	rec := &recorder{}
	w := newWorker(t, failingSave{st}, 100, rec)
	if _, err := w.Process(context.Background(), []post.Post{mkPost("1", "a", propaganda), mkPost("2", "b", threat)}); !errors.Is(err, errDiskFull) {
		t.Fatalf("err %v, want the store's", err)
	}
	cases, _ := st.Cases(context.Background(), "", 10)
	last, _ := st.LastTextSeq(context.Background())
	if len(cases) != 0 || last != 0 || len(flagged(t, st, "a", "b")) != 0 || len(rec.keys) != 0 {
		t.Errorf("effects of an unstored batch persisted: cases %d, texts %d, alerts %v", len(cases), last, rec.keys)
	}
}

// TestEnrichHook checks that what the Enrich hook adds to a batch is
// decided on with the batch (an OCR-text signal carried into the rules
// opens a case) and that its error fails the batch before anything is
// stored.
func TestEnrichHook(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	lex, err := lexicon.NewHolder("")
	if err != nil {
		t.Fatal(err)
	}
	stack, err := rules.NewStack(rules.StackConfig{Lexicon: lex, Detectors: []detect.Detector{ocr.Carry{}}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	fail := errors.New("ocr cache unreachable")
	var hookErr error
	w, err := worker.New(ctx, worker.Config{Stack: stack, Store: st, Now: func() time.Time { return now },
		Enrich: func(_ context.Context, ps []post.Post) error {
			if hookErr != nil {
				return hookErr
			}
			// As ocr.Enricher leaves a claim card's reading.
			ps[0].Signals = append(ps[0].Signals, post.Signal{Detector: ocr.Detector, Label: post.Propaganda, Tier: post.TierOfficial,
				Score: 0.9, Explanation: "text inside the image: 9 words read", Ref: "ab",
				Spans: []post.Span{{Start: 0, End: 8, Text: "جنود", Boxes: []post.Box{{X: 1, Y: 2, W: 30, H: 10}}}}})
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	hookErr = fail
	if _, err := w.Process(ctx, []post.Post{mkPost("1", "a", weather)}); !errors.Is(err, fail) {
		t.Fatalf("err %v, want the hook's", err)
	}
	if ps, _ := st.Posts(ctx, store.Query{}); len(ps) != 0 {
		t.Fatalf("%d posts stored by a failed batch", len(ps))
	}
	hookErr = nil
	first := mkPost("1", "a", weather)
	if c := process(t, w, first, mkPost("2", "b", weather)); c.Inserted != 2 || c.Cases != 1 {
		t.Fatalf("counts %+v, want 2 stored and 1 case", c)
	}
	p, _, err := st.Post(ctx, first.Key())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(p.Signals, func(s post.Signal) bool { return s.Detector == ocr.Detector })
	if !p.Decision.Violating || i < 0 || len(p.Signals[i].Spans[0].Boxes) != 1 {
		t.Errorf("stored %+v with signals %+v", p.Decision, p.Signals)
	}
}

// TestCountersPruned checks that a worker forgets the counter events that
// fell out of their window, and keeps the lifecycle counts, read over all
// time.
func TestCountersPruned(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	lex, err := lexicon.NewHolder("")
	if err != nil {
		t.Fatal(err)
	}
	clock := now
	tick := func() time.Time { return clock }
	stack, err := rules.NewStack(rules.StackConfig{Lexicon: lex, Now: tick})
	if err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(ctx, worker.Config{Stack: stack, Store: st, Now: tick})
	if err != nil {
		t.Fatal(err)
	}
	lifecycle := store.CountEvent{Key: "lifecycle/new", ID: "telegram/a", At: now}
	if err := st.AddEvents(ctx, []store.CountEvent{lifecycle}); err != nil {
		t.Fatal(err)
	}
	process(t, w, mkPost("1", "a", propaganda))
	all := func() map[string]int {
		p := mkPost("", "a", "")
		n, err := st.CountEvents(ctx, []string{rules.FlaggedKey(&p), lifecycle.Key}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := all(); n[lifecycle.Key] != 1 || len(n) != 2 {
		t.Fatalf("counts before pruning %v: want author a's flagged post and the lifecycle event", n)
	}
	// Within the window and within the pruning interval nothing goes.
	clock = now.Add(rules.CounterWindow - time.Minute)
	process(t, w, mkPost("2", "b", weather))
	before := all()
	if len(before) != 2 {
		t.Errorf("counts inside the window %v: want both kept", before)
	}
	clock = now.Add(rules.CounterWindow + 2*time.Hour)
	process(t, w, mkPost("3", "b", weather))
	if n := all(); n[lifecycle.Key] != before[lifecycle.Key] || len(n) != 1 {
		t.Errorf("counts after the window %v: want only the lifecycle events, %d", n, before[lifecycle.Key])
	}
}
