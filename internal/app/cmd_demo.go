package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/demo"
	"github.com/raqib-project/raqib/internal/store"
)

// runDemo imports the bundled sample corpus and serves it. Without --data
// the directory is temporary so that a demo never mixes with an analyst's
// real data; with it the directory is kept, and a second run re-imports the
// corpus into it, which the store counts as duplicates rather than new posts.
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
	s, err := openSystem(ctx, c)
	if err != nil {
		return err
	}
	defer s.close()
	rep, err := s.importFiles(ctx, []string{corpus}, nil)
	if err != nil {
		return fmt.Errorf("import demo corpus: %w", err)
	}
	rep.print(c.Stdout)
	password, err := demoUser(ctx, s.store)
	if err != nil {
		return err
	}
	kept := "a temporary data directory, removed when the demo stops"
	if c.DemoData != "" {
		kept = "data directory " + dir + ", kept for the next run"
	}
	return s.serve(ctx, func(url string) {
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
