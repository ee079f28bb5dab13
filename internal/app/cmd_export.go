package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/review"
)

// runExport writes analysts' decisions as a labelled data set, and
// records the export in the audit trail.
func runExport(ctx context.Context, c *Config) error {
	if len(c.Args) != 1 || c.Args[0] != "decisions" {
		return fmt.Errorf("%w: export needs what to export: decisions", ErrUsage)
	}
	since, err := audit.ParseSince(c.Since, time.Now())
	if err != nil {
		return fmt.Errorf("%w: --since: %w", ErrUsage, err)
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	rv, err := review.For(st, c.logger())
	if err != nil {
		return err
	}
	name := "stdout"
	var n int
	if c.ExportOut == "" {
		n, err = rv.ExportDecisions(ctx, since, c.Stdout)
	} else {
		name = c.ExportOut
		n, err = writeAtomically(c.ExportOut, func(w io.Writer) (int, error) { return rv.ExportDecisions(ctx, since, w) })
	}
	if err != nil {
		return err
	}
	after := map[string]any{"rows": n, "since": since, "to": name}
	if err := newCLIAuditor(st).record(ctx, "export.decisions", name, nil, after); err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "%d decisions exported to %s\n", n, name)
	return nil
}

// writeAtomically writes a file through a temporary file in its folder,
// renamed over it only when write succeeded, so that a failed export
// leaves the old file as it was.
func writeAtomically(path string, write func(io.Writer) (int, error)) (int, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	n, err := write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return n, fmt.Errorf("write %s: %w", path, err)
	}
	return n, nil
}
