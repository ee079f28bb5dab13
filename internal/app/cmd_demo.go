package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/raqib-project/raqib/internal/demo"
)

// runDemo imports the bundled sample corpus into a fresh data directory and
// serves it. The directory is temporary so that a demo never mixes with an
// analyst's real data.
func runDemo(ctx context.Context, c *Config) error {
	dir, err := os.MkdirTemp("", "raqib-demo-")
	if err != nil {
		return fmt.Errorf("demo data directory: %w", err)
	}
	defer os.RemoveAll(dir)
	c.Data = dir
	c.NATS = "" // the demo needs nothing outside this process
	corpus := filepath.Join(dir, "corpus")
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
	return s.serve(ctx, func(url string) {
		fmt.Fprintf(c.Stdout, "\nraqib demo is running: open %s (English: %s?lang=en); Ctrl-C stops it.\n", url, url)
	})
}
