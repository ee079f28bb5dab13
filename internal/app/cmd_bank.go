package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// bankFormats maps --bank-format to readers and writers.
var bankFormats = map[string]struct {
	read  func(io.Reader, string, string) ([]hashbank.Entry, []*hashbank.RowError, error)
	write func(io.Writer, []hashbank.Entry) error
}{
	"csv": {hashbank.ReadCSV, hashbank.WriteCSV},
	"hma": {hashbank.ReadHMACSV, hashbank.WriteHMACSV},
	"tat": {hashbank.ReadTATJSON, hashbank.WriteTATJSON},
}

// runBank manages hash banks: list, import, export, enable, disable.
func runBank(ctx context.Context, c *Config) error {
	if len(c.Args) == 0 {
		return fmt.Errorf("%w: bank needs a subcommand: list, import FILE..., export, enable, disable [ENTRY-ID]", ErrUsage)
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	banks, ok := st.(store.Banks)
	if !ok {
		return errors.New("this store keeps no hash banks")
	}
	sub, args := c.Args[0], c.Args[1:]
	aud := newCLIAuditor(st)
	switch sub {
	case "list":
		return bankList(ctx, c, banks)
	case "import":
		return bankImport(ctx, c, st, banks, aud, args)
	case "export":
		return bankExport(ctx, c, banks, aud)
	case "enable", "disable":
		on := sub == "enable"
		if len(args) == 0 {
			if c.Bank == "" {
				return fmt.Errorf("%w: bank %s needs --bank NAME or an ENTRY-ID", ErrUsage, sub)
			}
			return switchBank(ctx, banks, aud, c.Bank, on)
		}
		for _, a := range args {
			var id int64
			if _, err := fmt.Sscan(a, &id); err != nil {
				return fmt.Errorf("%w: entry id %q: %w", ErrUsage, a, err)
			}
			if err := switchEntry(ctx, banks, aud, id, on); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%w: unknown bank subcommand %q (list, import, export, enable, disable)", ErrUsage, sub)
}

// switchBank turns a bank on or off and records its settings before and
// after in the audit trail.
func switchBank(ctx context.Context, banks store.Banks, aud cliAuditor, name string, on bool) error {
	before, err := banks.Bank(ctx, name)
	if err != nil {
		return fmt.Errorf("bank %q: %w", name, err)
	}
	if err := banks.SetBankEnabled(ctx, name, on); err != nil {
		return err
	}
	after := before
	after.Enabled = on
	return aud.record(ctx, enableAction("bank", on), name, before, after)
}

// switchEntry turns a bank entry on or off and records it before and after
// in the audit trail, as the entry BANK#ID.
func switchEntry(ctx context.Context, banks store.Banks, aud cliAuditor, id int64, on bool) error {
	es, err := banks.Entries(ctx, []int64{id})
	if err != nil {
		return err
	}
	if len(es) == 0 {
		return fmt.Errorf("bank entry %d: %w", id, store.ErrNotFound)
	}
	if err := banks.SetEntryEnabled(ctx, id, on); err != nil {
		return err
	}
	after := es[0]
	after.Enabled = on
	return aud.record(ctx, enableAction("bank.entry", on), fmt.Sprintf("%s#%d", es[0].Bank, id), es[0], after)
}

func enableAction(what string, on bool) string {
	if on {
		return what + ".enable"
	}
	return what + ".disable"
}

func bankList(ctx context.Context, c *Config, banks store.Banks) error {
	bs, es, err := banks.LoadBanks(ctx)
	if err != nil {
		return err
	}
	count := map[string][2]int{}
	for _, e := range es {
		n := count[e.Bank]
		n[0]++
		if e.Enabled {
			n[1]++
		}
		count[e.Bank] = n
	}
	if c.JSON {
		return json.NewEncoder(c.Stdout).Encode(map[string]any{"banks": bs, "entries": count})
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BANK\tKIND\tENABLED\tDISTANCE\tENTRIES\tENABLED ENTRIES\tSOURCE")
	for _, b := range bs {
		n := count[b.Name]
		fmt.Fprintf(tw, "%s\t%s\t%v\t%d\t%d\t%d\t%s\n", b.Name, b.Kind, b.Enabled, b.Distance, n[0], n[1], b.Source)
	}
	return tw.Flush()
}

// bankExport writes the entries of one bank (or all) and records the
// export in the audit trail: hash lists leave the unit with it.
func bankExport(ctx context.Context, c *Config, banks store.Banks, aud cliAuditor) error {
	f, ok := bankFormats[c.BankFormat]
	if !ok {
		return fmt.Errorf("%w: --bank-format %q: want csv, hma or tat", ErrUsage, c.BankFormat)
	}
	_, es, err := banks.LoadBanks(ctx)
	if err != nil {
		return err
	}
	var out []hashbank.Entry
	for _, e := range es {
		if c.Bank == "" || e.Bank == c.Bank {
			out = append(out, e)
		}
	}
	if err := f.write(c.Stdout, out); err != nil {
		return err
	}
	subject := c.Bank
	if subject == "" {
		subject = "*"
	}
	return aud.record(ctx, "bank.export", subject, nil, map[string]any{"entries": len(out), "format": c.BankFormat})
}

// ErrRejected marks a hash-list import that skipped rows or files: the
// valid rows are imported, and the command fails so that a script notices.
var ErrRejected = errors.New("rejected")

// maxNamedRejections bounds how many rejected rows the error of bank import
// names; stderr lists every one.
const maxNamedRejections = 20

// bankImport adds the entries of hash-list files to a bank (created when
// new) and then scans what was already collected for new matches:
// retroactive matching, so that content collected before a partner shared
// its hash is found too. A bad row or unreadable file is reported and the
// rest still imported; with no valid row at all no bank is created.
func bankImport(ctx context.Context, c *Config, st store.Store, banks store.Banks, aud cliAuditor, files []string) error {
	f, ok := bankFormats[c.BankFormat]
	if !ok {
		return fmt.Errorf("%w: --bank-format %q: want csv, hma or tat", ErrUsage, c.BankFormat)
	}
	if c.Bank == "" || len(files) == 0 {
		return fmt.Errorf("%w: bank import needs --bank NAME and FILE...", ErrUsage)
	}
	kind := hashbank.Kind(c.BankKind)
	if !kind.Valid() {
		return fmt.Errorf("%w: --kind %q: want own, partner, imported or negative", ErrUsage, c.BankKind)
	}
	var entries []hashbank.Entry
	var rejected []string // file:line of each rejected row, or the file
	for _, path := range files {
		es, bad, err := readHashList(f.read, path, c.Bank)
		if err != nil {
			fmt.Fprintf(c.Stderr, "rejected %v\n", err)
			rejected = append(rejected, err.Error())
			continue
		}
		for _, b := range bad {
			fmt.Fprintf(c.Stderr, "rejected %v\n", b)
			rejected = append(rejected, fmt.Sprintf("%s:%d", b.File, b.Line))
		}
		for i := range es {
			es[i].Enabled = true
		}
		entries = append(entries, es...)
	}
	if len(entries) == 0 {
		return fmt.Errorf("bank %q not changed: no valid row: %w", c.Bank, rejectedErr(rejected))
	}
	existing, _, err := banks.LoadBanks(ctx)
	if err != nil {
		return err
	}
	before, ok := findBank(existing, c.Bank)
	bank := before
	if !ok {
		bank = hashbank.Bank{Name: c.Bank, Kind: kind, Enabled: true, Distance: c.BankDistance, Source: c.BankSource, CreatedAt: time.Now().UTC()}
		if err := banks.PutBank(ctx, bank); err != nil {
			return err
		}
	}
	added, err := banks.AddEntries(ctx, entries)
	if err != nil {
		return err
	}
	var was any // nil for a new bank: the entry has no before
	if ok {
		was = before
	}
	err = aud.record(ctx, "bank.import", c.Bank, was, map[string]any{
		"bank": bank, "files": files, "read": len(entries), "added": len(added), "rejected": len(rejected),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "bank %q: %d entries read, %d added, %d already there, %d rejected\n",
		c.Bank, len(entries), len(added), len(entries)-len(added), len(rejected))
	n, err := rescan(ctx, c, st, added)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "retroactive scan: %d already-collected posts match the new entries and were re-decided\n", n)
	if len(rejected) > 0 {
		return fmt.Errorf("bank %q: %d valid rows imported, but %w", c.Bank, len(entries), rejectedErr(rejected))
	}
	return nil
}

// readHashList reads one hash-list file; an error names the file.
func readHashList(read func(io.Reader, string, string) ([]hashbank.Entry, []*hashbank.RowError, error), path, bank string) ([]hashbank.Entry, []*hashbank.RowError, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("hash list: %w", err)
	}
	defer fh.Close()
	es, bad, err := read(fh, path, bank)
	if err != nil {
		return nil, nil, fmt.Errorf("hash list %s: %w", path, err)
	}
	return es, bad, nil
}

// rejectedErr names the rejected rows, the first maxNamedRejections of them.
func rejectedErr(rows []string) error {
	if len(rows) == 0 {
		return fmt.Errorf("the lists are empty: %w", ErrRejected)
	}
	named := rows[:min(len(rows), maxNamedRejections)]
	more := ""
	if len(rows) > len(named) {
		more = fmt.Sprintf(" and %d more (see above)", len(rows)-len(named))
	}
	return fmt.Errorf("%d %w: %s%s", len(rows), ErrRejected, strings.Join(named, "; "), more)
}

func findBank(bs []hashbank.Bank, name string) (hashbank.Bank, bool) {
	for _, b := range bs {
		if b.Name == name {
			return b, true
		}
	}
	return hashbank.Bank{}, false
}

// rescan re-decides the stored posts that entries just added match, and
// prints each.
func rescan(ctx context.Context, c *Config, st store.Store, added []hashbank.Entry) (int, error) {
	s := &system{cfg: c, log: c.logger(), store: st, metrics: newMetrics()}
	if err := s.openWorker(ctx); err != nil {
		return 0, err
	}
	keys, err := s.banks.retro(ctx, added)
	if err != nil || len(keys) == 0 {
		return 0, err
	}
	var ps []post.Post
	for _, key := range keys {
		p, _, err := st.Post(ctx, key)
		if err != nil {
			return 0, err
		}
		ps = append(ps, p)
	}
	// The posts take the one batch path again: decided anew, saved, and
	// their cases proposed.
	if _, err := s.worker.Process(ctx, ps); err != nil {
		return 0, err
	}
	for i := range ps {
		fmt.Fprintf(c.Stdout, "  %s: now %s (violating %v)\n", ps[i].Key(), ps[i].Decision.Label, ps[i].Decision.Violating)
	}
	return len(ps), nil
}
