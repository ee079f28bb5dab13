package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/store"
)

// runReport writes a report; removal is the one there is.
func runReport(ctx context.Context, c *Config) error {
	if len(c.Args) != 1 || c.Args[0] != "removal" {
		return fmt.Errorf("%w: report needs one subcommand: removal", ErrUsage)
	}
	if !slices.Contains(liveness.Formats, c.ReportFormat) {
		return fmt.Errorf("%w: --format %q: want html, csv or json", ErrUsage, c.ReportFormat)
	}
	now := time.Now().UTC()
	var f liveness.Filter
	var err error
	if f.From, err = audit.ParseSince(c.ReportFrom, now); err != nil {
		return fmt.Errorf("%w: --from: %w", ErrUsage, err)
	}
	if f.To, err = audit.ParseSince(c.ReportTo, now); err != nil {
		return fmt.Errorf("%w: --to: %w", ErrUsage, err)
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	ls, ok := st.(store.Liveness)
	if !ok {
		return fmt.Errorf("the store keeps no liveness items")
	}
	r, err := liveness.Removal(ctx, ls, f, now)
	if err != nil {
		return err
	}
	return liveness.Write(c.Stdout, r, c.ReportFormat)
}
