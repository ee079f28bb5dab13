package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/store"
)

// RunUsers runs the users, sessions and tokens suite against fresh, empty
// stores made by open.
func RunUsers(t *testing.T, open func(t *testing.T) store.Users) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	amina := auth.User{Name: "أمينة", Role: auth.Analyst, PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$a2V5", CreatedAt: t0, Changed: t0}
	omar := auth.User{Name: "omar", Role: auth.Admin, PasswordHash: "$argon2id$x", CreatedAt: t0, Changed: t0}

	t.Run("users", func(t *testing.T) {
		s := open(t)
		if _, err := s.User(ctx, "omar"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("user of an empty store: %v", err)
		}
		for _, u := range []auth.User{omar, amina} {
			if err := s.AddUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AddUser(ctx, omar); !errors.Is(err, store.ErrNameTaken) {
			t.Fatalf("adding omar twice: %v", err)
		}
		got, err := s.User(ctx, amina.Name)
		if err != nil || got != amina {
			t.Fatalf("User = %+v, %v; want %+v", got, err, amina)
		}
		changed := amina
		changed.Role, changed.Disabled, changed.PasswordHash, changed.Changed = auth.Senior, true, "$argon2id$new", t0.Add(time.Hour)
		if err := s.UpdateUser(ctx, changed); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.User(ctx, amina.Name); got != changed {
			t.Fatalf("after update %+v, want %+v", got, changed)
		}
		if err := s.UpdateUser(ctx, auth.User{Name: "nobody", Role: auth.Admin}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("updating a missing user: %v", err)
		}
		all, err := s.ListUsers(ctx)
		if err != nil || len(all) != 2 || all[0].Name != "omar" || all[1] != changed {
			t.Fatalf("ListUsers = %+v, %v", all, err)
		}
	})

	t.Run("sessions", func(t *testing.T) {
		s := open(t)
		for _, u := range []auth.User{omar, amina} {
			if err := s.AddUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		a := auth.Session{ID: auth.HashSecret("a"), User: amina.Name, IP: "192.0.2.1", CreatedAt: t0, SeenAt: t0}
		b := auth.Session{ID: auth.HashSecret("b"), User: amina.Name, IP: "2001:db8::1", CreatedAt: t0.Add(time.Hour), SeenAt: t0.Add(time.Hour)}
		c := auth.Session{ID: auth.HashSecret("c"), User: omar.Name, IP: "192.0.2.2", CreatedAt: t0.Add(2 * time.Hour), SeenAt: t0.Add(2 * time.Hour)}
		for _, ss := range []auth.Session{a, b, c} {
			if err := s.AddSession(ctx, ss); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := s.Session(ctx, a.ID); err != nil || got != a {
			t.Fatalf("Session = %+v, %v; want %+v", got, err, a)
		}
		if _, err := s.Session(ctx, auth.HashSecret("a ")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown session: %v", err)
		}
		if err := s.TouchSession(ctx, a.ID, t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Session(ctx, a.ID); !got.SeenAt.Equal(t0.Add(3 * time.Hour)) {
			t.Fatalf("touched session seen at %v", got.SeenAt)
		}
		if err := s.TouchSession(ctx, "gone", t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("touching an unknown session: %v", err)
		}
		if err := s.EndSession(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.EndSession(ctx, c.ID); err != nil {
			t.Fatalf("ending an ended session: %v", err)
		}
		if _, err := s.Session(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ended session: %v", err)
		}
		// a was seen at t0+3h, b at t0+1h: only b is idle past t0+2h.
		if err := s.PruneSessions(ctx, t0.Add(2*time.Hour), t0.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, b.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("idle session survived pruning: %v", err)
		}
		if _, err := s.Session(ctx, a.ID); err != nil {
			t.Fatalf("live session pruned: %v", err)
		}
		if err := s.AddSession(ctx, b); err != nil {
			t.Fatal(err)
		}
		if n, err := s.EndSessions(ctx, amina.Name); err != nil || n != 2 {
			t.Fatalf("EndSessions = %d, %v; want 2", n, err)
		}
		// Created before t0+30m: a goes even though it was seen lately.
		if err := s.AddSession(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := s.PruneSessions(ctx, t0.Add(-time.Hour), t0.Add(30*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session past its absolute age survived: %v", err)
		}
	})

	t.Run("tokens", func(t *testing.T) {
		s := open(t)
		_, h1 := auth.NewSecret(auth.TokenPrefix)
		_, h2 := auth.NewSecret(auth.TokenPrefix)
		ingest := auth.Token{Name: "collector", Role: auth.Admin, Hash: h1, CreatedAt: t0, CreatedBy: "omar"}
		scrape := auth.Token{Name: "prometheus", Role: auth.Auditor, Hash: h2, CreatedAt: t0, CreatedBy: "omar"}
		for _, tk := range []auth.Token{scrape, ingest} {
			if err := s.AddToken(ctx, tk); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AddToken(ctx, auth.Token{Name: "collector", Role: auth.Admin, Hash: auth.HashSecret("x"), CreatedAt: t0}); !errors.Is(err, store.ErrNameTaken) {
			t.Fatalf("token name twice: %v", err)
		}
		if got, err := s.Token(ctx, h1); err != nil || got != ingest {
			t.Fatalf("Token = %+v, %v; want %+v", got, err, ingest)
		}
		if _, err := s.Token(ctx, auth.HashSecret("guess")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown token: %v", err)
		}
		if err := s.RevokeToken(ctx, "collector", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, "collector", t0.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoking twice: %v", err)
		}
		if got, _ := s.Token(ctx, h1); !got.RevokedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("revoked token %+v", got)
		}
		if err := s.AddToken(ctx, auth.Token{Name: "collector", Role: auth.Admin, Hash: auth.HashSecret("y"), CreatedAt: t0}); !errors.Is(err, store.ErrNameTaken) {
			t.Fatalf("a revoked token's name was reused: %v", err)
		}
		all, err := s.ListTokens(ctx)
		if err != nil || len(all) != 2 || all[0].Name != "collector" || all[1] != scrape {
			t.Fatalf("ListTokens = %+v, %v", all, err)
		}
	})
}
