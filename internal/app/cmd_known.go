package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/raqib-project/raqib/internal/enrich"
	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/ingest"
	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/pdq/vpdq"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
	"github.com/raqib-project/raqib/internal/source"
	"github.com/raqib-project/raqib/internal/store"
)

// hashLine is one line of `raqib hash --json`. Error names the file.
type hashLine struct {
	File    string `json:"file"`
	PDQ     string `json:"pdq,omitempty"`
	Quality int    `json:"quality"`
	MD5     string `json:"md5"`
	SHA256  string `json:"sha256"`
	Frames  int    `json:"frames,omitempty"` // videos: vPDQ frame hashes
	VPDQ    string `json:"vpdq,omitempty"`   // videos: the frames as a bank value
	Error   string `json:"error,omitempty"`
}

// runHash prints the perceptual and exact hashes of files. A file that
// cannot be hashed is reported and the others still are; the exit status
// says whether any failed.
func runHash(ctx context.Context, c *Config) error {
	if len(c.Args) == 0 {
		return fmt.Errorf("%w: hash needs at least one FILE", ErrUsage)
	}
	h := pdq.NewHasher()
	enc := json.NewEncoder(c.Stdout)
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	if !c.JSON {
		fmt.Fprintln(tw, "FILE\tPDQ\tQUALITY\tMD5\tSHA-256")
	}
	failed := 0
	for _, path := range c.Args {
		line := hashFile(ctx, h, path, c.MaxPixels)
		if line.Error != "" {
			failed++
			fmt.Fprintln(c.Stderr, line.Error)
		}
		if c.JSON {
			enc.Encode(line)
			continue
		}
		pdqCol := line.PDQ
		if line.Frames > 0 {
			pdqCol = fmt.Sprintf("(video: %d frame hashes, use --json)", line.Frames)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", line.File, pdqCol, line.Quality, line.MD5, line.SHA256)
	}
	tw.Flush()
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be hashed", failed, len(c.Args))
	}
	return nil
}

func hashFile(ctx context.Context, h *pdq.Hasher, path string, maxPixels int) hashLine {
	line := hashLine{File: path}
	if ingest.IsVideoFile(path) {
		feats, _, err := vpdq.Hash(ctx, path, vpdq.Options{})
		if err == nil {
			line.VPDQ, err = signaltype.VPDQValue(feats)
		}
		if err != nil {
			line.Error = path + ": " + err.Error()
			return line
		}
		line.Frames = len(feats)
		// Stream the digests: a video may not fit in memory.
		f, err := os.Open(path)
		if err != nil {
			line.Error = err.Error()
			return line
		}
		defer f.Close()
		m := source.HashMedia(post.Media{}, f)
		line.MD5, line.SHA256 = m.Hash(signaltype.MD5.Name), m.Hash(signaltype.SHA256.Name)
		return line
	}
	res, err := h.HashFile(path, maxPixels)
	line.MD5, line.SHA256 = res.MD5, res.SHA256
	if err != nil {
		line.Error = err.Error()
		return line
	}
	line.PDQ, line.Quality = res.PDQ.String(), res.Quality
	return line
}

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
	switch sub {
	case "list":
		return bankList(ctx, c, banks)
	case "import":
		return bankImport(ctx, c, st, banks, args)
	case "export":
		return bankExport(ctx, c, banks)
	case "enable", "disable":
		on := sub == "enable"
		if len(args) == 0 {
			if c.Bank == "" {
				return fmt.Errorf("%w: bank %s needs --bank NAME or an ENTRY-ID", ErrUsage, sub)
			}
			return banks.SetBankEnabled(ctx, c.Bank, on)
		}
		for _, a := range args {
			var id int64
			if _, err := fmt.Sscan(a, &id); err != nil {
				return fmt.Errorf("%w: entry id %q: %w", ErrUsage, a, err)
			}
			if err := banks.SetEntryEnabled(ctx, id, on); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%w: unknown bank subcommand %q (list, import, export, enable, disable)", ErrUsage, sub)
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

func bankExport(ctx context.Context, c *Config, banks store.Banks) error {
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
	return f.write(c.Stdout, out)
}

// bankImport adds the entries of hash-list files to a bank (created when
// new) and then scans what was already collected for new matches:
// retroactive matching, so that content collected before a partner shared
// its hash is found too.
func bankImport(ctx context.Context, c *Config, st store.Store, banks store.Banks, files []string) error {
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
	existing, _, err := banks.LoadBanks(ctx)
	if err != nil {
		return err
	}
	if !hasBank(existing, c.Bank) {
		if err := banks.PutBank(ctx, hashbank.Bank{Name: c.Bank, Kind: kind, Enabled: true, Distance: c.BankDistance, Source: c.BankSource}); err != nil {
			return err
		}
	}
	var entries []hashbank.Entry
	rejected := 0
	for _, path := range files {
		fh, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("hash list: %w", err)
		}
		es, bad, err := f.read(fh, path, c.Bank)
		fh.Close()
		if err != nil {
			return err
		}
		for _, b := range bad {
			fmt.Fprintf(c.Stderr, "rejected %v\n", b)
		}
		rejected += len(bad)
		for i := range es {
			es[i].Enabled = true
		}
		entries = append(entries, es...)
	}
	added, err := banks.AddEntries(ctx, entries)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "bank %q: %d entries read, %d added, %d already there, %d rejected\n",
		c.Bank, len(entries), len(added), len(entries)-len(added), rejected)
	n, err := rescan(ctx, c, st, added)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "retroactive scan: %d already-collected posts match the new entries and were re-decided\n", n)
	return nil
}

func hasBank(bs []hashbank.Bank, name string) bool {
	for _, b := range bs {
		if b.Name == name {
			return true
		}
	}
	return false
}

// rescan re-decides the stored posts that entries just added match, and
// prints each.
func rescan(ctx context.Context, c *Config, st store.Store, added []hashbank.Entry) (int, error) {
	log := c.logger()
	k, err := newKnownContent(ctx, st, log)
	if err != nil {
		return 0, err
	}
	keys, err := k.retro(ctx, added)
	if err != nil || len(keys) == 0 {
		return 0, err
	}
	det, err := newDetection(c, log)
	if err != nil {
		return 0, err
	}
	det.stack.Known = append(det.stack.Known, k.det)
	var ps []post.Post
	for _, key := range keys {
		p, _, err := st.Post(ctx, key)
		if err != nil {
			return 0, err
		}
		enrich.Post(&p)
		det.analyze(&p)
		fmt.Fprintf(c.Stdout, "  %s: now %s (violating %v)\n", key, p.Decision.Label, p.Decision.Violating)
		ps = append(ps, p)
	}
	if _, err := st.SavePosts(ctx, ps); err != nil {
		return 0, err
	}
	if _, err := st.ProposeCases(ctx, post.ProposedCases(ps)); err != nil {
		return 0, err
	}
	return len(ps), nil
}
