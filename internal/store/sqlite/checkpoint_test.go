package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// TestCheckpointRestartsWAL checks that a checkpoint beside the writer lets
// the WAL start over: without it the WAL file grows with every batch, which
// is what the writer's disabled autocheckpoint would otherwise leave.
func TestCheckpointRestartsWAL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := open(ctx, dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	write := func(batches int) int64 {
		t.Helper()
		for range batches {
			ps := make([]post.Post, 200)
			for i := range ps {
				ps[i] = syntheticPost(n)
				n++
			}
			if _, err := s.SavePosts(ctx, ps); err != nil {
				t.Fatal(err)
			}
		}
		st, err := os.Stat(filepath.Join(dir, FileName+"-wal"))
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	first := write(10)
	if grown := write(10); grown < first*3/2 {
		t.Fatalf("WAL %d bytes after 10 more batches without a checkpoint, want it to grow from %d", grown, first)
	}
	s.ckpt.checkpoint()
	before := write(0)
	if after := write(10); after > before {
		t.Errorf("WAL grew from %d to %d bytes after a checkpoint; want its frames reused", before, after)
	}
}

// syntheticPost is post number i of tweet length by one of 5,000 authors.
func syntheticPost(i int) post.Post {
	id := strconv.Itoa(1_000_000_000 + i)
	text := "عاجل | مصادر أمنية: اعتقال خلية في المدينة بعد هجوم أمس، والتحقيقات مستمرة " + id
	return post.Post{
		Platform: post.X, ID: id, Kind: post.Message,
		Channel: post.Channel{Platform: post.X, ID: "timeline", Kind: "timeline"},
		Author:  post.Account{Platform: post.X, ID: strconv.Itoa(i % 5000)},
		Text:    text, Norm: arabic.Normalize(text),
		PostedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		Raw:      []byte(`{"id":"` + id + `"}`),
	}
}

// TestConcurrentWritesWithCheckpoints saves from several goroutines while
// the checkpointer runs every millisecond and a reader searches: every post
// must be stored once and found by author.
func TestConcurrentWritesWithCheckpoints(t *testing.T) {
	ctx := context.Background()
	s, err := open(ctx, t.TempDir(), time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const writers, batches, size = 4, 10, 100
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				ps := make([]post.Post, size)
				for i := range ps {
					ps[i] = syntheticPost((w*batches+b)*size + i)
				}
				if _, err := s.SavePosts(ctx, ps); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	stop, readErr := make(chan struct{}), make(chan error, 1)
	go func() {
		defer close(readErr)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Posts(ctx, store.Query{Author: "7", Text: "خلية"}); err != nil {
				readErr <- err
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := <-readErr; err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(writers * batches * size); st.Posts != want {
		t.Errorf("%d posts stored, want %d", st.Posts, want)
	}
	// syntheticPost gives author i%5000: 4000 posts, one per author below 4000.
	ps, err := s.Posts(ctx, store.Query{Author: "7"})
	if err != nil || len(ps) != 1 {
		t.Errorf("author 7: %d posts (err %v), want 1", len(ps), err)
	}
}
