package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/raqib-project/raqib/internal/post"
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
			s, err := sqlite.Open(ctx, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			b, err := Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
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
