package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/review"
	"github.com/raqib-project/raqib/internal/store"
)

// casePostsPerPage is how many posts of a group case the case page shows
// at a time.
const casePostsPerPage = 20

// queueCountMax is the most cases a queue's tab counts; more shows as
// "1000+".
const queueCountMax = 1000

// queuePerPage is how many cases a queue page lists.
const queuePerPage = 50

// bulkMax is the most posts a bulk search reads, and so the most cases one
// bulk action takes.
const bulkMax = 1000

// errNoReviews answers a review route on a store that keeps no review
// state.
var errNoReviews = fmt.Errorf("%w: %w", store.ErrNotFound, review.ErrNoReviews)

// actor is who a request acts as, for events and the audit trail.
func actor(r *http.Request) review.Actor {
	p, _ := auth.FromContext(r.Context())
	return review.Actor{Principal: p, From: r.RemoteAddr}
}

// caseRow is a case in a queue with its place and deadline.
type caseRow struct {
	post.Case
	Pos     int // 1-based place in the queue
	URL     string
	Due     time.Time
	Overdue bool
}

// queueTab is one queue's tab.
type queueTab struct {
	Queue  store.Queue
	Count  int64
	More   bool // there are more than Count
	Active bool
}

// queuePage is the data of the review queues.
type queuePage struct {
	*page
	Queue            store.Queue
	Tabs             []queueTab
	Rows             []caseRow
	From, To         int
	PrevURL, NextURL string
}

// queueOf reads the queue a request names, unassigned by default.
func queueOf(v url.Values) (store.Queue, error) {
	q := store.Queue(v.Get("queue"))
	if q == "" {
		return store.QueueUnassigned, nil
	}
	for _, k := range store.Queues {
		if k == q {
			return q, nil
		}
	}
	return q, fmt.Errorf("%w queue=%q: want one of %v", errBadParam, q, store.Queues)
}

// offsetOf reads a non-negative whole number parameter.
func offsetOf(v url.Values, name string) (int, error) {
	raw := v.Get(name)
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w %s=%q: want a whole number from 0", errBadParam, name, raw)
	}
	return n, nil
}

// caseURL links a case page, remembering where in which queue it was, so
// that the review loop can go on to the next one.
func caseURL(id int64, q store.Queue, i int) string {
	u := "/cases/" + strconv.FormatInt(id, 10)
	if q != "" {
		u += "?" + url.Values{"queue": {string(q)}, "i": {strconv.Itoa(i)}}.Encode()
	}
	return u
}

func (s *server) row(c post.Case, q store.Queue, i int) caseRow {
	r := caseRow{Case: c, Pos: i + 1, URL: caseURL(c.ID, q, i), Due: s.SLA.Due(c)}
	r.Overdue = !r.Due.IsZero() && c.Status == post.CaseOpen && s.Now().After(r.Due)
	return r
}

func (s *server) handleQueue(w http.ResponseWriter, r *http.Request) {
	if s.Review == nil {
		s.pageError(w, r, errNoReviews)
		return
	}
	v := r.URL.Query()
	q, err := queueOf(v)
	off, err2 := offsetOf(v, "offset")
	if err = errors.Join(err, err2); err != nil {
		s.pageError(w, r, err)
		return
	}
	me := actor(r).User
	st := s.Review.Store()
	counts, err := st.QueueCounts(r.Context(), me, queueCountMax)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	cs, err := st.Queue(r.Context(), store.QueueQuery{Queue: q, User: me, Offset: off, Limit: queuePerPage + 1})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	qp := queuePage{page: s.newPage(w, r), Queue: q}
	qp.Title = qp.T("cases.title")
	for _, k := range store.Queues {
		qp.Tabs = append(qp.Tabs, queueTab{Queue: k, Count: counts[k], More: counts[k] >= queueCountMax, Active: k == q})
	}
	if len(cs) > queuePerPage {
		cs = cs[:queuePerPage]
		qp.NextURL = queuePageURL(q, off+queuePerPage)
	}
	if off > 0 {
		qp.PrevURL = queuePageURL(q, max(off-queuePerPage, 0))
	}
	for i, c := range cs {
		qp.Rows = append(qp.Rows, s.row(c, q, off+i))
	}
	if len(cs) > 0 {
		qp.From, qp.To = off+1, off+len(cs)
	}
	noStore(w)
	s.render(w, "queue", "base", http.StatusOK, qp)
}

