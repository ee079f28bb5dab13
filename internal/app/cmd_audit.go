package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/store"
)

// runAudit verifies and lists the audit trail.
func runAudit(ctx context.Context, c *Config) error {
	if len(c.Args) != 1 || (c.Args[0] != "verify" && c.Args[0] != "list") {
		return fmt.Errorf("%w: audit needs one subcommand: verify or list", ErrUsage)
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
	if c.Args[0] == "verify" {
		r, err := audit.Verify(st.AuditLog(ctx))
		if err != nil {
			return fmt.Errorf("audit trail does not verify (%d entries before it are intact): %w", r.Entries, err)
		}
		_, err = fmt.Fprintf(c.Stdout, "%d audit entries verified; head %s\n", r.Entries, r.Head)
		return err
	}
	return auditList(ctx, c, st, store.AuditFilter{Actor: c.Actor, Since: since})
}

// auditPage is how many entries list reads at a time.
const auditPage = 1000

// auditList prints every entry matching f, a page at a time: a table, or
// one JSON object a line with --json.
func auditList(ctx context.Context, c *Config, st store.Auditor, f store.AuditFilter) error {
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	enc := json.NewEncoder(c.Stdout)
	// Before and after are printed as the bytes the hash covers.
	enc.SetEscapeHTML(false)
	if !c.JSON {
		fmt.Fprintln(tw, "SEQ\tAT\tACTOR\tSOURCE\tACTION\tSUBJECT\tBEFORE\tAFTER")
	}
	f.Limit = auditPage
	for {
		es, err := st.AuditEntries(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range es {
			if c.JSON {
				if err := enc.Encode(e); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.At.Format(time.RFC3339), e.Actor, e.Source, e.Action, e.Subject, e.Before, e.After)
		}
		if len(es) < auditPage {
			return tw.Flush()
		}
		f.After = es[len(es)-1].Seq
	}
}

// cliAuditor records what a command run by hand changes, in the name of
// the OS user who ran it.
type cliAuditor struct {
	st            store.Auditor
	actor, source string
}

func newCLIAuditor(st store.Auditor) cliAuditor {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return cliAuditor{st: st, actor: name, source: "cli:" + name + "@" + host}
}

// record appends one entry; before and after are marshalled to JSON, nil
// leaving them empty. The change it records is made already, so an error
// says that it went unrecorded.
func (a cliAuditor) record(ctx context.Context, action, subject string, before, after any) error {
	e := audit.Entry{Actor: a.actor, Source: a.source, Action: action, Subject: subject}
	var err error
	if e.Before, err = audit.Marshal(before); err == nil {
		e.After, err = audit.Marshal(after)
	}
	if err == nil {
		_, err = a.st.Append(ctx, e)
	}
	if err != nil {
		return fmt.Errorf("%s %s was done but not recorded in the audit trail: %w", action, subject, err)
	}
	return nil
}
