package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

var testNow = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// fixture stores two recycled posts of one case (hand-made text), one
// with a kept image and both with a live page on a local server.
type fixture struct {
	st     *sqlite.Store
	keeper *Keeper
	caseID int64
	pages  *httptest.Server
}

func newFixture(t *testing.T, withTSA bool) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pages := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<html><body><p>باقية وتتمدد</p></body></html>")
	}))
	t.Cleanup(pages.Close)
	mediaDir := filepath.Join(dir, "media")
	img := []byte("\x89PNG\r\n\x1a\n hand-made test bytes")
	imgSum := sha256Hex(img)
	os.MkdirAll(filepath.Dir(post.MediaPath(mediaDir, imgSum)), 0o700)
	os.WriteFile(post.MediaPath(mediaDir, imgSum), img, 0o600)

	var ps []post.Post
	for i, path := range []string{"/p/1", "/p/2"} {
		p := post.Post{
			Platform: post.Telegram, Channel: post.Channel{ID: "bayan"}, ID: string(rune('1' + i)),
			Kind: post.Message, Text: "باقية وتتمدد", Norm: "باقيه وتتمدد",
			PostedAt: testNow.Add(-time.Hour), CollectedAt: testNow, URL: pages.URL + path,
			Raw:      []byte(`{"id":` + string(rune('1'+i)) + `,"text":"باقية وتتمدد"}`),
			Origin:   post.Origin{Format: "telegram", File: "exports/bayan/result.json"},
			Decision: post.Decision{Label: post.Propaganda, Tier: 2, Violating: true, Score: 0.9},
		}
		if i == 0 {
			p.Media = []post.Media{{Kind: "photo", MIME: "image/png", Hashes: []post.Hash{{Type: "sha256", Value: imgSum}}}}
		}
		ps = append(ps, p)
	}
	if _, err := st.SavePosts(ctx, ps); err != nil {
		t.Fatal(err)
	}
	var props []post.CaseProposal
	for _, p := range ps {
		props = append(props, post.CaseProposal{PostKey: p.Key(), Label: post.Propaganda, Tier: 2, Score: 0.9,
			Reason: "test", Group: post.RecycledGroup(ps[0].Key()), At: testNow})
	}
	if _, err := st.ProposeCases(ctx, props); err != nil {
		t.Fatal(err)
	}
	cs, err := st.Cases(ctx, "", 10)
	if err != nil || len(cs) != 1 {
		t.Fatalf("cases %v, %v", cs, err)
	}
	k := &Keeper{Dir: filepath.Join(dir, "evidence"), MediaDir: mediaDir, Posts: st, Audit: st, Fetch: allowLoopback,
		Version: "test", Now: func() time.Time { return testNow }}
	if withTSA {
		local := startTSA(t)
		k.TSA = &TSA{URL: local.URL, Fetch: allowLoopback, Roots: local.Roots}
	}
	return &fixture{st: st, keeper: k, caseID: cs[0].ID, pages: pages}
}

