package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/raqib-project/raqib/internal/audit"
)

// Problem is one thing Verify found wrong.
type Problem struct {
	Where string `json:"where"` // a file, capture or audit entry
	What  string `json:"what"`
}

func (p Problem) String() string { return p.Where + ": " + p.What }

// Report is what Verify checked and found.
type Report struct {
	Captures     int       `json:"captures"`
	Files        int       `json:"files"`
	Records      int       `json:"records"`
	Timestamps   int       `json:"timestamps"`
	AuditEntries int64     `json:"audit_entries"`
	AuditHead    string    `json:"audit_head,omitempty"`
	Problems     []Problem `json:"problems,omitempty"`
}

// Err returns ErrTampered naming the first problems, or nil.
func (r Report) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	var b strings.Builder
	for i, p := range r.Problems {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(r.Problems)-5)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return fmt.Errorf("%w: %s", ErrTampered, b.String())
}

func (r *Report) problem(where, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Where: where, What: fmt.Sprintf(format, args...)})
}

// capture is one capture as the custody log knows it.
type capture struct {
	custody custody
	seq     int64
	deleted bool
}

// Verify re-checks every capture under Dir and the whole audit trail:
// each file against its manifest, each WARC record against its digest,
// each manifest against its custody entry and timestamp, and the chain of
// every entry. It returns the problems in the report; the error is for
// failures to read.
func (k *Keeper) Verify(ctx context.Context) (Report, error) {
	var r Report
	captures := map[string]*capture{}
	res, err := audit.Verify(k.custodyEntries(ctx, captures))
	r.AuditEntries, r.AuditHead = res.Entries, res.Head
	var broken *audit.BrokenError
	switch {
	case errors.As(err, &broken):
		r.problem(fmt.Sprintf("audit entry %d", broken.Seq), "%v", broken)
	case err != nil:
		return r, fmt.Errorf("read audit trail: %w", err)
	}
	names, err := k.captureDirs()
	if err != nil {
		return r, err
	}
	for _, name := range names {
		c := captures[name]
		if c == nil || c.deleted {
			r.problem(name, "no custody entry in the audit trail records this capture")
			c = &capture{}
		}
		k.verifyCapture(os.DirFS(filepath.Join(k.Dir, filepath.FromSlash(name))), name, c.custody, &r)
	}
	for name, c := range captures {
		if !c.deleted && !slices.Contains(names, name) {
			r.problem(name, "captured (audit entry %d) but its directory is gone", c.seq)
		}
	}
	sort.Slice(r.Problems, func(i, j int) bool { return r.Problems[i].Where < r.Problems[j].Where })
	return r, nil
}

// custodyEntries yields the audit log for audit.Verify and records the
// custody entries of captures on the way, so one pass does both.
func (k *Keeper) custodyEntries(ctx context.Context, captures map[string]*capture) iter.Seq2[audit.Entry, error] {
	return func(yield func(audit.Entry, error) bool) {
		for e, err := range k.Audit.AuditLog(ctx) {
			if err == nil {
				switch e.Action {
				case ActionCapture:
					c := &capture{seq: e.Seq}
					if json.Unmarshal(e.After, &c.custody) == nil {
						captures[e.Subject] = c
					}
				case ActionDelete:
					if c := captures[e.Subject]; c != nil {
						c.deleted = true
					}
				}
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

// captureDirs lists the captures under Dir as case-<id>/<capture id>.
func (k *Keeper) captureDirs() ([]string, error) {
	cases, err := os.ReadDir(k.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("evidence directory: %w", err)
	}
	var out []string
	for _, c := range cases {
		if !c.IsDir() || !strings.HasPrefix(c.Name(), "case-") {
			continue
		}
		caps, err := os.ReadDir(filepath.Join(k.Dir, c.Name()))
		if err != nil {
			return nil, fmt.Errorf("evidence directory: %w", err)
		}
		for _, cp := range caps {
			// Hidden directories are captures being written.
			if cp.IsDir() && !strings.HasPrefix(cp.Name(), ".") {
				out = append(out, c.Name()+"/"+cp.Name())
			}
		}
	}
	return out, nil
}

// verifyCapture checks one capture in fsys against its custody entry c (a
// zero custody when the trail has none).
func (k *Keeper) verifyCapture(fsys fs.FS, name string, c custody, r *Report) {
	r.Captures++
	where := func(file string) string { return path.Join(name, file) }
	mb, err := fs.ReadFile(fsys, manifestFile)
	if err != nil {
		r.problem(where(manifestFile), "cannot read: %v", err)
		return
	}
	if c.Manifest != "" && sha256Hex(mb) != c.Manifest {
		r.problem(where(manifestFile), "SHA-256 %s, but the custody entry recorded %s", sha256Hex(mb), c.Manifest)
	}
	var m Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		r.problem(where(manifestFile), "does not parse: %v", err)
		return
	}
	if m.Capture != name {
		r.problem(where(manifestFile), "names capture %q", m.Capture)
	}
	listed := map[string]bool{manifestFile: true, timestampFile: true}
	for _, f := range m.Files {
		listed[f.Name] = true
		r.Files++
		b, err := fs.ReadFile(fsys, f.Name)
		if err != nil {
			r.problem(where(f.Name), "cannot read: %v", err)
			continue
		}
		if got := sha256Hex(b); got != f.SHA256 || int64(len(b)) != f.Bytes {
			r.problem(where(f.Name), "SHA-256 %s (%d bytes), but the manifest says %s (%d bytes)", got, len(b), f.SHA256, f.Bytes)
			continue
		}
		if f.Name == warcFile {
			verifyRecords(b, m.Records, where(f.Name), r)
		}
	}
	entries, _ := fs.ReadDir(fsys, ".")
	for _, e := range entries {
		if !listed[e.Name()] {
			r.problem(where(e.Name()), "not listed in the manifest")
		}
	}
	token, err := fs.ReadFile(fsys, timestampFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if c.Timestamp != nil {
			r.problem(where(timestampFile), "the custody entry records a timestamp, but the file is gone")
		}
	case err != nil:
		r.problem(where(timestampFile), "cannot read: %v", err)
	default:
		r.Timestamps++
		var roots *x509.CertPool
		if k.TSA != nil {
			roots = k.TSA.Roots
		}
		sum := sha256.Sum256(mb)
		ts, err := VerifyTimestamp(token, sum[:], roots)
		switch {
		case err != nil:
			r.problem(where(timestampFile), "%v", err)
		case c.Timestamp != nil && (!ts.Time.Equal(c.Timestamp.Time) || ts.Serial != c.Timestamp.Serial):
			r.problem(where(timestampFile), "stamped %s serial %s, but the custody entry recorded %s serial %s", ts.Time, ts.Serial, c.Timestamp.Time, c.Timestamp.Serial)
		}
	}
}

// verifyRecords checks that a WARC holds exactly the manifest's records.
func verifyRecords(warc []byte, want []RecordRef, where string, r *Report) {
	recs, err := ReadWARC(bytes.NewReader(warc))
	if err != nil {
		r.problem(where, "%v", err)
		return
	}
	if len(recs) != len(want) {
		r.problem(where, "%d records, but the manifest lists %d", len(recs), len(want))
		return
	}
	for i, rec := range recs {
		r.Records++
		if w := want[i]; rec.Type != w.Type || rec.TargetURI != w.URI || sha256Hex(rec.Block) != w.SHA256 {
			r.problem(where, "record %d (%s %s) differs from the manifest's (%s %s)", i, rec.Type, rec.TargetURI, w.Type, w.URI)
		}
	}
}
