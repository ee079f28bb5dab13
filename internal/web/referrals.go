package web

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/raqib-project/raqib/internal/act/referral"
	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// errNoReferrals answers referral requests when referrals are off.
var errNoReferrals = fmt.Errorf("referrals are not configured (--referrals): %w", store.ErrNotFound)

// referralStatuses are the filters of the referrals page, in the order a
// referral passes them.
var referralStatuses = []store.ReferralStatus{store.ReferralAwaiting, store.ReferralQueued, store.ReferralManual, store.ReferralSent, store.ReferralFailed}

// referralsPage is the data of the referrals list.
type referralsPage struct {
	*page
	Off        bool
	Status     store.ReferralStatus
	Statuses   []store.ReferralStatus
	Referrals  []store.Referral
	Confirmed  []post.Case // confirmed cases not referred yet
	CanDecide  bool
	CanApprove bool
	Approval   bool
}

// referralPage is the data of one referral.
type referralPage struct {
	*page
	R          store.Referral
	Replies    []store.ReferralReply
	Texts      []referralText
	FormURL    string
	CanDecide  bool
	CanApprove bool
}

// referralText is a referral's message in one language, to copy into a
// platform's form.
type referralText struct {
	Lang, Dir, Text string
}

func can(r *http.Request, perm auth.Permission) bool {
	p, ok := auth.FromContext(r.Context())
	return ok && p.Can(perm)
}

// referralActor is who a request acts as, for the audit trail.
func referralActor(r *http.Request) referral.Actor {
	p, _ := auth.FromContext(r.Context())
	return referral.Actor{User: p.User, Source: "web:" + r.RemoteAddr}
}

func (s *server) referralStore() (referral.Store, bool) {
	if s.Referrals == nil {
		return nil, false
	}
	rs, ok := s.Store.(referral.Store)
	return rs, ok
}

func (s *server) handleReferrals(w http.ResponseWriter, r *http.Request) {
	rp := referralsPage{page: s.newPage(w, r), Statuses: referralStatuses, CanDecide: can(r, auth.Decide), CanApprove: can(r, auth.Approve)}
	rp.Title = rp.T("ref.title")
	rst, ok := s.referralStore()
	if !ok {
		rp.Off = true
		s.render(w, "referrals", "base", http.StatusOK, rp)
		return
	}
	rp.Status = store.ReferralStatus(r.URL.Query().Get("status"))
	if rp.Status != "" && !slices.Contains(referralStatuses, rp.Status) {
		s.pageError(w, r, fmt.Errorf("%w: status %q", errBadParam, rp.Status))
		return
	}
	var err error
	if rp.Referrals, err = rst.ListReferrals(r.Context(), store.ReferralFilter{Status: rp.Status, Limit: 200}); err != nil {
		s.pageError(w, r, err)
		return
	}
	if rp.Confirmed, err = s.Store.Cases(r.Context(), post.CaseConfirmed, 100); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, "referrals", "base", http.StatusOK, rp)
}

func (s *server) handleReferral(w http.ResponseWriter, r *http.Request) {
	rst, ok := s.referralStore()
	if !ok {
		s.pageError(w, r, errNoReferrals)
		return
	}
	id, err := pathID(r, "referral")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	ref, replies, err := rst.Referral(r.Context(), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	rp := referralPage{page: s.newPage(w, r), R: ref, Replies: replies, CanDecide: can(r, auth.Decide), CanApprove: can(r, auth.Approve)}
	rp.Title = fmt.Sprintf("%s %d", rp.T("ref.one"), id)
	cfg := s.Referrals.Config()
	for _, lang := range []string{"ar", "en"} {
		dir := "rtl"
		if lang == "en" {
			dir = "ltr"
		}
		rp.Texts = append(rp.Texts, referralText{Lang: lang, Dir: dir, Text: cfg.Render(ref, lang)})
	}
	if t, ok := cfg.Target(ref.Target); ok && t.Bundle != nil {
		rp.FormURL = t.Bundle.FormURL
	}
	s.render(w, "referral", "base", http.StatusOK, rp)
}

// referralError answers a failed referral action: refusals the analyst
// can act on are shown with their reason.
func (s *server) referralError(w http.ResponseWriter, r *http.Request, err error) {
	status := 0
	switch {
	case errors.Is(err, store.ErrSelfApproval):
		status = http.StatusForbidden
	case errors.Is(err, store.ErrNotConfirmed), errors.Is(err, store.ErrReferralState), errors.Is(err, referral.ErrNothingToRefer):
		status = http.StatusConflict
	default:
		s.pageError(w, r, err)
		return
	}
	p := s.newPage(w, r)
	p.Title = p.RefWord("refused")
	s.render(w, "error", "base", status, errorPage{page: p, Status: status, Message: err.Error()})
}

// pathID reads the number that is the id of the request's path, of what
// (a case, referral, link or bank entry).
func pathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s id %q: want a number", errBadParam, what, r.PathValue("id"))
	}
	return id, nil
}

