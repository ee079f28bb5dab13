package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/store"
)

// auditPageSize is how many entries the audit page shows at a time.
const auditPageSize = 100

// auditPage is the data of the audit trail page.
type auditPage struct {
	*page
	Actor, Since string
	Entries      []audit.Entry
	Verified     audit.Result
	Broken       string // why the chain does not verify; empty when it does
	NextURL      string
}

// handleAudit lists audit entries, filtered by actor and time, and
// verifies the whole chain on every view, so the auditor sees at once
// whether anything was changed. Without filters it opens on the newest
// entries.
func (s *server) handleAudit(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	ap := auditPage{page: s.newPage(w, r), Actor: v.Get("actor"), Since: v.Get("since")}
	ap.Title = ap.T("audit.title")
	since, err := audit.ParseSince(ap.Since, s.Now())
	if err != nil {
		s.pageError(w, r, fmt.Errorf("%w since: %w", errBadParam, err))
		return
	}
	after, err := intParam(v, "after", -1, 1<<62)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx := r.Context()
	ap.Verified, err = audit.Verify(s.Store.AuditLog(ctx))
	if be := (*audit.BrokenError)(nil); errors.As(err, &be) {
		ap.Broken = be.Error()
	} else if err != nil {
		s.pageError(w, r, err)
		return
	}
	if after < 0 {
		after = 0
		if ap.Actor == "" && since.IsZero() && ap.Broken == "" {
			after = int(max(0, ap.Verified.Entries-auditPageSize))
		}
	}
	ap.Entries, err = s.Store.AuditEntries(ctx, store.AuditFilter{Actor: ap.Actor, Since: since, After: int64(after), Limit: auditPageSize})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if len(ap.Entries) == auditPageSize {
		q := url.Values{"after": {strconv.FormatInt(ap.Entries[len(ap.Entries)-1].Seq, 10)}}
		for _, k := range []string{"actor", "since"} {
			if v.Get(k) != "" {
				q.Set(k, v.Get(k))
			}
		}
		ap.NextURL = "/audit?" + q.Encode()
	}
	s.render(w, "audit", "base", http.StatusOK, ap)
}
