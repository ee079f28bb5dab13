package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/act/referral"
	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/demo"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/review"
	"github.com/raqib-project/raqib/internal/store"
)

// demoAnalyst and demoSenior confirm and approve the demo's cases in its
// audit trail: no person did.
const (
	demoAnalyst = "demo-analyst"
	demoSenior  = "demo-senior"
)

// runDemo imports the bundled sample corpus and serves it, beside a
// simulated platform on 127.0.0.1 that publishes a few posts, takes the
// referrals of their cases by webhook and removes them after set delays.
// Without --data the directory is temporary so that a demo never mixes
// with an analyst's real data; with it the directory is kept, and a second
// run re-imports the corpus into it, which the store counts as duplicates
// rather than new posts.
func runDemo(ctx context.Context, c *Config) error {
	dir := c.DemoData
	if dir == "" {
		tmp, err := os.MkdirTemp("", "raqib-demo-")
		if err != nil {
			return fmt.Errorf("demo data directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	c.Data = dir
	c.NATS = "" // the demo needs nothing outside this process
	corpus := filepath.Join(dir, "corpus")
	// A kept directory holds the corpus of the last run, perhaps of an older
	// binary: write this binary's afresh.
	if err := os.RemoveAll(corpus); err != nil {
		return fmt.Errorf("demo corpus: %w", err)
	}
	if err := demo.WriteCorpus(corpus); err != nil {
		return err
	}
	sim, err := demo.StartSimulation(dir)
	if err != nil {
		return err
	}
	defer sim.Close()
	// The referrals go to the simulated platform, which only the demo's
	// own loopback address reaches.
	c.Referrals, c.ReferralEvery = sim.Referrals, 2*time.Second
	c.FetchAllow = append(c.FetchAllow, "127.0.0.1/32")
	s, err := openSystem(ctx, c)
	if err != nil {
		return err
	}
	defer s.close()
	paths := []string{corpus}
	// The simulated posts are imported once: a post whose case was
	// referred would open a new case if imported again.
	have, err := s.store.Posts(ctx, store.Query{Platform: post.Web, Channel: sim.Platform.URL() + "/", Limit: 1})
	if err != nil {
		return err
	}
	if len(have) == 0 {
		paths = append(paths, sim.Feed)
	}
	rep, err := s.importFiles(ctx, paths, nil)
	if err != nil {
		return fmt.Errorf("import demo corpus: %w", err)
	}
	rep.print(c.Stdout)
	password, err := demoUser(ctx, s.store)
	if err != nil {
		return err
	}
	referred, err := referSimulated(ctx, s, sim.Platform.URL())
	if err != nil {
		return fmt.Errorf("demo referrals: %w", err)
	}
	kept := "a temporary data directory, removed when the demo stops"
	if c.DemoData != "" {
		kept = "data directory " + dir + ", kept for the next run"
	}
	return s.serve(ctx, func(url string) {
		fmt.Fprintf(c.Stdout, "\nsimulated platform on %s: %d posts referred now, removed %v after their referral; see %sreferrals\n",
			sim.Platform.URL(), referred, demo.RemovalDelays, url)
		fmt.Fprintf(c.Stdout, "\nraqib demo is running on %s: open %s (English: %s?lang=en) and sign in as %s with the password %s; Ctrl-C stops it.\n", kept, url, url, demoName, password)
	})
}

// demoName is the user the demo signs in as: an admin, so that every page
// and switch can be tried.
const demoName = "demo"

// demoUser gives the demo user a new generated password, adding the user
// on the first run, and returns the password.
func demoUser(ctx context.Context, st store.Store) (string, error) {
	users, ok := st.(store.Users)
	if !ok {
		return "", ErrNoUsers
	}
	pw := auth.NewPassword()
	hash, err := auth.HashPassword(pw, auth.DefaultArgon2)
	if err != nil {
		return "", err
	}
	now := time.Now().UTC()
	u, err := users.User(ctx, demoName)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u = auth.User{Name: demoName, Role: auth.Admin, PasswordHash: hash, CreatedAt: now, Changed: now}
		err = users.AddUser(ctx, u)
	case err == nil:
		u.PasswordHash, u.Disabled, u.Changed = hash, false, now
		err = users.UpdateUser(ctx, u)
	}
	if err != nil {
		return "", fmt.Errorf("demo user: %w", err)
	}
	return pw, newCLIAuditor(st).record(ctx, "user.demo", demoName, nil, u)
}

// referSimulated confirms the open cases of the simulated platform's posts
// as the demo analyst and approves them as the demo senior, through the
// review workflow, whose referral hook refers them; the running sender
// sends them. It returns how many referrals it made.
func referSimulated(ctx context.Context, s *system, base string) (int, error) {
	rv, err := review.For(s.store, s.log)
	if err != nil || s.referrals == nil {
		return 0, errors.Join(errors.New("the demo store cannot refer"), err)
	}
	rv.Register(referralHook{s.referrals})
	cases, err := s.store.Cases(ctx, post.CaseOpen, 1000)
	if err != nil {
		return 0, err
	}
	analyst := review.Actor{Principal: auth.Principal{User: demoAnalyst, Role: auth.Analyst}, From: "demo"}
	senior := review.Actor{Principal: auth.Principal{User: demoSenior, Role: auth.Senior}, From: "demo"}
	for _, k := range cases {
		p, _, err := s.store.Post(ctx, k.PostKey)
		if err != nil {
			return 0, err
		}
		if !strings.HasPrefix(p.URL, base+"/") {
			continue
		}
		note := "confirmed by the demo, not by a person"
		if _, _, err := rv.Apply(ctx, analyst, k.ID, review.Action{Kind: review.Confirm, Note: note}); err != nil {
			return 0, err
		}
		if _, _, err := rv.Apply(ctx, senior, k.ID, review.Action{Kind: review.Approve, Note: note}); err != nil {
			return 0, err
		}
	}
	rs, err := s.store.(referral.Store).ListReferrals(ctx, store.ReferralFilter{Limit: 1000})
	return len(rs), err
}
