package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/taxonomy"
)

// rawDisplayMax caps the raw record shown on a post page; the download link
// always serves all of it.
const rawDisplayMax = 1 << 20

// maxPageSize is the most posts one list page shows.
const maxPageSize = 500

// snippetRunes is how much of a post's text the list shows.
const snippetRunes = 280

// platforms are offered in the platform filter, in this order.
var platforms = []post.Platform{post.Telegram, post.X, post.WhatsApp, post.Facebook, post.YouTube, post.RocketChat, post.Web}

// page is what every template gets: the language, the header counts and the
// translation helpers, which templates call as methods ({{$.T "key"}}).
type page struct {
	Lang      string
	Dir       string
	Title     string
	Version   string
	Stats     store.Stats
	StatsOK   bool
	SwitchURL string // the current URL in the other language
	Fragment  bool   // rendering only the part htmx swaps
	// CSRF is the session's token that every state-changing form sends
	// (template "csrf") and htmx sends as X-CSRF-Token.
	CSRF string
	// User is who the page is shown to; zero on the login page.
	User auth.Principal

	now  time.Time
	ents *taxonomy.Registry
}

// newPage prepares what every page shows for request r; it chooses the
// language, which may set the language cookie on w.
func (s *server) newPage(w http.ResponseWriter, r *http.Request) *page {
	lang := pickLang(w, r)
	p := &page{Lang: lang, Dir: "rtl", Version: s.Version, now: s.Now(), ents: s.Entities}
	if s.CSRFToken != nil {
		p.CSRF = s.CSRFToken(r)
	}
	if lang != taxonomy.Arabic {
		p.Dir = "ltr"
	}
	q := r.URL.Query()
	q.Set("lang", otherLang(lang))
	if q.Has("next") {
		// The login page keeps where it goes on in the other language too.
		q.Set("next", safeNext(q.Get("next")))
	}
	// RawPath keeps a key's escaped '/' escaped, so the link stays on the post.
	p.SwitchURL = (&url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: q.Encode()}).String()
	var ok bool
	if p.User, ok = auth.FromContext(r.Context()); !ok {
		// No counts for whoever is not signed in.
		return p
	}
	st, err := s.headerStats(r.Context())
	if err != nil {
		s.Log.Error("stats for page header", "err", err)
	}
	p.Stats, p.StatsOK = st, err == nil
	return p
}

// Can reports whether the page's user has the permission named perm, for
// showing only the links and buttons they may use.
func (p *page) Can(perm string) bool { return p.User.Can(auth.Permission(perm)) }

// T translates a catalogue key; a missing key shows as itself, which the
// catalogue test prevents.
func (p *page) T(key string) string {
	if s, ok := catalogue[p.Lang][key]; ok {
		return s
	}
	return key
}

// LabelName is the label's name in the page language.
func (p *page) LabelName(l post.Label) string { return taxonomy.LabelName(l, p.Lang) }

// TierName is the tier's name in the page language.
func (p *page) TierName(t post.Tier) string { return taxonomy.TierName(t, p.Lang) }

// EntityName is the entity's name in the page language, or its id when the
// registry does not know it.
func (p *page) EntityName(id string) string {
	if id == "" || p.ents == nil {
		return id
	}
	e, ok := p.ents.Get(id)
	if !ok {
		return id
	}
	if p.Lang == taxonomy.Arabic {
		return e.NameAR
	}
	return e.NameEN
}

// PlatformName is the platform's name in the page language.
func (p *page) PlatformName(pl post.Platform) string {
	if s, ok := catalogue[p.Lang]["platform."+string(pl)]; ok {
		return s
	}
	return string(pl)
}

// StatusName is a case status in the page language.
func (p *page) StatusName(st post.CaseStatus) string {
	if s, ok := catalogue[p.Lang]["status."+string(st)]; ok {
		return s
	}
	return string(st)
}

// KindName is a bank kind in the page language.
func (p *page) KindName(k hashbank.Kind) string {
	if s, ok := catalogue[p.Lang]["kind."+string(k)]; ok {
		return s
	}
	return string(k)
}

// Ago is the time from t to now in the page language.
func (p *page) Ago(t time.Time) string { return ago(t, p.now, p.Lang) }

// Entities lists the registry for the entity filter.
func (p *page) Entities() []*taxonomy.Entity {
	if p.ents == nil {
		return nil
	}
	return p.ents.All()
}

// Platforms lists the platforms for the platform filter.
func (p *page) Platforms() []post.Platform { return platforms }

// Labels lists the labels for the label filter.
func (p *page) Labels() []post.Label { return post.Labels }

