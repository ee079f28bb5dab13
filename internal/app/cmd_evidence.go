package app

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/raqib-project/raqib/internal/evidence"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/review"
	"github.com/raqib-project/raqib/internal/store"
)

// evidenceSettings are the settings of every command that keeps evidence.
var evidenceSettings = append([]string{"tsa-url", "tsa-cert", "evidence-retention", "evidence-max-posts", "evidence-max-requisites"}, fetchSettings...)

// runEvidence captures, verifies, exports and prunes case evidence.
func runEvidence(ctx context.Context, c *Config) error {
	usage := fmt.Errorf("%w: evidence needs a subcommand: capture CASE | verify [--package FILE] | export CASE --out FILE | prune", ErrUsage)
	if len(c.Args) == 0 {
		return usage
	}
	sub, args := c.Args[0], c.Args[1:]
	roots, err := c.tsaRoots()
	if err != nil {
		return err
	}
	if sub == "verify" && c.Package != "" {
		return verifyPackage(c, roots)
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	k, err := c.keeper(st, roots)
	if err != nil {
		return err
	}
	who := newCLIAuditor(st)
	caseArg := func() (int64, error) {
		if len(args) != 1 {
			return 0, usage
		}
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || id < 1 {
			return 0, fmt.Errorf("%w: case %q: want a case number", ErrUsage, args[0])
		}
		return id, nil
	}
	switch sub {
	case "capture":
		id, err := caseArg()
		if err != nil {
			return err
		}
		m, err := k.Capture(ctx, id, who.actor, who.source)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "captured %s: %d posts, %d records, %s %s\n", m.Capture, len(m.Posts), len(m.Records), m.Files[0].Name, m.Files[0].SHA256)
		for _, p := range m.Problems {
			fmt.Fprintf(c.Stderr, "not captured: %s\n", p)
		}
		return nil
	case "verify":
		rep, err := k.Verify(ctx)
		if err != nil {
			return err
		}
		return printReport(c, rep)
	case "export":
		id, err := caseArg()
		if err != nil {
			return err
		}
		if c.Out == "" || c.Out == "raqib.model" {
			return fmt.Errorf("%w: evidence export needs --out FILE.zip", ErrUsage)
		}
		f, err := os.OpenFile(c.Out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("evidence export: %w", err)
		}
		if err := k.Export(ctx, id, f, who.actor, who.source); err != nil {
			f.Close()
			os.Remove(c.Out)
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("evidence export: %w", err)
		}
		fmt.Fprintf(c.Stdout, "wrote %s\n", c.Out)
		return nil
	case "prune":
		n, err := k.Prune(ctx, time.Now().Add(-c.EvidenceRetention), who.actor, who.source)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "deleted %d captures older than %s\n", n, c.EvidenceRetention)
		return nil
	}
	return usage
}

// keeper wires the evidence keeper of the data directory.
func (c *Config) keeper(st store.Store, roots *x509.CertPool) (*evidence.Keeper, error) {
	fc, err := c.fetcher()
	if err != nil {
		return nil, err
	}
	k := &evidence.Keeper{
		Dir: filepath.Join(c.Data, "evidence"), MediaDir: filepath.Join(c.Data, "media"),
		Posts: st, Audit: st, Fetch: fc, MaxPosts: c.EvidenceMaxPosts, MaxRequisites: c.EvidenceMaxReqs, Version: Version,
	}
	if c.TSAURL != "" {
		k.TSA = &evidence.TSA{URL: c.TSAURL, Fetch: fc, Roots: roots}
	}
	return k, nil
}

// tsaRoots reads --tsa-cert; nil when unset.
func (c *Config) tsaRoots() (*x509.CertPool, error) {
	if c.TSACert == "" {
		return nil, nil
	}
	b, err := os.ReadFile(c.TSACert)
	if err != nil {
		return nil, fmt.Errorf("--tsa-cert: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("--tsa-cert %s: no PEM certificate in it", c.TSACert)
	}
	return roots, nil
}

func verifyPackage(c *Config, roots *x509.CertPool) error {
	f, err := os.Open(c.Package)
	if err != nil {
		return fmt.Errorf("evidence package: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("evidence package: %w", err)
	}
	rep, err := evidence.VerifyPackage(f, fi.Size(), roots)
	if err != nil {
		return err
	}
	return printReport(c, rep)
}

// printReport prints what verify checked, and every problem; the error
// makes the command exit non-zero when there is one.
func printReport(c *Config, rep evidence.Report) error {
	if c.JSON {
		json.NewEncoder(c.Stdout).Encode(rep)
	} else {
		fmt.Fprintf(c.Stdout, "%d captures, %d files, %d WARC records, %d timestamps, %d audit entries checked\n",
			rep.Captures, rep.Files, rep.Records, rep.Timestamps, rep.AuditEntries)
		for _, p := range rep.Problems {
			fmt.Fprintf(c.Stdout, "FAIL %s\n", p)
		}
	}
	return rep.Err()
}

// evidenceHook captures a case's evidence when an analyst confirms it,
// before anything about it leaves the unit. Captures fetch live pages, so
// they run one at a time on their own goroutine, not in the analyst's
// request; a bulk confirmation queues them.
type evidenceHook struct {
	keeper *evidence.Keeper
	jobs   chan evidenceJob
	log    *slog.Logger
}

type evidenceJob struct {
	caseID int64
	actor  string
}

func newEvidenceHook(k *evidence.Keeper, log *slog.Logger) *evidenceHook {
	return &evidenceHook{keeper: k, jobs: make(chan evidenceJob, 4096), log: log}
}

func (*evidenceHook) Name() string { return "evidence" }

func (h *evidenceHook) AfterEvent(ctx context.Context, c post.Case, e review.Event) error {
	if e.Action != string(review.Confirm) {
		return nil
	}
	select {
	case h.jobs <- evidenceJob{caseID: c.ID, actor: e.Actor}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run captures the queued cases until ctx ends.
func (h *evidenceHook) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-h.jobs:
			m, err := h.keeper.Capture(ctx, j.caseID, j.actor, "review")
			if err != nil {
				h.log.Error("evidence capture on confirmation", "case", j.caseID, "err", err)
				continue
			}
			h.log.Info("evidence captured", "case", j.caseID, "capture", m.Capture, "records", len(m.Records), "problems", len(m.Problems))
		}
	}
}