func queuePageURL(q store.Queue, off int) string {
	v := url.Values{"queue": {string(q)}}
	if off > 0 {
		v.Set("offset", strconv.Itoa(off))
	}
	return "/cases?" + v.Encode()
}

// noStore keeps pages with case data out of caches.
func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

// casePost is one post on a case page.
type casePost struct {
	post.Post
	Key    string
	Norm   []segment
	Images []keptImage
}

// casePage is the data of a case page.
type casePage struct {
	*page
	Row         caseRow
	Posts       []casePost
	Missing     []string // keys of posts the store no longer has
	PostsFrom   int
	PostsPrev   string
	PostsNext   string
	Events      []post.CaseEvent
	Queue       store.Queue
	Index       int
	NextURL     string // the next case of the queue, for the review loop
	PrevURL     string
	CanDecide   bool
	CanApprove  bool
	HasEvidence bool
	Me          string
}

// First is the case's first post shown, for the account and channel
// context; nil when none is stored.
func (p casePage) First() *casePost {
	if len(p.Posts) == 0 {
		return nil
	}
	return &p.Posts[0]
}

// PostsTo is the place of the last post shown.
func (p casePage) PostsTo() int { return p.PostsFrom + len(p.Posts) + len(p.Missing) - 1 }

// Dismissals lists the dismissal reasons for the dismiss form.
func (p casePage) Dismissals() []post.Dismissal { return post.Dismissals }

// Violating lists the labels a confirmation may give.
func (p casePage) Violating() []post.Label {
	var out []post.Label
	for _, l := range post.Labels {
		if l.Violating() {
			out = append(out, l)
		}
	}
	return out
}

// pageCaseID reads the case id of a review page's path; without a review
// service or a number it answers with the error page and false.
func (s *server) pageCaseID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	if s.Review == nil {
		s.pageError(w, r, errNoReviews)
		return 0, false
	}
	id, err := pathID(r, "case")
	if err != nil {
		s.pageError(w, r, err)
		return 0, false
	}
	return id, true
}

func (s *server) handleCase(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pageCaseID(w, r)
	if !ok {
		return
	}
	v := r.URL.Query()
	q, err := queueOf(v)
	off, err2 := offsetOf(v, "posts")
	idx, err3 := offsetOf(v, "i")
	if err = errors.Join(err, err2, err3); err != nil {
		s.pageError(w, r, err)
		return
	}
	if v.Get("queue") == "" {
		q = ""
	}
	ctx := r.Context()
	st := s.Review.Store()
	c, err := st.Case(ctx, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	who := actor(r)
	if err := s.Review.Read(ctx, who, c); err != nil {
		s.pageError(w, r, err)
		return
	}
	cp := casePage{page: s.newPage(w, r), Row: s.row(c, "", 0), Queue: q, Index: idx, PostsFrom: off + 1,
		CanDecide: who.Can(auth.Decide), CanApprove: who.Can(auth.Approve), HasEvidence: s.Evidence != nil, Me: who.User}
	cp.Title = fmt.Sprintf("%s %d", cp.T("case.title"), c.ID)
	keys, err := st.CasePostsPage(ctx, id, off, casePostsPerPage+1)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if len(keys) > casePostsPerPage {
		keys = keys[:casePostsPerPage]
		cp.PostsNext = withParam(r.URL, "posts", off+casePostsPerPage)
	}
	if off > 0 {
		cp.PostsPrev = withParam(r.URL, "posts", max(off-casePostsPerPage, 0))
	}
	for _, k := range keys {
		p, _, err := s.Store.Post(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			cp.Missing = append(cp.Missing, k)
			continue
		}
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		cp.Posts = append(cp.Posts, s.casePost(p))
	}
	if cp.Events, err = st.CaseEvents(ctx, id, maxPageSize); err != nil {
		s.pageError(w, r, err)
		return
	}
	if q != "" {
		cp.NextURL = s.queueURLAt(r, q, who.User, idx+1, id)
		if idx > 0 {
			cp.PrevURL = s.queueURLAt(r, q, who.User, idx-1, id)
		}
	}
	noStore(w)
	s.render(w, "case", "base", http.StatusOK, cp)
}

// casePost prepares a post for the case page.
func (s *server) casePost(p post.Post) casePost {
	cp := casePost{Post: p, Key: p.Key()}
	cp.Norm, _ = highlight(p.Norm, textSignals(&p))
	if s.MediaDir != "" {
		for _, m := range p.Media {
			if sum := m.Hash("sha256"); sum != "" && (m.Kind == "photo" || strings.HasPrefix(m.MIME, "image/")) {
				cp.Images = append(cp.Images, s.keptImage(&p, sum))
			}
		}
	}
	return cp
}

// withParam is u with one query parameter set to n.
func withParam(u *url.URL, name string, n int) string {
	v := u.Query()
	v.Set(name, strconv.Itoa(n))
	return (&url.URL{Path: u.Path, RawQuery: v.Encode()}).String()
}

// queueURLAt links the case at position i of queue q, skipping the case
// not (the one just shown or decided); "" when the queue ends there.
func (s *server) queueURLAt(r *http.Request, q store.Queue, user string, i int, not int64) string {
	cs, err := s.Review.Store().Queue(r.Context(), store.QueueQuery{Queue: q, User: user, Offset: i, Limit: 2})
	if err != nil {
		s.Log.Error("next case", "queue", q, "err", err)
		return ""
	}
	for _, c := range cs {
		if c.ID != not {
			return caseURL(c.ID, q, i)
		}
	}
	return ""
}

// actionOf reads an action from a form.
func actionOf(kind string, f url.Values) (review.Action, error) {
	a := review.Action{Kind: review.Kind(kind), Label: post.Label(f.Get("label")), Entity: f.Get("entity"),
		Dismissal: post.Dismissal(f.Get("dismissal")), Assignee: f.Get("assignee"), Note: f.Get("note")}
	if t := f.Get("tier"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > int(post.TierPromotional) {
			return a, fmt.Errorf("%w tier=%q: want a whole number from 0 to 4", errBadParam, t)
		}
		a.Tier = post.Tier(n)
	}
	if into := f.Get("into"); into != "" {
		n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(into), "#"), 10, 64)
		if err != nil {
			return a, fmt.Errorf("%w into=%q: want a case number", errBadParam, into)
		}
		a.Into = n
	}
	return a, nil
}

