package pipeline

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

func batchOf(from, n int) []post.Post {
	ps := make([]post.Post, n)
	for i := range ps {
		id := strconv.Itoa(from + i)
		ps[i] = post.Post{
			Platform: post.Telegram, ID: id, Kind: post.Message,
			Channel: post.Channel{Platform: post.Telegram, ID: "1"},
			Author:  post.Account{Platform: post.Telegram, ID: "user1"},
			Text:    "رسالة " + id, Norm: "رساله " + id,
			PostedAt: time.Unix(int64(1700000000+from+i), 0).UTC(),
			Raw:      []byte(`{"id":` + id + `}`),
		}
	}
	return ps
}

func storeHandler(s store.Store) Handler {
	return func(ctx context.Context, ps []post.Post) (store.Counts, error) {
		return s.SavePosts(ctx, ps)
	}
}

// runImport publishes batches of one run and waits for all their results.
func runImport(t *testing.T, b *Bus, run string, batches [][]post.Post) store.Counts {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	results, stop, err := b.Results(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	pub := b.NewPublisher(run)
	messages := 0
	for _, ps := range batches {
		n, err := pub.Publish(ctx, ps)
		if err != nil {
			t.Fatal(err)
		}
		messages += n
	}
	if err := pub.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	var total store.Counts
	for range messages {
		select {
		case r := <-results:
			if r.Err != "" {
				t.Fatalf("batch %d failed: %s", r.Seq, r.Err)
			}
			total.Add(r.Counts)
		case <-ctx.Done():
			t.Fatal("timed out waiting for results")
		}
	}
	return total
}

// openStoreAndBus opens a fresh SQLite store and a bus on cfg, both closed
// when the test ends.
func openStoreAndBus(t *testing.T, ctx context.Context, cfg Config) (*sqlite.Store, *Bus) {
	t.Helper()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	b, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return s, b
}

func testEndToEnd(t *testing.T, cfg Config) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, b := openStoreAndBus(t, ctx, cfg)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); b.Work(ctx, 2, storeHandler(s)) }()

	batches := [][]post.Post{batchOf(0, 100), batchOf(100, 100), batchOf(200, 50)}
	got := runImport(t, b, "run1", batches)
	if got.Inserted != 250 {
		t.Errorf("first import: %+v, want 250 inserted", got)
	}
	// Re-running the same import stores nothing new.
	got = runImport(t, b, "run2", batches)
	if got.Inserted != 0 || got.Duplicates != 250 {
		t.Errorf("second import: %+v, want 250 duplicates", got)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Posts != 250 {
		t.Errorf("stored %d posts, want 250", st.Posts)
	}
	cancel()
	wg.Wait()
}

func TestEmbedded(t *testing.T) {
	testEndToEnd(t, Config{Dir: t.TempDir()})
}

// TestWorkStoppedBeforeStart: a server shut down while its workers are
// still opening the queue stops cleanly (a demo stopped at once did not).
func TestWorkStoppedBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, b := openStoreAndBus(t, context.Background(), Config{Dir: t.TempDir()})
	cancel()
	if err := b.Work(ctx, 2, storeHandler(s)); err != nil {
		t.Fatalf("work stopped before it began: %v, want nil", err)
	}
}

func TestExternal(t *testing.T) {
	testEndToEnd(t, externalConfig(t))
}

// externalConfig is a namespace of its own on the test NATS server, whose
// streams are deleted when the test ends.
func externalConfig(t *testing.T) Config {
	t.Helper()
	url := os.Getenv("RAQIB_TEST_NATS")
	if url == "" {
		t.Skip("RAQIB_TEST_NATS is not set (e.g. nats://127.0.0.1:4222); skipping the external NATS test")
	}
	cfg := Config{URL: url, Namespace: fmt.Sprintf("raqibtest%d", time.Now().UnixNano())}
	t.Cleanup(func() {
		b, err := Open(context.Background(), cfg)
		if err != nil {
			t.Error(err)
			return
		}
		defer b.Close()
		ctx := context.Background()
		if err := b.js.DeleteObjectStore(ctx, b.objectBucket); err != nil {
			t.Errorf("delete %s: %v", b.objectBucket, err)
		}
		for _, name := range []string{b.postsStream, b.resultsStream} {
			if err := b.js.DeleteStream(ctx, name); err != nil {
				t.Errorf("delete %s: %v", name, err)
			}
		}
	})
	return cfg
}

// TestCrashLosesNothing publishes an import, "crashes" before any worker
// ran, and checks that a new process finds and stores every batch that
// JetStream acknowledged.
func TestCrashLosesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	b, err := Open(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	pub := b.NewPublisher("crash")
	for i := range 5 {
		if _, err := pub.Publish(ctx, batchOf(i*10, 10)); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	b.Close()

	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err = Open(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	go b.Work(ctx, 1, storeHandler(s))
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Posts == 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart %d of 50 posts stored", st.Posts)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSecondEmbeddedServerRefused(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(context.Background(), Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := Open(context.Background(), Config{Dir: dir}); err == nil {
		t.Fatal("a second embedded server on the same data directory started")
	}
}

func TestBatchRoundTrip(t *testing.T) {
	in := batchOf(0, 3)
	in[0].Signals = []post.Signal{{Detector: "lexicon", Label: post.Propaganda, Score: 0.9}}
	data, err := EncodeBatch(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeBatch(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 || out[2].Text != in[2].Text || !out[0].PostedAt.Equal(in[0].PostedAt) || out[0].Signals[0].Label != post.Propaganda {
		t.Errorf("round trip changed the batch: %+v", out)
	}
}
