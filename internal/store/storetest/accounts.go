package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// AccountStore is what RunAccounts tests: the registry and the posts
// that fill it.
type AccountStore interface {
	store.Accounts
	SavePosts(ctx context.Context, ps []post.Post) (store.Counts, error)
}

// RunAccounts runs the conformance suite of the account registry against
// a fresh, empty store made by open.
func RunAccounts(t *testing.T, open func(t *testing.T) AccountStore) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	by := func(id, handle, name string, at time.Time, violating bool) post.Post {
		p := post.Post{Platform: post.Telegram, ID: id, Kind: post.Message, Channel: post.Channel{Platform: post.Telegram, ID: "c1"},
			Author: post.Account{Platform: post.Telegram, ID: "a1", Handle: handle, DisplayName: name}, Text: "t" + id, Norm: "t" + id, PostedAt: at}
		if violating {
			p.Decision = post.Decision{Label: post.Propaganda, Tier: post.TierPromotional, Violating: true}
		}
		return p
	}
	a1 := store.AccountRef{Platform: post.Telegram, ID: "a1"}

	t.Run("registry and profile history", func(t *testing.T) {
		s := open(t)
		if _, err := s.AccountRecord(ctx, a1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing account: err %v, want ErrNotFound", err)
		}
		for _, p := range []post.Post{by("1", "abu_x", "Abu X", t0, true), by("2", "abu_x", "Abu X", t0.Add(time.Hour), false),
			by("3", "abu_x2", "Abu X", t0.Add(2*time.Hour), false)} {
			if _, err := s.SavePosts(ctx, []post.Post{p}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SetAvatar(ctx, a1, "ab12"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAvatar(ctx, a1, "cd34"); err != nil {
			t.Fatal(err)
		}
		r, err := s.AccountRecord(ctx, a1)
		if err != nil {
			t.Fatal(err)
		}
		if r.Handle != "abu_x2" || r.Avatar != "cd34" || r.Status != store.StatusActive || !r.FirstSeen.Equal(t0) || !r.LastSeen.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("record %+v", r)
		}
		hist, err := s.ProfileHistory(ctx, a1)
		if err != nil {
			t.Fatal(err)
		}
		var handles, avatars []string
		for _, v := range hist {
			handles, avatars = append(handles, v.Handle), append(avatars, v.Avatar)
		}
		if len(hist) != 3 || handles[0] != "abu_x" || handles[1] != "abu_x2" || avatars[2] != "ab12" {
			t.Errorf("profile history %+v: want abu_x, then abu_x2 without avatar, then with ab12", hist)
		}
		seen, err := s.LastSeen(ctx, []store.AccountRef{a1, {Platform: post.X, ID: "a1"}, {Platform: post.X, ID: "we\"ird\x01\\"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != 1 || !seen[a1].Equal(t0.Add(2*time.Hour)) {
			t.Errorf("last seen %v", seen)
		}
		var n int
		if err := s.EachPost(ctx, time.Time{}, true, func(p post.Post) error { n++; return nil }); err != nil || n != 1 {
			t.Errorf("violating posts: %d, %v; want 1", n, err)
		}
		var rooms []string
		if err := s.EachRoom(ctx, func(a store.AccountRef, room string) error {
			rooms = append(rooms, string(a.Platform)+"/"+a.ID+"@"+room)
			return nil
		}); err != nil || len(rooms) != 1 || rooms[0] != "telegram/a1@c1" {
			t.Errorf("rooms %v, %v: want a1 in c1 once", rooms, err)
		}
		n = 0
		if err := s.EachPost(ctx, t0.Add(time.Minute), false, func(p post.Post) error { n++; return nil }); err != nil || n != 2 {
			t.Errorf("posts since: %d, %v; want 2", n, err)
		}
	})

	t.Run("status with evidence", func(t *testing.T) {
		s := open(t)
		c := store.StatusChange{Account: a1, Status: store.StatusRemoved, Source: "withheld", Evidence: "withheld in DE, FR", At: t0}
		for i, want := range []bool{true, false} {
			changed, err := s.SetAccountStatus(ctx, c)
			if err != nil || changed != want {
				t.Fatalf("set %d: changed %v, %v; want %v", i, changed, err, want)
			}
		}
		if _, err := s.SetAccountStatus(ctx, store.StatusChange{Account: a1, Status: "gone"}); err == nil {
			t.Error("an unknown status was accepted")
		}
		if _, err := s.SetAccountStatus(ctx, store.StatusChange{Account: a1, Status: store.StatusActive, Source: "analyst", Actor: "amal", At: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		hist, err := s.StatusHistory(ctx, a1)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || hist[0].Evidence != "withheld in DE, FR" || hist[1].Actor != "amal" || !hist[0].At.Equal(t0) {
			t.Errorf("status history %+v", hist)
		}
		since, err := s.StatusChanges(ctx, t0.Add(time.Minute), 10)
		if err != nil || len(since) != 1 || since[0].Status != store.StatusActive {
			t.Errorf("changes since: %+v, %v", since, err)
		}
		removed, err := s.ListAccounts(ctx, store.StatusActive, 10)
		if err != nil || len(removed) != 1 {
			t.Errorf("active accounts: %+v, %v", removed, err)
		}
	})

	t.Run("links", func(t *testing.T) {
		s := open(t)
		ls := []store.AccountLink{{Account: a1, Link: "t.me/+abc", At: t0}, {Account: a1, Link: "example.org/x", At: t0.Add(time.Hour)}}
		for range 2 {
			if err := s.NoteLinks(ctx, ls); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.LinksOf(ctx, a1)
		if err != nil || len(got) != 2 || got[0].Link != "t.me/+abc" || !got[0].At.Equal(t0) {
			t.Errorf("links of a1: %+v, %v", got, err)
		}
		n := 0
		if err := s.EachLink(ctx, func(store.AccountLink) error { n++; return nil }); err != nil || n != 2 {
			t.Errorf("each link: %d, %v", n, err)
		}
	})

	t.Run("successor links", func(t *testing.T) {
		s := open(t)
		b := store.AccountRef{Platform: post.X, ID: "b"}
		c := store.AccountRef{Platform: post.Telegram, ID: "c"}
		props := []store.SuccessorLink{{From: a1, To: b, Score: 5, Evidence: `{"handle":1}`, CreatedAt: t0}, {From: a1, To: c, Score: 2, Evidence: `{}`, CreatedAt: t0}}
		for i, want := range []int{2, 0} {
			n, err := s.ProposeSuccessors(ctx, props)
			if err != nil || n != want {
				t.Fatalf("propose %d: %d new, %v; want %d", i, n, err, want)
			}
		}
		queue, err := s.SuccessorLinks(ctx, store.LinkProposed, 10)
		if err != nil || len(queue) != 2 || queue[0].To != b || queue[0].Evidence != `{"handle":1}` {
			t.Fatalf("queue %+v, %v", queue, err)
		}
		d, err := s.DecideSuccessor(ctx, queue[0].ID, store.LinkConfirmed, "amal", t0.Add(time.Hour))
		if err != nil || d.Status != store.LinkConfirmed || d.To != b || d.DecidedBy != "amal" {
			t.Fatalf("decide: %+v, %v", d, err)
		}
		if _, err := s.DecideSuccessor(ctx, queue[0].ID, store.LinkRejected, "omar", t0); !errors.Is(err, store.ErrDecided) {
			t.Errorf("second decision: %v, want ErrDecided", err)
		}
		if _, err := s.DecideSuccessor(ctx, 9999, store.LinkRejected, "omar", t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing link: %v, want ErrNotFound", err)
		}
		of, err := s.LinksOfAccount(ctx, b)
		if err != nil || len(of) != 1 || of[0].Status != store.LinkConfirmed || !of[0].DecidedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("links of b: %+v, %v", of, err)
		}
		left, err := s.SuccessorLinks(ctx, store.LinkProposed, 10)
		if err != nil || len(left) != 1 || left[0].To != c {
			t.Errorf("queue after the decision: %+v, %v", left, err)
		}
	})
}