// Tiers lists the tiers for the tier filter.
func (p *page) Tiers() []post.Tier {
	return []post.Tier{post.TierThreat, post.TierCrisis, post.TierOfficial, post.TierPromotional}
}

// OtherLang is the language the switch link leads to.
func (p *page) OtherLang() string { return otherLang(p.Lang) }

// decisionView is what the "decision" template needs: the page for the
// translations and the decision itself.
type decisionView struct {
	P *page
	D post.Decision
}

// onOff is what the "onoff" template needs.
type onOff struct {
	P  *page
	On bool
}

// OnOff pairs a switch state with the page for the "onoff" template.
func (p *page) OnOff(on bool) onOff { return onOff{p, on} }

// blurredImage is what the "blurred" template needs: a kept image shown
// blurred until the analyst clicks it.
type blurredImage struct {
	P  *page
	ID string // unique on the page, for the reveal checkbox
	// keptImage holds the boxes drawn over it: the flagged spans of the
	// text read from it (internal/web/ocr.go).
	keptImage
}

// Blurred pairs a kept image with the page for the "blurred" template.
func (p *page) Blurred(id string, im keptImage) blurredImage {
	return blurredImage{P: p, ID: id, keptImage: im}
}

// signalsView is what the "signals" template needs.
type signalsView struct {
	P *page
	S []post.Signal
}

// WithSignals pairs a post's signals with the page for the "signals"
// template, which the post and case pages share.
func (p *page) WithSignals(s []post.Signal) signalsView { return signalsView{p, s} }

// With pairs a decision with the page for the "decision" template.
func (p *page) With(d post.Decision) decisionView { return decisionView{p, d} }

func (s *server) funcs() template.FuncMap {
	return template.FuncMap{
		"postURL": postURL,
		// kept is a kept image without boxes (the match panel's).
		"kept":    func(sha string) keptImage { return keptImage{SHA256: sha} },
		"bankURL": bankURL,
		"rawURL":  rawURL,
		"utc": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"iso": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		"score":   func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) },
		"snippet": snippet,
		"decisionOf": func(c post.Case) post.Decision {
			return post.Decision{Label: c.Label, Tier: c.Tier, Entity: c.Entity, Score: c.Score, Violating: c.Label.Violating()}
		},
		"join":      strings.Join,
		"groupURL":  groupURL,
		"groupKind": groupKind,
	}
}

// groupURL links what gathers a case's posts: an account's posts in the
// list, or the original of a cluster of recycled copies; "" for a case of
// its own.
func groupURL(group string) string {
	kind, rest := post.SplitGroup(group)
	switch kind {
	case post.GroupAccount:
		platform, id, _ := strings.Cut(rest, "/")
		return "/?" + url.Values{"platform": {platform}, "author": {id}}.Encode()
	case post.GroupRecycled:
		return postURL(rest)
	}
	return ""
}

// groupKind is the catalogue key that names a case's group.
func groupKind(group string) string {
	switch kind, _ := post.SplitGroup(group); kind {
	case post.GroupAccount, post.GroupRecycled:
		return "case.group." + kind
	}
	return ""
}

// postURL links a post page. Escaping the whole key, '/' included, keeps
// keys that hold URLs ("web:https://...") in one path segment, which the
// mux's path cleaning would otherwise rewrite.
func postURL(key string) string { return "/posts/" + url.PathEscape(key) }

// rawURL links a post's raw record download.
func rawURL(key string) string { return "/raw/" + url.PathEscape(key) }

