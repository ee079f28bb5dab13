package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/evidence"
	"github.com/raqib-project/raqib/internal/store"
)

// Evidence is what the evidence pages need of evidence.Keeper.
type Evidence interface {
	Captures(caseID int64) ([]evidence.Manifest, error)
	Capture(ctx context.Context, caseID int64, actor, source string) (evidence.Manifest, error)
	Export(ctx context.Context, caseID int64, w io.Writer, actor, source string) error
}

var evidenceMessages = map[string][2]string{
	"evidence.title":    {"أدلة الحالة %d", "Evidence of case %d"},
	"evidence.none":     {"لم تُلتقط أدلة لهذه الحالة بعد.", "No evidence has been captured for this case yet."},
	"evidence.capture":  {"التقاط الآن", "Capture now"},
	"evidence.export":   {"تنزيل حزمة الأدلة (zip)", "Download the evidence package (zip)"},
	"evidence.captured": {"الالتقاط", "Capture"},
	"evidence.by":       {"بواسطة", "By"},
	"evidence.records":  {"سجلات WARC", "WARC records"},
	"evidence.sha":      {"بصمة SHA-256 للأرشيف", "Archive SHA-256"},
	"evidence.stamped":  {"ختم زمني", "Timestamp"},
	"evidence.yes":      {"مختوم", "stamped"},
	"evidence.no":       {"غير مختوم", "not stamped"},
	"evidence.problems": {"لم يُلتقط", "Not captured"},
	"evidence.note":     {"كل التقاط يُسجَّل في سجل التدقيق، وكل تنزيل كذلك.", "Every capture and every download is recorded in the audit trail."},
}

type evidencePage struct {
	*page
	Case     int64
	Captures []evidence.Manifest
	CanAct   bool
}

func caseParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("%w case=%q: want a case number", errBadParam, r.PathValue("id"))
	}
	return id, nil
}

// evidenceCase reads the case number of an evidence route, answering the
// request itself when it is bad or the server keeps no evidence.
func (s *server) evidenceCase(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := caseParam(r)
	if err == nil && s.Evidence == nil {
		err = fmt.Errorf("evidence: %w", store.ErrNotFound)
	}
	if err != nil {
		s.pageError(w, r, err)
		return 0, false
	}
	return id, true
}

func (s *server) handleEvidence(w http.ResponseWriter, r *http.Request) {
	id, ok := s.evidenceCase(w, r)
	if !ok {
		return
	}
	caps, err := s.Evidence.Captures(id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p, _ := auth.FromContext(r.Context())
	ep := evidencePage{page: s.newPage(w, r), Case: id, Captures: caps, CanAct: p.Can(auth.Decide)}
	ep.Title = fmt.Sprintf(ep.T("evidence.title"), id)
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, "evidence", "base", http.StatusOK, ep)
}

func (s *server) handleEvidenceCapture(w http.ResponseWriter, r *http.Request) {
	id, ok := s.evidenceCase(w, r)
	if !ok {
		return
	}
	p, _ := auth.FromContext(r.Context())
	if _, err := s.Evidence.Capture(r.Context(), id, p.User, s.clientIP(r)); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/cases/%d/evidence", id), http.StatusSeeOther)
}

func (s *server) handleEvidenceExport(w http.ResponseWriter, r *http.Request) {
	id, ok := s.evidenceCase(w, r)
	if !ok {
		return
	}
	p, _ := auth.FromContext(r.Context())
	// The package is built in memory first: a failure must be an error
	// page, not half a zip.
	var buf bytes.Buffer
	if err := s.Evidence.Export(r.Context(), id, &buf, p.User, s.clientIP(r)); err != nil {
		s.pageError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="raqib-case-%d-evidence.zip"`, id))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
