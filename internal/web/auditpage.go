package web

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

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
	FullAt       time.Time // when the trail last verified from its first entry
	Broken       string    // why the chain does not verify; empty when it does
	NextURL      string
}

// fullCheckEvery bounds how long a change inside the already verified part
// of the trail can go unseen on the page; `raqib audit verify` always
// checks all of it.
const fullCheckEvery = 10 * time.Minute

// auditBatch is how many entries an incremental check reads at a time.
const auditBatch = 1000

// chainCheck remembers how far the trail verified, so that a view of the
// audit page checks what was appended since instead of the whole trail,
// which every page read makes longer (about 10 µs an entry on SQLite).
type chainCheck struct {
	mu       sync.Mutex
	verified audit.Result
	fullAt   time.Time // zero until a full check passes, and after one fails
}

// check verifies the trail from its start when asked, when it never did or
// when the last full check is older than fullCheckEvery; else from where
// it verified before.
func (c *chainCheck) check(ctx context.Context, st store.Auditor, full bool, now time.Time) (audit.Result, time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if full || c.fullAt.IsZero() || now.Sub(c.fullAt) >= fullCheckEvery {
		r, err := audit.Verify(st.AuditLog(ctx))
		if err != nil {
			c.fullAt = time.Time{}
			return r, time.Time{}, err
		}
		c.verified, c.fullAt = r, now
		return r, now, nil
	}
	r, err := audit.VerifyFrom(c.verified, entriesAfter(ctx, st, c.verified.Entries))
	if err == nil {
		c.verified = r
	}
	return r, c.fullAt, err
}

// entriesAfter yields the entries after seq, a batch at a time.
func entriesAfter(ctx context.Context, st store.Auditor, seq int64) iter.Seq2[audit.Entry, error] {
	return func(yield func(audit.Entry, error) bool) {
		for {
			es, err := st.AuditEntries(ctx, store.AuditFilter{After: seq, Limit: auditBatch})
			if err != nil {
				yield(audit.Entry{}, err)
				return
			}
			for _, e := range es {
				if !yield(e, nil) {
					return
				}
			}
			if len(es) < auditBatch {
				return
			}
			seq = es[len(es)-1].Seq
		}
	}
}

// handleAudit lists audit entries, filtered by actor and time, with the
// chain's verification (see chainCheck; ?verify=full checks it all now).
// Without filters it opens on the newest entries.
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
	ap.Verified, ap.FullAt, err = s.chain.check(ctx, s.Store, v.Get("verify") == "full", s.Now())
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