// referralAction runs act on the case or referral (what) of the
// request's path, then sends the browser to next(id).
func (s *server) referralAction(what string, next func(id int64) string, act func(r *http.Request, id int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.referralStore(); !ok {
			s.pageError(w, r, errNoReferrals)
			return
		}
		id, err := pathID(r, what)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		if err := act(r, id); err != nil {
			s.referralError(w, r, err)
			return
		}
		http.Redirect(w, r, next(id), http.StatusSeeOther)
	}
}

func toList(int64) string { return "/referrals" }

func toReferral(id int64) string { return "/referrals/" + strconv.FormatInt(id, 10) }

// handleRefer turns a confirmed case into referrals.
func (s *server) handleRefer(w http.ResponseWriter, r *http.Request) {
	s.referralAction("case", toList, func(r *http.Request, id int64) error {
		_, err := s.Referrals.FromCaseID(r.Context(), id, referralActor(r))
		return err
	})(w, r)
}

func (s *server) handleReferralApprove(w http.ResponseWriter, r *http.Request) {
	s.referralAction("referral", toReferral, func(r *http.Request, id int64) error {
		_, err := s.Referrals.Approve(r.Context(), id, referralActor(r))
		return err
	})(w, r)
}

func (s *server) handleReferralSubmit(w http.ResponseWriter, r *http.Request) {
	s.referralAction("referral", toReferral, func(r *http.Request, id int64) error {
		_, err := s.Referrals.Submit(r.Context(), id, referralActor(r), strings.TrimSpace(r.PostFormValue("ticket")))
		return err
	})(w, r)
}

func (s *server) handleReferralReply(w http.ResponseWriter, r *http.Request) {
	s.referralAction("referral", toReferral, func(r *http.Request, id int64) error {
		ticket, text := strings.TrimSpace(r.PostFormValue("ticket")), strings.TrimSpace(r.PostFormValue("text"))
		if ticket == "" && text == "" {
			return fmt.Errorf("%w: a ticket or a reply is required", errBadParam)
		}
		return s.Referrals.Reply(r.Context(), id, referralActor(r), "ui", ticket, text)
	})(w, r)
}

// handleReferralBundle serves the referrals waiting for a web form as CSV,
// one row per item with its message in both languages.
func (s *server) handleReferralBundle(w http.ResponseWriter, r *http.Request) {
	rst, ok := s.referralStore()
	if !ok {
		s.pageError(w, r, errNoReferrals)
		return
	}
	rs, err := rst.ListReferrals(r.Context(), store.ReferralFilter{Status: store.ReferralManual, Target: r.URL.Query().Get("target"), Limit: 1000})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="referrals.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "case", "target", "url", "label", "tier", "entity", "evidence_sha256", "text_ar", "text_en"})
	cfg := s.Referrals.Config()
	for _, ref := range rs {
		cw.Write([]string{strconv.FormatInt(ref.ID, 10), strconv.FormatInt(ref.CaseID, 10), ref.Target, csvSafe(ref.URL), string(ref.Label),
			strconv.Itoa(int(ref.Tier)), ref.Entity, ref.EvidenceHash, csvSafe(cfg.Render(ref, "ar")), csvSafe(cfg.Render(ref, "en"))})
	}
	cw.Flush()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
