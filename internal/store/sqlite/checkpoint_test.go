package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/post"
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