func TestCaptureVerifyExport(t *testing.T) {
	f := newFixture(t, true)
	ctx := context.Background()
	m, err := f.keeper.Capture(ctx, f.caseID, "amina", "cli")
	if err != nil {
		t.Fatal(err)
	}
	// warcinfo; per post raw, post and request+response; one image.
	wantTypes := map[string]int{WARCInfo: 1, WARCResource: 3, WARCMetadata: 2, WARCRequest: 2, WARCResponse: 2}
	got := map[string]int{}
	for _, r := range m.Records {
		got[r.Type]++
	}
	for typ, n := range wantTypes {
		if got[typ] != n {
			t.Errorf("%d %s records, want %d (%+v)", got[typ], typ, n, m.Records)
		}
	}
	if len(m.Posts) != 2 || len(m.Problems) != 0 {
		t.Fatalf("manifest posts %v problems %v", m.Posts, m.Problems)
	}
	rep, err := f.keeper.Verify(ctx)
	if err != nil || rep.Err() != nil {
		t.Fatalf("Verify: %v %v", err, rep.Err())
	}
	if rep.Captures != 1 || rep.Records != len(m.Records) || rep.Timestamps != 1 || rep.AuditEntries != 1 {
		t.Fatalf("report %+v", rep)
	}
	// Entries of a case whose number starts the same, and of other
	// actions on this case, stay out of its custody.
	for _, e := range []audit.Entry{
		{Actor: "amina", Action: ActionCapture, Subject: fmt.Sprintf("case-%d0/20260301T090000Z", f.caseID)},
		{Actor: "amina", Action: "post.read", Subject: fmt.Sprintf("case-%d/", f.caseID)},
	} {
		if _, err := f.st.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	var pkg bytes.Buffer
	if err := f.keeper.Export(ctx, f.caseID, &pkg, "amina", "cli"); err != nil {
		t.Fatal(err)
	}
	var cust Custody
	if zr, err := zip.NewReader(bytes.NewReader(pkg.Bytes()), int64(pkg.Len())); err != nil {
		t.Fatal(err)
	} else if cf, err := zr.Open(custodyFile); err != nil {
		t.Fatal(err)
	} else if err := json.NewDecoder(cf).Decode(&cust); err != nil {
		t.Fatal(err)
	}
	if len(cust.Entries) != 1 || cust.Entries[0].Action != ActionCapture || cust.HeadSeq != 3 {
		t.Errorf("custody holds %d entries, head %d; want the one capture, head 3", len(cust.Entries), cust.HeadSeq)
	}
	prep, err := VerifyPackage(bytes.NewReader(pkg.Bytes()), int64(pkg.Len()), f.keeper.TSA.Roots)
	if err != nil || prep.Err() != nil || prep.Files != 1 || prep.Timestamps != 1 {
		t.Fatalf("VerifyPackage: %+v %v %v", prep, err, prep.Err())
	}
	zr, _ := zip.NewReader(bytes.NewReader(pkg.Bytes()), int64(pkg.Len()))
	summary, _ := zr.Open(summaryFile)
	sb, _ := io.ReadAll(summary)
	for _, want := range []string{"حزمة أدلة الحالة", "Evidence package of case", m.Files[0].SHA256, "amina"} {
		if !bytes.Contains(sb, []byte(want)) {
			t.Errorf("summary lacks %q", want)
		}
	}
	entries, _ := f.st.AuditEntries(ctx, store.AuditFilter{})
	if len(entries) != 4 || entries[3].Action != ActionExport {
		t.Fatalf("audit entries %+v, want capture, the two others, then export", entries)
	}

	t.Run("flipped byte in the package", func(t *testing.T) {
		for _, name := range []string{"warc", "manifest", "tsr", "custody"} {
			t.Run(name, func(t *testing.T) {
				bad := rewriteZip(t, pkg.Bytes(), func(n string, b []byte) []byte {
					if strings.Contains(n, name) || (name == "warc" && strings.HasSuffix(n, ".gz")) {
						b = bytes.Clone(b)
						b[len(b)/2] ^= 0x01
					}
					return b
				})
				rep, err := VerifyPackage(bytes.NewReader(bad), int64(len(bad)), f.keeper.TSA.Roots)
				if err != nil && name != "custody" {
					t.Fatal(err)
				}
				if err == nil && rep.Err() == nil {
					t.Fatalf("a flipped byte in the %s passed", name)
				}
			})
		}
	})
}

// TestVerifyNamesTampering flips one byte in each kind of stored evidence
// and checks that Verify fails and names the file or entry.
func TestVerifyNamesTampering(t *testing.T) {
	tests := []struct {
		name  string
		file  string // flipped in the capture directory
		entry bool   // an audit entry changed instead
		where string // what the problem must name
	}{
		{name: "warc", file: warcFile, where: warcFile},
		{name: "manifest", file: manifestFile, where: manifestFile},
		{name: "timestamp", file: timestampFile, where: timestampFile},
		{name: "custody entry", entry: true, where: "audit entry 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, true)
			ctx := context.Background()
			m, err := f.keeper.Capture(ctx, f.caseID, "amina", "cli")
			if err != nil {
				t.Fatal(err)
			}
			if tt.entry {
				f.keeper.Audit = tamperedAuditor{Auditor: f.st, seq: 1}
			} else {
				p := filepath.Join(f.keeper.Dir, filepath.FromSlash(m.Capture), tt.file)
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				b[len(b)/3] ^= 0x01
				os.Chmod(p, 0o600)
				if err := os.WriteFile(p, b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := f.keeper.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(rep.Err(), ErrTampered) || !strings.Contains(rep.Err().Error(), tt.where) {
				t.Fatalf("Verify = %v, want a problem naming %s", rep.Err(), tt.where)
			}
		})
	}
}

// tamperedAuditor changes the actor of one entry as it is read: what an
// edit of the stored trail looks like to Verify.
type tamperedAuditor struct {
	store.Auditor
	seq int64
}

func (a tamperedAuditor) AuditLog(ctx context.Context) iter.Seq2[audit.Entry, error] {
	return func(yield func(audit.Entry, error) bool) {
		for e, err := range a.Auditor.AuditLog(ctx) {
			if e.Seq == a.seq {
				e.Actor += "x"
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

func TestCaptureWithoutTSAAndDeadPage(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	// A page that is gone is captured as it answers (404): that is the
	// evidence of its state.
	f.keeper.Fetch = nil
	m, err := f.keeper.Capture(ctx, f.caseID, "amina", "cli")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range m.Records {
		if r.Type == WARCResponse {
			t.Fatalf("page captured without a fetcher: %+v", r)
		}
	}
	if _, err := f.keeper.Capture(ctx, 999, "amina", "cli"); err == nil {
		t.Fatal("capture of a case that does not exist succeeded")
	}
	rep, err := f.keeper.Verify(ctx)
	if err != nil || rep.Err() != nil || rep.Timestamps != 0 {
		t.Fatalf("Verify: %+v %v", rep, err)
	}
}

func TestPrune(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	if _, err := f.keeper.Capture(ctx, f.caseID, "amina", "cli"); err != nil {
		t.Fatal(err)
	}
	if n, err := f.keeper.Prune(ctx, testNow.Add(-time.Hour), "admin", "cli"); err != nil || n != 0 {
		t.Fatalf("Prune before the capture = %d, %v", n, err)
	}
	if n, err := f.keeper.Prune(ctx, testNow.Add(time.Hour), "admin", "cli"); err != nil || n != 1 {
		t.Fatalf("Prune after the capture = %d, %v", n, err)
	}
	rep, err := f.keeper.Verify(ctx)
	if err != nil || rep.Err() != nil || rep.Captures != 0 {
		t.Fatalf("Verify after prune: %+v %v", rep, err)
	}
	entries, _ := f.st.AuditEntries(ctx, store.AuditFilter{})
	if len(entries) != 2 || entries[1].Action != ActionDelete || entries[1].Actor != "admin" {
		t.Fatalf("audit entries %+v, want capture then delete", entries)
	}
	var out bytes.Buffer
	if err := f.keeper.Export(ctx, f.caseID, &out, "amina", "cli"); !errors.Is(err, ErrNoEvidence) {
		t.Fatalf("Export after prune = %v, want ErrNoEvidence", err)
	}
}

func rewriteZip(t *testing.T, in []byte, change func(name string, b []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		w, _ := zw.Create(f.Name)
		w.Write(change(f.Name, b))
	}
	zw.Close()
	return out.Bytes()
}

func FuzzReadWARC(f *testing.F) {
	var seed bytes.Buffer
	ww := &warcWriter{w: &seed}
	ww.Write(&Record{Type: WARCResource, TargetURI: "urn:x", Date: testNow, Block: []byte("hello")})
	ww.Write(&Record{Type: WARCMetadata, TargetURI: "urn:y", Date: testNow, Block: []byte("{}")})
	f.Add(seed.Bytes())
	f.Add([]byte{})
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := ReadWARC(bytes.NewReader(b))
		for _, r := range recs {
			if warcDigest(r.Block) != r.BlockDigest {
				t.Fatalf("record with a wrong digest returned (err %v)", err)
			}
		}
	})
}
