package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// arabic returns about n characters of Arabic words (made up for tests).
func arabic(n int) string {
	words := []string{"الأخبار", "العاجلة", "من", "مدينة", "الموصل", "اليوم", "عن", "الأحوال", "الجوية", "والطرق"}
	var b strings.Builder
	for i := 0; b.Len() < 2*n; i++ {
		b.WriteString(words[i%len(words)])
		b.WriteByte(' ')
	}
	return b.String()
}

// bigBatch is n posts of about size Arabic characters each.
func bigBatch(from, n, size int) []post.Post {
	ps := batchOf(from, n)
	text := arabic(size)
	for i := range ps {
		ps[i].Text = text + ps[i].ID
		ps[i].Norm = ps[i].Text
		ps[i].Raw = []byte(`{"id":` + ps[i].ID + `,"text":"` + ps[i].Text + `"}`)
	}
	return ps
}

// configs are the queues a test runs against: the embedded one, and the
// external test server when there is one.
func configs(t *testing.T) map[string]func(t *testing.T) Config {
	return map[string]func(t *testing.T) Config{
		"embedded": func(t *testing.T) Config { return Config{Dir: t.TempDir()} },
		"external": externalConfig,
	}
}

// assertDrained checks that the queue holds nothing once every batch was
// stored and every result read: no batch, no result, no object.
func assertDrained(t *testing.T, b *Bus) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var left []string
		for _, name := range []string{b.postsStream, b.resultsStream} {
			st, err := b.js.Stream(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			info, err := st.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.State.Msgs > 0 {
				left = append(left, fmt.Sprintf("%d messages in %s", info.State.Msgs, name))
			}
		}
		objs, err := b.objects.List(ctx)
		if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
			t.Fatal(err)
		}
		if len(objs) > 0 {
			left = append(left, fmt.Sprintf("%d objects", len(objs)))
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %s", strings.Join(left, ", "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBatchesFitTheQueue publishes batches far over the server's message
// size limit, and a single post over it: everything is stored, and nothing
// stays in the queue.
func TestBatchesFitTheQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 60 MB through the queue")
	}
	for name, cfg := range configs(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := cfg(t)
			s, b := openStoreAndBus(t, ctx, cfg)
			go b.Work(ctx, 2, storeHandler(s))

			huge := bigBatch(1000, 1, 10<<20) // 20 MB of UTF-8 text, twice over
			batches := [][]post.Post{bigBatch(0, 500, 4000), huge}
			got := runImport(t, b, "big", batches)
			if got.Inserted != 501 {
				t.Errorf("stored %+v, want 501 posts", got)
			}
			p, _, err := s.Post(ctx, huge[0].Key())
			if err != nil || p.Text != huge[0].Text {
				t.Errorf("the 20 MB post was not stored whole (err %v)", err)
			}
			assertDrained(t, b)
		})
	}
}

// waitStored waits until the store holds n posts.
func waitStored(t *testing.T, s *sqlite.Store, n int64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := s.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Posts == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d posts stored", st.Posts, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDeadWorkerLeavesNothing: a worker takes batches and dies without
// acknowledging them (kill -9); the next worker stores them within seconds,
// and then neither batches nor the results nobody waits for stay in the
// queue.
func TestDeadWorkerLeavesNothing(t *testing.T) {
	for name, cfg := range configs(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := cfg(t)
			dead, err := Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			dead.ackWait = 2 * time.Second
			pub := dead.NewPublisher("killed")
			for i := range 3 {
				if _, err := pub.Publish(ctx, batchOf(i*10, 10)); err != nil {
					t.Fatal(err)
				}
			}
			if err := pub.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			stream, err := dead.js.Stream(ctx, dead.postsStream)
			if err != nil {
				t.Fatal(err)
			}
			cons, err := stream.CreateOrUpdateConsumer(ctx, dead.consumerConfig())
			if err != nil {
				t.Fatal(err)
			}
			got, err := cons.FetchNoWait(3)
			if err != nil {
				t.Fatal(err)
			}
			taken := 0
			for range got.Messages() {
				taken++
			}
			if taken != 3 {
				t.Fatalf("the dying worker took %d batches, want 3", taken)
			}
			dead.Close()

			s, b := openStoreAndBus(t, ctx, cfg)
			if cfg.URL != "" {
				// Other workers may be alive: the dead one's batches come back
				// after the ack wait, shortened here. The embedded queue's
				// owner knows they are dead and takes them back at once.
				b.ackWait = 2 * time.Second
			}
			go b.Work(ctx, 1, storeHandler(s))
			waitStored(t, s, 30)
			assertDrained(t, b)
		})
	}
}