// handleAction applies a form's action to a case and goes on: after a
// decision to the next case of the queue the analyst works, otherwise back
// to the case.
func (s *server) handleAction(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pageCaseID(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, fmt.Errorf("%w: %w", errBadParam, err))
		return
	}
	kind := r.PathValue("action")
	if kind == "" {
		kind = string(review.Approve)
	}
	a, err := actionOf(kind, r.PostForm)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	who := actor(r)
	if a.Kind == review.Assign && r.PostForm.Get("me") != "" {
		a.Assignee = who.User
	}
	if _, _, err := s.Review.Apply(r.Context(), who, id, a); err != nil {
		s.reviewError(w, r, err)
		return
	}
	s.staleStats()
	next := "/cases/" + strconv.FormatInt(id, 10)
	q, _ := queueOf(url.Values{"queue": {r.PostForm.Get("queue")}})
	i, _ := offsetOf(r.PostForm, "i")
	switch a.Kind {
	case review.Confirm, review.Dismiss, review.Escalate, review.Merge:
		if r.PostForm.Get("queue") != "" {
			if u := s.queueURLAt(r, q, who.User, i, id); u != "" {
				next = u
			} else {
				next = queuePageURL(q, 0)
			}
		}
	default:
		if r.PostForm.Get("queue") != "" {
			next = caseURL(id, q, i)
		}
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// reviewError answers an action the service refused.
func (s *server) reviewError(w http.ResponseWriter, r *http.Request, err error) {
	p := s.newPage(w, r)
	e := errorPage{page: p, Status: http.StatusInternalServerError, Message: err.Error()}
	switch {
	case errors.Is(err, auth.ErrForbidden):
		e.Status = http.StatusForbidden
	case errors.Is(err, review.ErrBadAction), errors.Is(err, errBadParam):
		e.Status = http.StatusBadRequest
	case errors.Is(err, store.ErrConflict):
		e.Status = http.StatusConflict
	case errors.Is(err, store.ErrNotFound):
		e.Status = http.StatusNotFound
	default:
		s.Log.Error("review action", "path", r.URL.Path, "err", err)
		e.Message = ""
	}
	p.Title = p.T("error." + strconv.Itoa(e.Status))
	s.render(w, "error", "base", e.Status, e)
}

// bulkPage is the data of the bulk action page: the open cases of the
// posts a search finds.
type bulkPage struct {
	*page
	Query    store.Query
	TierText string
	Cases    []caseRow
	Searched bool
	Done     int
	Failed   []review.Result
	Action   review.Kind
}

// Violating lists the labels a confirmation may give.
func (p bulkPage) Violating() []post.Label { return casePage{}.Violating() }

// Dismissals lists the dismissal reasons.
func (p bulkPage) Dismissals() []post.Dismissal { return post.Dismissals }

// bulkCases returns the open cases of the posts q finds, up to bulkMax.
func (s *server) bulkCases(r *http.Request, q store.Query) ([]int64, error) {
	q.Limit, q.Offset = bulkMax, 0
	ps, err := s.Store.Posts(r.Context(), q)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(ps))
	for i := range ps {
		keys[i] = ps[i].Key()
	}
	return s.Review.Store().OpenCasesOf(r.Context(), keys)
}

