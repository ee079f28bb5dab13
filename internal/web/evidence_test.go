package web

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/evidence"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

func TestEvidencePages(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Hand-made Arabic post.
	p := post.Post{Platform: post.Telegram, Channel: post.Channel{ID: "c"}, ID: "1", Kind: post.Message,
		Text: "باقية وتتمدد", Norm: "باقيه وتتمدد", PostedAt: testNow, CollectedAt: testNow, Raw: []byte(`{"id":1}`),
		Origin: post.Origin{Format: "telegram", File: "x.json"}, Decision: post.Decision{Label: post.Propaganda, Tier: 2, Violating: true}}
	if _, err := st.SavePosts(ctx, []post.Post{p}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ProposeCases(ctx, []post.CaseProposal{{PostKey: p.Key(), Label: post.Propaganda, Tier: 2, Reason: "test", At: testNow}}); err != nil {
		t.Fatal(err)
	}
	k := &evidence.Keeper{Dir: filepath.Join(dir, "evidence"), Posts: st, Audit: st, Now: func() time.Time { return testNow }}
	h := func(role auth.Role) http.Handler {
		return New(Options{Store: st, Evidence: k, Authenticate: as(role), Now: func() time.Time { return testNow }})
	}
	do := func(h http.Handler, method, target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(method, target, nil)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := do(h(auth.Analyst), "GET", "/cases/1/evidence"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "لم تُلتقط أدلة") {
		t.Fatalf("empty evidence page: %d %s", rec.Code, rec.Body)
	}
	if rec := do(h(auth.Auditor), "POST", "/cases/1/evidence"); rec.Code != http.StatusForbidden {
		t.Fatalf("auditor capture: %d", rec.Code)
	}
	if rec := do(h(auth.Analyst), "POST", "/cases/1/evidence"); rec.Code != http.StatusSeeOther {
		t.Fatalf("capture: %d %s", rec.Code, rec.Body)
	}
	rec := do(h(auth.Analyst), "GET", "/cases/1/evidence?lang=en")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "case-1/") || !strings.Contains(rec.Body.String(), "not stamped") {
		t.Fatalf("evidence page after capture: %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("evidence page Cache-Control %q", rec.Header().Get("Cache-Control"))
	}
	zipRec := do(h(auth.Auditor), "GET", "/cases/1/evidence.zip")
	if zipRec.Code != 200 || zipRec.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s", zipRec.Code, zipRec.Header())
	}
	b := zipRec.Body.Bytes()
	if rep, err := evidence.VerifyPackage(bytes.NewReader(b), int64(len(b)), nil); err != nil || rep.Err() != nil {
		t.Fatalf("downloaded package: %v %v", err, rep.Err())
	}
	es, _ := st.AuditEntries(ctx, store.AuditFilter{})
	if len(es) != 2 || es[0].Actor != "test-analyst" || es[1].Action != evidence.ActionExport || es[1].Actor != "test-auditor" {
		t.Fatalf("audit entries %+v", es)
	}
	if rec := do(h(auth.Analyst), "GET", "/cases/x/evidence"); rec.Code != http.StatusBadRequest {
		t.Fatalf("bad case id: %d", rec.Code)
	}
}
