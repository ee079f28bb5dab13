package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/store"
)

// Names inside an exported package.
const (
	custodyFile = "custody.json"
	summaryFile = "summary.html"
	capturesDir = "captures"
)

// ErrNoEvidence is returned when a case has no capture to export.
var ErrNoEvidence = errors.New("no evidence captured for this case")

// Custody is the custody.json of a package: the audit entries of its
// captures as the trail holds them, each hashing to its Hash over its
// fields and PrevHash, and the trail's head when the package was made.
type Custody struct {
	Case     int64         `json:"case"`
	Exported time.Time     `json:"exported"`
	Entries  []audit.Entry `json:"entries"`
	HeadSeq  int64         `json:"head_seq"`
	HeadHash string        `json:"head_hash"`
}

// Export writes every capture of case caseID, the custody entries and a
// bilingual summary as a zip to w, and audits the export.
func (k *Keeper) Export(ctx context.Context, caseID int64, w io.Writer, actor, source string) error {
	prefix := fmt.Sprintf("case-%d/", caseID)
	cust := Custody{Case: caseID, Exported: k.now()}
	var manifests []Manifest
	head, err := k.Audit.AuditEntries(ctx, store.AuditFilter{Last: true, Limit: 1})
	if err != nil {
		return fmt.Errorf("read audit trail head: %w", err)
	}
	if len(head) == 1 {
		cust.HeadSeq, cust.HeadHash = head[0].Seq, head[0].Hash
	}
	// Only the case's capture entries up to the head, by an indexed query:
	// the trail also holds every read of every post.
	for f := (store.AuditFilter{Action: ActionCapture, Subject: prefix, Limit: 500}); f.After < cust.HeadSeq; {
		es, err := k.Audit.AuditEntries(ctx, f)
		if err != nil {
			return fmt.Errorf("read custody entries: %w", err)
		}
		for _, e := range es {
			if e.Seq <= cust.HeadSeq {
				cust.Entries = append(cust.Entries, e)
			}
		}
		if len(es) < f.Limit {
			break
		}
		f.After = es[len(es)-1].Seq
	}
	zw := zip.NewWriter(w)
	for _, e := range cust.Entries {
		dir := filepath.Join(k.Dir, filepath.FromSlash(e.Subject))
		mb, err := os.ReadFile(filepath.Join(dir, manifestFile))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted under the retention policy; the entry stays
		}
		if err != nil {
			return fmt.Errorf("export %s: %w", e.Subject, err)
		}
		var m Manifest
		if err := json.Unmarshal(mb, &m); err != nil {
			return fmt.Errorf("export %s: manifest: %w", e.Subject, err)
		}
		manifests = append(manifests, m)
		files := []string{manifestFile, timestampFile}
		for _, f := range m.Files {
			files = append(files, f.Name)
		}
		for _, name := range files {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if errors.Is(err, fs.ErrNotExist) && name == timestampFile {
				continue
			}
			if err != nil {
				return fmt.Errorf("export %s: %w", e.Subject, err)
			}
			if err := zipFile(zw, path.Join(capturesDir, path.Base(e.Subject), name), b); err != nil {
				return err
			}
		}
	}
	if len(manifests) == 0 {
		return fmt.Errorf("case %d: %w", caseID, ErrNoEvidence)
	}
	cb, _ := json.MarshalIndent(cust, "", "  ")
	if err := zipFile(zw, custodyFile, cb); err != nil {
		return err
	}
	var sum bytes.Buffer
	if err := summaryTemplate.Execute(&sum, summary{Custody: cust, Manifests: manifests}); err != nil {
		return fmt.Errorf("export summary: %w", err)
	}
	if err := zipFile(zw, summaryFile, sum.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	after, _ := json.Marshal(map[string]any{"captures": len(manifests), "head_seq": cust.HeadSeq, "head_hash": cust.HeadHash})
	if _, err := k.Audit.Append(ctx, audit.Entry{Actor: actor, Source: source, Action: ActionExport, Subject: "case/" + strconv.FormatInt(caseID, 10), After: after}); err != nil {
		return fmt.Errorf("audit export: %w", err)
	}
	return nil
}

func compactJSON(j json.RawMessage) json.RawMessage {
	if len(j) == 0 {
		return j
	}
	var b bytes.Buffer
	if json.Compact(&b, j) != nil {
		return j
	}
	return b.Bytes()
}