func (s *server) handleBulk(w http.ResponseWriter, r *http.Request) {
	if s.Review == nil {
		s.pageError(w, r, errNoReviews)
		return
	}
	q, err := parseQuery(r.URL.Query())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	bp := bulkPage{page: s.newPage(w, r), Query: q}
	bp.Title = bp.T("bulk.title")
	if q.Tier != 0 {
		bp.TierText = strconv.Itoa(int(q.Tier))
	}
	if q != (store.Query{Limit: pageSize}) {
		bp.Searched = true
		ids, err := s.bulkCases(r, q)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		for _, id := range ids {
			c, err := s.Review.Store().Case(r.Context(), id)
			if err != nil {
				s.pageError(w, r, err)
				return
			}
			bp.Cases = append(bp.Cases, s.row(c, "", 0))
		}
	}
	noStore(w)
	s.render(w, "bulk", "base", http.StatusOK, bp)
}

// idsOf reads the case ids a bulk form sends.
func idsOf(vs []string) ([]int64, error) {
	if len(vs) > bulkMax {
		return nil, fmt.Errorf("%w: %d cases, at most %d at once", errBadParam, len(vs), bulkMax)
	}
	ids := make([]int64, 0, len(vs))
	for _, v := range vs {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w case=%q: want a case number", errBadParam, v)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (s *server) handleBulkAction(w http.ResponseWriter, r *http.Request) {
	if s.Review == nil {
		s.pageError(w, r, errNoReviews)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, fmt.Errorf("%w: %w", errBadParam, err))
		return
	}
	ids, err := idsOf(r.PostForm["case"])
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	a, err := actionOf(r.PostForm.Get("action"), r.PostForm)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if a.Kind != review.Confirm && a.Kind != review.Dismiss && a.Kind != review.Assign {
		s.pageError(w, r, fmt.Errorf("%w action=%q: bulk actions are confirm, dismiss and assign", errBadParam, a.Kind))
		return
	}
	bp := bulkPage{page: s.newPage(w, r), Action: a.Kind}
	bp.Title = bp.T("bulk.title")
	var res []review.Result
	bp.Done, res = s.Review.ApplyAll(r.Context(), actor(r), ids, a)
	s.staleStats()
	for _, x := range res {
		if x.Err != "" {
			bp.Failed = append(bp.Failed, x)
		}
	}
	noStore(w)
	s.render(w, "bulk", "base", http.StatusOK, bp)
}

// precisionPage is the data of the precision page.
type precisionPage struct {
	*page
	Report review.Report
	Since  string
}

// precisionTable is what the "prec" template needs.
type precisionTable struct {
	P     *page
	Rows  []review.Precision
	Rules bool // rules, else detectors
}

// Table pairs precision rows with the page for the "prec" template.
func (p precisionPage) Table(rows []review.Precision, rules bool) precisionTable {
	return precisionTable{p.page, rows, rules}
}

// Percent writes a share as a whole percentage.
func (precisionTable) Percent(v float64) string { return strconv.Itoa(int(v*100+0.5)) + "%" }

// sinceOf reads the since parameter: a date or an RFC 3339 time.
func sinceOf(v url.Values) (time.Time, error) {
	raw := v.Get("since")
	if raw == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, raw); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w since=%q: want a date (2026-03-01) or an RFC 3339 time", errBadParam, raw)
}

func (s *server) handlePrecision(w http.ResponseWriter, r *http.Request) {
	if s.Review == nil {
		s.pageError(w, r, errNoReviews)
		return
	}
	since, err := sinceOf(r.URL.Query())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	rep, err := s.Review.Precision(r.Context(), since)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	pp := precisionPage{page: s.newPage(w, r), Report: rep, Since: r.URL.Query().Get("since")}
	pp.Title = pp.T("precision.title")
	s.render(w, "precision", "base", http.StatusOK, pp)
}

