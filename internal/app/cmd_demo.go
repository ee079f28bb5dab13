package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/raqib-project/raqib/internal/demo"
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
	kept := "a temporary data directory, removed when the demo stops"
	if c.DemoData != "" {
		kept = "data directory " + dir + ", kept for the next run"
	}
	return s.serve(ctx, func(url string) {
		fmt.Fprintf(c.Stdout, "\nraqib demo is running on %s: open %s (English: %s?lang=en); Ctrl-C stops it.\n", kept, url, url)
	})
}
