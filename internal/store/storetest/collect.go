package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// CollectionStore is a store that also keeps watched sources.
type CollectionStore interface {
	store.Store
	store.Collection
}

// RunCollection runs the live-collection suite against fresh, empty stores.
func RunCollection(t *testing.T, open func(t *testing.T) CollectionStore) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	feed := post.Source{
		ID: post.SourceID("feed", "https://news.example/rss"), Format: "feed", Platform: post.Web, Location: "https://news.example/rss",
		Watch: &post.Watch{Kind: "feed", Every: 10 * time.Minute, AddedBy: "admin", AddedAt: now},
	}

	t.Run("watch, poll, pause, unwatch", func(t *testing.T) {
		s := open(t)
		if err := s.Watch(ctx, post.Source{ID: "x", Location: "y"}); !errors.Is(err, store.ErrBadSource) {
			t.Fatalf("watch without kind: %v, want ErrBadSource", err)
		}
		if err := s.Watch(ctx, feed); err != nil {
			t.Fatal(err)
		}
		// Posts stored from the source count as posts of the day when
		// published in the last 24 hours.
		ps := []post.Post{sample("1", "خبر اليوم"), sample("2", "خبر قديم")}
		ps[0].PostedAt, ps[1].PostedAt = now.Add(-time.Hour), now.Add(-48*time.Hour)
		for i := range ps {
			ps[i].Origin.Source = feed.ID
		}
		if _, err := s.SavePosts(ctx, ps); err != nil {
			t.Fatal(err)
		}
		if err := s.Polled(ctx, feed.ID, store.Poll{At: now, Cursor: "etag-1", Newest: now.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		failAt := now.Add(time.Minute)
		if err := s.Polled(ctx, feed.ID, store.Poll{At: failAt, Err: "503 Service Unavailable", Cursor: "must not move"}); err != nil {
			t.Fatal(err)
		}
		got, err := s.WatchedSource(ctx, feed.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		w := got.Watch
		if w == nil || w.Kind != "feed" || w.Every != 10*time.Minute || w.AddedBy != "admin" || !w.AddedAt.Equal(now) {
			t.Fatalf("settings = %+v", w)
		}
		if w.Cursor != "etag-1" || !w.LastSuccess.Equal(now) || w.LastError != "503 Service Unavailable" || !w.LastErrorAt.Equal(failAt) || !w.Failing() {
			t.Errorf("health = %+v: want the cursor of the success and the failure recorded", w)
		}
		if w.PostsDay != 1 || got.Posts != 2 || !got.LastCollected.Equal(now) {
			t.Errorf("posts/day %d, posts %d, last collected %v; want 1, 2, %v", w.PostsDay, got.Posts, got.LastCollected, now)
		}
		// Changing the settings keeps the cursor.
		changed := feed
		changed.Watch = &post.Watch{Kind: "feed", Every: time.Hour, TokenEnv: "FEED_TOKEN"}
		if err := s.Watch(ctx, changed); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPaused(ctx, feed.ID, true); err != nil {
			t.Fatal(err)
		}
		all, err := s.Watched(ctx, now)
		if err != nil || len(all) != 1 {
			t.Fatalf("watched = %v, %v", all, err)
		}
		if w := all[0].Watch; w.Every != time.Hour || w.TokenEnv != "FEED_TOKEN" || w.Cursor != "etag-1" || !w.Paused {
			t.Errorf("after change and pause: %+v", w)
		}
		// The import history lists it with the others.
		srcs, err := s.Sources(ctx, 0)
		if err != nil || len(srcs) != 1 || srcs[0].ID != feed.ID {
			t.Fatalf("sources = %+v, %v", srcs, err)
		}
		if err := s.Unwatch(ctx, feed.ID); err != nil {
			t.Fatal(err)
		}
		for name, err := range map[string]error{
			"unwatch":  s.Unwatch(ctx, feed.ID),
			"pause":    s.SetPaused(ctx, feed.ID, false),
			"polled":   s.Polled(ctx, feed.ID, store.Poll{At: now}),
			"polled 2": s.Polled(ctx, feed.ID, store.Poll{At: now, Err: "x"}),
		} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s after unwatch: %v, want ErrNotFound", name, err)
			}
		}
		if _, err := s.WatchedSource(ctx, feed.ID, now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("watched source after unwatch: %v", err)
		}
		if srcs, _ := s.Sources(ctx, 0); len(srcs) != 1 || srcs[0].Posts != 2 {
			t.Errorf("unwatching dropped the source's history: %+v", srcs)
		}
	})

	t.Run("proposals", func(t *testing.T) {
		s := open(t)
		ch := post.SourceID("telegram-web", "https://t.me/s/amaq_news")
		ptrs := []store.Pointer{
			{Kind: "telegram-web", Location: "https://t.me/s/amaq_news", PostKey: "telegram:1:1", At: now},
			{Kind: "telegram-web", Location: "https://t.me/s/amaq_news", PostKey: "telegram:1:2", At: now.Add(time.Minute)},
			{Kind: "invite", Location: "https://t.me/+AbCdEf", PostKey: "telegram:1:2", At: now},
		}
		if err := s.Propose(ctx, ptrs); err != nil {
			t.Fatal(err)
		}
		// A batch delivered again counts nothing twice.
		if err := s.Propose(ctx, ptrs); err != nil {
			t.Fatal(err)
		}
		got, err := s.Proposals(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != ch || got[0].Posts != 2 || got[0].Example != "telegram:1:2" || !got[0].FirstSeen.Equal(now) || got[1].Posts != 1 {
			t.Fatalf("proposals = %+v", got)
		}
		// Accepting one (watching it) takes it off the list.
		if err := s.Watch(ctx, post.Source{ID: ch, Format: "telegram-web", Platform: post.Telegram, Location: "https://t.me/s/amaq_news",
			Watch: &post.Watch{Kind: "telegram-web", Every: time.Minute}}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Proposals(ctx, 0); len(got) != 1 || got[0].Kind != "invite" {
			t.Fatalf("after accepting: %+v", got)
		}
		if err := s.DropProposal(ctx, got[1].ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DropProposal(ctx, got[1].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("drop twice: %v", err)
		}
		if got, _ := s.Proposals(ctx, 0); len(got) != 0 {
			t.Fatalf("after dropping: %+v", got)
		}
	})
}
