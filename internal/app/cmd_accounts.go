package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/raqib-project/raqib/internal/account"
	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/store"
)

// openRegistry opens the store and the account registry on it.
func openRegistry(ctx context.Context, c *Config) (store.Store, *account.Registry, error) {
	st, err := openStore(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	as, ok := st.(account.Store)
	if !ok {
		st.Close()
		return nil, nil, account.ErrNoRegistry
	}
	reg := &account.Registry{Store: as, Now: c.Now}
	if ls, ok := st.(store.Liveness); ok {
		lc, err := c.livenessConfig()
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		// Only registers pages to watch: the serve and worker processes
		// check them, so this tracker needs no client.
		watchAccounts(reg, liveness.New(ls, nil, lc))
	}
	return st, reg, nil
}

// runAccounts lists accounts, records analysts' status changes and
// decides successor links from the command line, audited as the OS user.
func runAccounts(ctx context.Context, c *Config) error {
	if len(c.Args) == 0 {
		return fmt.Errorf("%w: accounts needs a subcommand: list, status, successors, confirm, reject, sweep or eval", ErrUsage)
	}
	if c.Args[0] == "eval" {
		return evalAccounts(ctx, c)
	}
	st, reg, err := openRegistry(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	cli := newCLIAuditor(st)
	who := account.Actor{User: cli.actor, Source: cli.source}
	args := c.Args[1:]
	switch c.Args[0] {
	case "list":
		status := store.AccountStatus("")
		if len(args) > 0 {
			if status = store.AccountStatus(args[0]); !status.Valid() {
				return fmt.Errorf("%w: accounts list: unknown status %q", ErrUsage, args[0])
			}
		}
		as, err := reg.Store.ListAccounts(ctx, status, 1000)
		if err != nil {
			return err
		}
		return printList(c, as, "PLATFORM\tID\tHANDLE\tSTATUS\tLAST SEEN", func(a store.AccountRecord) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%s", a.Platform, a.ID, a.Handle, a.Status, a.LastSeen.Format(time.RFC3339))
		})
	case "status":
		if len(args) != 2 {
			return fmt.Errorf("%w: accounts status PLATFORM/ID STATUS --evidence TEXT", ErrUsage)
		}
		platform, id, ok := account.SplitKey(args[0])
		status := store.AccountStatus(args[1])
		switch {
		case !ok:
			return fmt.Errorf("%w: accounts status: %q is not PLATFORM/ID", ErrUsage, args[0])
		case !status.Valid():
			return fmt.Errorf("%w: accounts status: unknown status %q (active, dormant, removed, referred)", ErrUsage, args[1])
		case c.Evidence == "":
			return fmt.Errorf("%w: accounts status: --evidence is required", ErrUsage)
		}
		a := store.AccountRef{Platform: platform, ID: id}
		if _, err := reg.Store.AccountRecord(ctx, a); err != nil {
			return err
		}
		changed, err := reg.SetStatus(ctx, who, store.StatusChange{Account: a, Status: status, Source: "analyst", Evidence: c.Evidence})
		if err != nil {
			return err
		}
		if !changed {
			_, err = fmt.Fprintf(c.Stdout, "%s is %s already\n", args[0], status)
			return err
		}
		_, err = fmt.Fprintf(c.Stdout, "%s is now %s\n", args[0], status)
		return err
	case "successors":
		status := store.LinkProposed
		if len(args) > 0 {
			status = store.LinkStatus(args[0])
		}
		ls, err := reg.Store.SuccessorLinks(ctx, status, 1000)
		if err != nil {
			return err
		}
		return printList(c, ls, "ID\tFROM\tTO\tSCORE\tEVIDENCE", func(l store.SuccessorLink) string {
			return fmt.Sprintf("%d\t%s\t%s\t%.2f\t%s", l.ID, account.Key(l.From.Platform, l.From.ID), account.Key(l.To.Platform, l.To.ID), l.Score, l.Evidence)
		})
	case "sweep":
		n, err := reg.MarkDormant(ctx, c.DormantAfter)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.Stdout, "%d accounts silent for %s are now dormant\n", n, c.DormantAfter)
		return err
	case "confirm", "reject":
		if len(args) != 1 {
			return fmt.Errorf("%w: accounts %s ID", ErrUsage, c.Args[0])
		}
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: accounts %s: link id %q is not a number", ErrUsage, c.Args[0], args[0])
		}
		l, err := reg.Decide(ctx, who, id, c.Args[0] == "confirm")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.Stdout, "link %d %s: %s -> %s\n", l.ID, l.Status, account.Key(l.From.Platform, l.From.ID), account.Key(l.To.Platform, l.To.ID))
		return err
	}
	return fmt.Errorf("%w: accounts: unknown subcommand %q", ErrUsage, c.Args[0])
}

// runGraph exports the account graph for Gephi.
func runGraph(ctx context.Context, c *Config) error {
	if len(c.Args) != 1 || c.Args[0] != "export" {
		return fmt.Errorf("%w: graph needs one subcommand: export", ErrUsage)
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	as, ok := st.(store.Accounts)
	if !ok {
		return account.ErrNoRegistry
	}
	nodes, edges, err := account.BuildGraph(ctx, as, time.Time{})
	if err != nil {
		return err
	}
	if c.GraphFormat == "graphml" {
		return account.WriteGraphML(c.Stdout, nodes, edges)
	}
	return account.WriteGEXF(c.Stdout, nodes, edges)
}