func zipFile(zw *zip.Writer, name string, b []byte) error {
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Unix(0, 0).UTC()})
	if err != nil {
		return fmt.Errorf("export %s: %w", name, err)
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("export %s: %w", name, err)
	}
	return nil
}

// VerifyPackage checks an exported package on its own, as its recipient
// does: every file against its manifest, every manifest against its
// custody entry and timestamp (against roots when given), and every
// custody entry against its hash.
func VerifyPackage(r io.ReaderAt, size int64, roots *x509.CertPool) (Report, error) {
	var rep Report
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return rep, fmt.Errorf("evidence package: %w", err)
	}
	cb, err := fs.ReadFile(zr, custodyFile)
	if err != nil {
		return rep, fmt.Errorf("evidence package: %w", err)
	}
	var cust Custody
	if err := json.Unmarshal(cb, &cust); err != nil {
		rep.problem(custodyFile, "does not parse: %v", err)
		return rep, nil
	}
	byName := map[string]custody{}
	for _, e := range cust.Entries {
		// The trail hashes Before and After compacted, as audit.Seal
		// stores them; custody.json is indented for reading.
		e.Before, e.After = compactJSON(e.Before), compactJSON(e.After)
		if sum := e.Sum(); sum != e.Hash {
			rep.problem(fmt.Sprintf("%s entry %d", custodyFile, e.Seq), "hashes to %s, but records %s", sum, e.Hash)
			continue
		}
		var c custody
		if err := json.Unmarshal(e.After, &c); err != nil {
			rep.problem(fmt.Sprintf("%s entry %d", custodyFile, e.Seq), "does not parse: %v", err)
			continue
		}
		byName[path.Base(e.Subject)] = c
	}
	caps, err := fs.ReadDir(zr, capturesDir)
	if err != nil {
		return rep, fmt.Errorf("evidence package: %w", err)
	}
	k := &Keeper{}
	if roots != nil {
		k.TSA = &TSA{Roots: roots}
	}
	for _, c := range caps {
		cu, ok := byName[c.Name()]
		if !ok {
			rep.problem(path.Join(capturesDir, c.Name()), "no custody entry records this capture")
		}
		sub, _ := fs.Sub(zr, path.Join(capturesDir, c.Name()))
		k.verifyCapture(sub, fmt.Sprintf("case-%d/%s", cust.Case, c.Name()), cu, &rep)
	}
	return rep, nil
}

// Prune deletes the captures made before cutoff, auditing each deletion
// with what the capture's custody entry recorded, and returns how many it
// deleted.
func (k *Keeper) Prune(ctx context.Context, cutoff time.Time, actor, source string) (int, error) {
	names, err := k.captureDirs()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, name := range names {
		dir := filepath.Join(k.Dir, filepath.FromSlash(name))
		mb, err := os.ReadFile(filepath.Join(dir, manifestFile))
		if err != nil {
			return n, fmt.Errorf("prune %s: %w", name, err)
		}
		var m Manifest
		if err := json.Unmarshal(mb, &m); err != nil {
			return n, fmt.Errorf("prune %s: manifest: %w", name, err)
		}
		if !m.CreatedAt.Before(cutoff) {
			continue
		}
		before, _ := json.Marshal(map[string]any{"manifest_sha256": sha256Hex(mb), "created_at": m.CreatedAt, "files": m.Files})
		// The entry comes first: a deletion that fails half-way is still on
		// record, and Verify reports the remains.
		if _, err := k.Audit.Append(ctx, audit.Entry{Actor: actor, Source: source, Action: ActionDelete, Subject: name, Before: before}); err != nil {
			return n, fmt.Errorf("audit deletion of %s: %w", name, err)
		}
		if err := os.RemoveAll(dir); err != nil {
			return n, fmt.Errorf("prune %s: %w", name, err)
		}
		n++
	}
	return n, nil
}

type summary struct {
	Custody   Custody
	Manifests []Manifest
}