// snippet shortens s to snippetRunes runes for the list.
func snippet(s string) string {
	if utf8.RuneCountInString(s) <= snippetRunes {
		return s
	}
	n := 0
	for i := range s {
		if n == snippetRunes {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// render executes a page template into a buffer first, so that a template
// error becomes a clean 500 instead of half a page.
func (s *server) render(w http.ResponseWriter, name, block string, status int, data any) {
	t, ok := s.pages[name]
	if !ok {
		s.Log.Error("render: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, data); err != nil {
		s.Log.Error("render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Add("Vary", "Accept-Language, Cookie, HX-Request")
	w.WriteHeader(status)
	w.Write(balanceBidi(buf.Bytes()))
}

// errorPage is the data of the error template.
type errorPage struct {
	*page
	Status  int
	Message string
}

// pageError answers a UI request that failed with an HTML error page.
func (s *server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	p := s.newPage(w, r)
	e := errorPage{page: p, Status: http.StatusInternalServerError}
	switch {
	case errors.Is(err, errBadParam):
		e.Status, e.Message = http.StatusBadRequest, err.Error()
	case errors.Is(err, store.ErrNotFound):
		e.Status, e.Message = http.StatusNotFound, err.Error()
	default:
		s.Log.Error("page", "path", r.URL.Path, "err", err)
	}
	p.Title = p.T("error." + strconv.Itoa(e.Status))
	s.render(w, "error", "base", e.Status, e)
}

// fragment reports whether htmx asked for the part of the page it swaps.
// History restores want the whole page.
func fragment(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-History-Restore-Request") != "true"
}

// listPage is the data of the posts list.
type listPage struct {
	*page
	Query    store.Query
	TierText string // the tier filter as typed, "" for any
	Posts    []post.Post
	From, To int
	PrevURL  string
	NextURL  string
}

func (s *server) handleList(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, err := parseQuery(v)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	limit := q.Limit
	if limit == 0 {
		limit = pageSize
	}
	// One post more than shown tells whether there is a next page; the cap
	// keeps that extra post under the store's own limit of 1000.
	limit = min(limit, maxPageSize)
	q.Limit = limit + 1
	ps, err := s.Store.Posts(r.Context(), q)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	q.Limit = limit
	lp := listPage{page: s.newPage(w, r), Query: q, Posts: ps}
	lp.Title = lp.T("nav.posts")
	if q.Tier != 0 {
		lp.TierText = strconv.Itoa(int(q.Tier))
	}
	if len(ps) > limit {
		lp.Posts = ps[:limit]
		lp.NextURL = pageURL(v, q.Offset+limit)
	}
	if q.Offset > 0 {
		lp.PrevURL = pageURL(v, max(q.Offset-limit, 0))
	}
	if len(lp.Posts) > 0 {
		lp.From, lp.To = q.Offset+1, q.Offset+len(lp.Posts)
	}
	if fragment(r) {
		lp.Fragment = true
		s.render(w, "list", "results", http.StatusOK, lp)
		return
	}
	s.render(w, "list", "base", http.StatusOK, lp)
}

// pageURL is the list URL with the same filters at another offset.
func pageURL(v url.Values, offset int) string {
	q := url.Values{}
	for k, vs := range v {
		if k != "offset" && k != "lang" {
			q[k] = vs
		}
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	return (&url.URL{Path: "/", RawQuery: q.Encode()}).String()
}

// postPage is the data of the post detail page.
type postPage struct {
	*page
	Key      string
	Post     post.Post
	Versions []store.Version
	Norm     []segment
	BadSpans int
	Raw      string
	RawLen   int
	RawCut   bool
	Matches  []matchView
	NearDups []nearView
	OCR      []ocrView
}

func (s *server) handlePost(w http.ResponseWriter, r *http.Request) {
	p, versions, err := s.Store.Post(r.Context(), r.PathValue("key"))
	if err == nil {
		err = s.record(r, "post.read", p.Key(), nil, nil)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	pp := postPage{page: s.newPage(w, r), Key: p.Key(), Post: p, Versions: versions, RawLen: len(p.Raw)}
	pp.Title = pp.T("post.title") + " " + isolate(pp.Key)
	pp.Norm, pp.BadSpans = highlight(p.Norm, textSignals(&p))
	pp.Raw, pp.RawCut = displayRaw(p.Raw)
	pp.Matches, pp.NearDups = s.matchViews(r.Context(), &p)
	pp.OCR = s.ocrViews(r.Context(), pp.page, &p)
	s.render(w, "post", "base", http.StatusOK, pp)
}

// displayRaw prepares a raw record for reading: indented when it is JSON,
// cut at rawDisplayMax, and valid UTF-8 so the page stays well-formed.
func displayRaw(raw []byte) (string, bool) {
	cut := len(raw) > rawDisplayMax
	if cut {
		raw = raw[:rawDisplayMax]
	} else if json.Valid(raw) {
		var buf bytes.Buffer
		if json.Indent(&buf, raw, "", "  ") == nil {
			raw = buf.Bytes()
		}
	}
	return strings.ToValidUTF8(string(raw), "\uFFFD"), cut
}

// rawFilename names a raw download after the post, keeping only characters
// that are safe in every file system.
func rawFilename(p *post.Post) string {
	name := []byte("raqib-raw-" + string(p.Platform) + "-" + p.ID)
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			name[i] = '_'
		}
	}
	if len(name) > 120 {
		name = name[:120]
	}
	ext := ".bin"
	if json.Valid(p.Raw) {
		ext = ".json"
	}
	return string(name) + ext
}