// The JSON API of review, for machines.

func (s *server) apiCase(w http.ResponseWriter, r *http.Request) {
	if s.Review == nil {
		s.apiError(w, errNoReviews)
		return
	}
	id, err := pathID(r, "case")
	if err != nil {
		s.apiError(w, err)
		return
	}
	off, err := offsetOf(r.URL.Query(), "offset")
	if err != nil {
		s.apiError(w, err)
		return
	}
	st := s.Review.Store()
	c, err := st.Case(r.Context(), id)
	if err == nil {
		err = s.Review.Read(r.Context(), actor(r), c)
	}
	if err != nil {
		s.apiError(w, err)
		return
	}
	keys, err := st.CasePostsPage(r.Context(), id, off, maxPageSize)
	if err != nil {
		s.apiError(w, err)
		return
	}
	es, err := st.CaseEvents(r.Context(), id, maxPageSize)
	if err != nil {
		s.apiError(w, err)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]any{"case": c, "due": s.SLA.Due(c), "posts": nonNil(keys), "events": nonNil(es)})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *server) apiQueue(w http.ResponseWriter, r *http.Request) {
	if s.Review == nil {
		s.apiError(w, errNoReviews)
		return
	}
	v := r.URL.Query()
	q, err := queueOf(v)
	off, err2 := offsetOf(v, "offset")
	if err = errors.Join(err, err2); err != nil {
		s.apiError(w, err)
		return
	}
	cs, err := s.Review.Store().Queue(r.Context(), store.QueueQuery{Queue: q, User: actor(r).User, Offset: off, Limit: queuePerPage})
	if err != nil {
		s.apiError(w, err)
		return
	}
	rows := make([]map[string]any, len(cs))
	for i, c := range cs {
		rows[i] = map[string]any{"case": c, "due": s.SLA.Due(c)}
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]any{"queue": q, "cases": rows})
}

// reviewAPIError answers a refused API action.
func (s *server) reviewAPIError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, auth.ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, review.ErrBadAction), errors.Is(err, errBadParam):
		status = http.StatusBadRequest
	case errors.Is(err, store.ErrConflict):
		status = http.StatusConflict
	case errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
	default:
		s.apiError(w, err)
		return
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// readAction reads a JSON action body.
func readAction(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: request body: %w", errBadParam, err)
	}
	return nil
}

func (s *server) apiAction(w http.ResponseWriter, r *http.Request) {
	if s.Review == nil {
		s.apiError(w, errNoReviews)
		return
	}
	id, err := pathID(r, "case")
	if err != nil {
		s.reviewAPIError(w, err)
		return
	}
	var a review.Action
	if err := readAction(w, r, &a); err != nil {
		s.reviewAPIError(w, err)
		return
	}
	a.Kind = review.Kind(r.PathValue("action"))
	if a.Kind == "" {
		a.Kind = review.Approve
	}
	c, e, err := s.Review.Apply(r.Context(), actor(r), id, a)
	if err != nil {
		s.reviewAPIError(w, err)
		return
	}
	s.staleStats()
	writeJSON(w, http.StatusOK, map[string]any{"case": c, "event": e})
}

func (s *server) apiBulk(w http.ResponseWriter, r *http.Request) {
	if s.Review == nil {
		s.apiError(w, errNoReviews)
		return
	}
	var body struct {
		Cases []int64 `json:"cases"`
		review.Action
	}
	if err := readAction(w, r, &body); err != nil {
		s.reviewAPIError(w, err)
		return
	}
	if len(body.Cases) > bulkMax {
		s.reviewAPIError(w, fmt.Errorf("%w: %d cases, at most %d at once", errBadParam, len(body.Cases), bulkMax))
		return
	}
	if body.Kind == review.Approve {
		s.reviewAPIError(w, fmt.Errorf("%w: approvals are not taken in bulk", errBadParam))
		return
	}
	done, res := s.Review.ApplyAll(r.Context(), actor(r), body.Cases, body.Action)
	s.staleStats()
	writeJSON(w, http.StatusOK, map[string]any{"done": done, "results": nonNil(res)})
}

func (s *server) apiPrecision(w http.ResponseWriter, r *http.Request) {
	if s.Review == nil {
		s.apiError(w, errNoReviews)
		return
	}
	since, err := sinceOf(r.URL.Query())
	if err != nil {
		s.apiError(w, err)
		return
	}
	rep, err := s.Review.Precision(r.Context(), since)
	if err != nil {
		s.apiError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