var summaryTemplate = template.Must(template.New("summary").Funcs(template.FuncMap{
	"utc": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
}).Parse(`<!doctype html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>raqib — case {{.Custody.Case}} evidence / أدلة الحالة {{.Custody.Case}}</title>
<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.2em .4em;text-align:start;vertical-align:top}code{direction:ltr;unicode-bidi:isolate;word-break:break-all}section{margin-bottom:3em}</style>
</head><body>
<section lang="ar" dir="rtl">
<h1>حزمة أدلة الحالة {{.Custody.Case}}</h1>
<p>صُدِّرت في <time dir="ltr">{{utc .Custody.Exported}}</time>. تحوي {{len .Manifests}} التقاطاً. كل ملف مذكور في بيان التقاطه مع بصمته SHA-256، وكل بيان مسجَّل في سجل الحفظ (سجل تدقيق متسلسل البصمات)، وقد يحمل ختماً زمنياً من جهة ختم زمني (RFC 3161).</p>
<p>للتحقق: <code>raqib evidence verify --package هذا-الملف.zip</code>، أو احسب بصمة كل ملف بـ <code>sha256sum</code> وقارنها بالبيان.</p>
</section>
<section lang="en" dir="ltr">
<h1>Evidence package of case {{.Custody.Case}}</h1>
<p>Exported {{utc .Custody.Exported}}. It holds {{len .Manifests}} capture(s). Every file is listed in its capture's manifest with its SHA-256; every manifest is recorded in the custody log (a hash-chained audit trail, head entry {{.Custody.HeadSeq}} <code>{{.Custody.HeadHash}}</code>) and may carry an RFC 3161 timestamp.</p>
<p>To verify: <code>raqib evidence verify --package this-file.zip</code>, or compute each file's <code>sha256sum</code> and compare it with the manifest.</p>
</section>
{{range .Manifests}}<section dir="ltr" lang="en">
<h2><code>{{.Capture}}</code></h2>
<p>Captured / الالتقاط: <time>{{utc .CreatedAt}}</time> — by / بواسطة: <bdi>{{.Actor}}</bdi> — posts / منشورات: {{len .Posts}}{{if .More}} (+){{end}}</p>
<table><tr><th>file / ملف</th><th>SHA-256</th><th>bytes</th></tr>
{{range .Files}}<tr><td>{{.Name}}</td><td><code>{{.SHA256}}</code></td><td>{{.Bytes}}</td></tr>{{end}}</table>
<h3>Records / السجلات</h3>
<table><tr><th>#</th><th>type</th><th>URI</th><th>SHA-256</th></tr>
{{range $i, $r := .Records}}<tr><td>{{$i}}</td><td>{{$r.Type}}</td><td><code>{{$r.URI}}</code></td><td><code>{{$r.SHA256}}</code></td></tr>{{end}}</table>
{{if .Problems}}<h3>Not captured / لم يُلتقط</h3><ul>{{range .Problems}}<li><bdi>{{.}}</bdi></li>{{end}}</ul>{{end}}
</section>{{end}}
<section dir="ltr" lang="en"><h2>Custody log / سجل الحفظ</h2>
<table><tr><th>seq</th><th>at</th><th>actor</th><th>action</th><th>subject</th><th>prev hash</th><th>hash</th></tr>
{{range .Custody.Entries}}<tr><td>{{.Seq}}</td><td>{{utc .At}}</td><td><bdi>{{.Actor}}</bdi></td><td>{{.Action}}</td><td><code>{{.Subject}}</code></td><td><code>{{.PrevHash}}</code></td><td><code>{{.Hash}}</code></td></tr>{{end}}</table>
</section>
</body></html>
`))

// Captures returns the manifests of case caseID's captures, oldest first.
func (k *Keeper) Captures(caseID int64) ([]Manifest, error) {
	dir := filepath.Join(k.Dir, fmt.Sprintf("case-%d", caseID))
	es, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("captures of case %d: %w", caseID, err)
	}
	var out []Manifest
	for _, e := range es {
		if strings.HasPrefix(e.Name(), ".") {
			continue // being written
		}
		mb, err := os.ReadFile(filepath.Join(dir, e.Name(), manifestFile))
		if err != nil {
			return nil, fmt.Errorf("captures of case %d: %w", caseID, err)
		}
		var m Manifest
		if err := json.Unmarshal(mb, &m); err != nil {
			return nil, fmt.Errorf("captures of case %d: %s: %w", caseID, e.Name(), err)
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), timestampFile)); err == nil {
			m.Stamped = true
		}
		out = append(out, m)
	}
	return out, nil
}
