package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// TestBatch checks that the writes of a Batch commit together or not at
// all, and that the worker's reads inside one neither block nor miss the
// batch's own writes.
func TestBatch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	p := post.Post{Platform: post.Telegram, ID: "1", Kind: post.Message, Channel: post.Channel{Platform: post.Telegram, ID: "c"},
		Author: post.Account{Platform: post.Telegram, ID: "a"}, Text: "نص", Norm: "نص", PostedAt: at, CollectedAt: at}
	ev := store.CountEvent{Key: "flagged/telegram/a", ID: p.Key(), At: at}
	write := func(fail error) error {
		return s.Batch(ctx, func(ctx context.Context) error {
			if _, err := s.SavePosts(ctx, []post.Post{p}); err != nil {
				return err
			}
			if err := s.AddEvents(ctx, []store.CountEvent{ev}); err != nil {
				return err
			}
			n, err := s.CountEvents(ctx, []string{ev.Key}, time.Time{})
			if err != nil {
				return err
			}
			if n[ev.Key] != 1 {
				t.Errorf("inside the batch its event counts %d, want 1", n[ev.Key])
			}
			return fail
		})
	}
	stored := func() (posts, events int) {
		if _, _, err := s.Post(ctx, p.Key()); err == nil {
			posts = 1
		} else if !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		n, err := s.CountEvents(ctx, []string{ev.Key}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return posts, n[ev.Key]
	}
	boom := errors.New("boom")
	if err := write(boom); !errors.Is(err, boom) {
		t.Fatalf("failed batch returned %v, want %v", err, boom)
	}
	if posts, events := stored(); posts != 0 || events != 0 {
		t.Errorf("after a failed batch: %d posts, %d events stored, want none", posts, events)
	}
	if err := write(nil); err != nil {
		t.Fatal(err)
	}
	if posts, events := stored(); posts != 1 || events != 1 {
		t.Errorf("after a batch: %d posts, %d events stored, want 1 and 1", posts, events)
	}
}

// TestBatchReadsOwnAccounts checks that an account a batch's posts brought
// in is found inside the batch, as the worker looks up the status of an
// author whose post shows a lifecycle event.
func TestBatchReadsOwnAccounts(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	p := post.Post{Platform: post.X, ID: "1", Kind: post.Message, Author: post.Account{Platform: post.X, ID: "a"},
		Text: "نص", Norm: "نص", PostedAt: at, CollectedAt: at}
	err := s.Batch(ctx, func(ctx context.Context) error {
		if _, err := s.SavePosts(ctx, []post.Post{p}); err != nil {
			return err
		}
		_, err := s.AccountRecord(ctx, store.AccountRef{Platform: post.X, ID: "a"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