// fullDatabase returns the error a real SQLite database gives when it is
// full: its pages are limited to what it already holds.
func fullDatabase(t *testing.T) error {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "full.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{"CREATE TABLE t (x BLOB)", "PRAGMA max_page_count = 2"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_, err = db.Exec("INSERT INTO t VALUES (zeroblob(100000))")
	if err == nil {
		t.Fatal("a database of two pages took 100 KB")
	}
	return err
}

func TestPermanent(t *testing.T) {
	full := fullDatabase(t)
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"sqlite full", fmt.Errorf("commit: %w", full), true},
		{"no space", &fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, true},
		{"marked", fmt.Errorf("post 3: %w", ErrPermanent), true},
		{"bad post", fmt.Errorf("save: post 3: %w: no id", store.ErrBadPost), true},
		{"busy", errors.New("database is locked"), false},
		{"stopped", context.Canceled, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Permanent(tc.err); got != tc.want {
				t.Errorf("Permanent(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// TestPermanentFailureReportedAtOnce: a batch the store refuses for good is
// tried once, reported with the store's error, and leaves the queue.
func TestPermanentFailureReportedAtOnce(t *testing.T) {
	full := fullDatabase(t)
	for name, cfg := range configs(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			b, err := Open(ctx, cfg(t))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			var tries atomic.Int32
			go b.Work(ctx, 1, func(context.Context, []post.Post) (store.Counts, error) {
				tries.Add(1)
				return store.Counts{}, fmt.Errorf("commit: %w", full)
			})
			results, stop, err := b.Results(ctx, "full")
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			if _, err := b.NewPublisher("full").Publish(ctx, batchOf(0, 3)); err != nil {
				t.Fatal(err)
			}
			select {
			case r := <-results:
				if !strings.Contains(r.Err, "full") || r.Posts != 3 {
					t.Errorf("result %+v, want the store's error for 3 posts", r)
				}
			case <-ctx.Done():
				t.Fatal("no result")
			}
			assertDrained(t, b)
			if n := tries.Load(); n != 1 {
				t.Errorf("tried %d times, want once", n)
			}
		})
	}
}

// TestRefusedBatchIsReported: a batch JetStream refuses (here over a
// stream limit; in real life a full disk) brings no result, and the
// publisher says so instead of letting the importer wait for ever.
func TestRefusedBatchIsReported(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Open(ctx, Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	stream, err := b.js.Stream(ctx, b.postsStream)
	if err != nil {
		t.Fatal(err)
	}
	cfg := stream.CachedInfo().Config
	cfg.MaxMsgSize = 1000
	if _, err := b.js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	pub := b.NewPublisher("refused")
	if _, err := pub.Publish(ctx, batchOf(0, 100)); err != nil {
		t.Fatal(err)
	}
	if err := pub.Wait(ctx); err == nil || !strings.Contains(err.Error(), "publish batch 1") {
		t.Errorf("Wait = %v, want batch 1 refused", err)
	}
	if n, _ := pub.Refused(); n != 1 {
		t.Errorf("%d refused, want 1", n)
	}
}

// TestUpgradeResultsStream opens a queue whose results stream an earlier
// version created (keeping every result for a week): it is replaced by one
// that keeps results only for their readers. Servers before 2.12 refuse to
// change a stream's retention.
func TestUpgradeResultsStream(t *testing.T) {
	for name, cfg := range configs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg := cfg(t)
			b, err := Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.js.DeleteStream(ctx, b.resultsStream); err != nil {
				t.Fatal(err)
			}
			if _, err := b.js.CreateStream(ctx, jetstream.StreamConfig{
				Name: b.resultsStream, Subjects: []string{b.resultsPrefix + ">"}, Storage: jetstream.FileStorage, MaxAge: 7 * 24 * time.Hour,
			}); err != nil {
				t.Fatal(err)
			}
			b.Close()
			if b, err = Open(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			st, err := b.js.Stream(ctx, b.resultsStream)
			if err != nil || st.CachedInfo().Config.Retention != jetstream.InterestPolicy {
				t.Errorf("results stream after upgrade: %v", err)
			}
		})
	}
}
