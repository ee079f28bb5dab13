// Package web is raqib's server-rendered user interface and JSON API:
// Arabic and right-to-left first, English on request, html/template with
// htmx for partial updates (served from the binary, so it works offline),
// and a strict Content-Security-Policy because every post is hostile input.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/account"
	"github.com/raqib-project/raqib/internal/act/referral"
	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/review"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/taxonomy"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageSize is the number of posts a list page shows.
const pageSize = 50

// Options configure the handler. Only Store is required.
type Options struct {
	Store   store.Store
	Metrics http.Handler // served at /metrics; 404 when nil
	Log     *slog.Logger
	Version string
	// Entities names entity ids in the UI; the built-in registry when nil.
	Entities *taxonomy.Registry
	// Now is the clock for relative times; time.Now when nil.
	Now func() time.Time
	// Banks, when set, serves the hash bank pages and the match panel;
	// without it they say the store keeps no banks.
	Banks store.Banks
	// MediaDir holds the kept images, named as post.MediaPath names
	// them; /media serves nothing when it is empty.
	MediaDir string
	// Authenticate returns the principal a request acts as, or an error
	// wrapping auth.ErrUnauthenticated. Without it every route but the
	// open ones is refused.
	Authenticate func(w http.ResponseWriter, r *http.Request) (auth.Principal, error)
	// Unauthenticated answers a request without a principal (e.g. a
	// redirect to the login page); a plain 401 when nil.
	Unauthenticated http.Handler
	// Evidence, when set, serves each case's evidence page, capture and
	// package download.
	Evidence Evidence
	// Collection, when set, keeps the watched and proposed sources the
	// sources page shows and manages.
	Collection store.Collection
	// Hooks, when set, receives pushes to webhook sources.
	Hooks Hooks
	// CSRFToken returns the token of the request's session that forms
	// must send back; pages carry none when it is nil.
	CSRFToken func(r *http.Request) string
	// Review applies analysts' actions on cases, with the hooks of the
	// later stages; without it, one on Store (when it keeps review state)
	// with no hooks.
	Review *review.Service
	// SLA says when a decision on a case is due, by tier; review.DefaultSLA
	// when nil.
	SLA review.SLA

	// Users, when set and Authenticate is nil, signs people in through the
	// login page with server-side sessions and machines with API tokens;
	// it then also sets CSRFToken and Unauthenticated.
	Users store.Users
	// Sessions bounds sessions (30 minutes idle, 12 hours in all when
	// zero); Logins limits password guessing (5 failures per user, 20 per
	// address in 15 minutes when zero).
	Sessions auth.SessionPolicy
	Logins   auth.LoginPolicy
	// Argon2 are the hashing costs of passwords set through the UI.
	Argon2 auth.Argon2Params
	// Hosts are the Host header values served (ports are ignored); any
	// other is refused before anything else, against DNS rebinding. Empty
	// serves any host.
	Hosts []string
	// TrustedProxies are the addresses whose X-Forwarded-For and
	// X-Forwarded-Proto are believed.
	TrustedProxies []netip.Prefix
	// MetricsOpen serves /metrics without a token.
	MetricsOpen bool
	// Referrals, when set, serves the referral pages and actions; the
	// Store must then keep referrals.
	Referrals *referral.Service
	// Accounts serves the account, channel, successor and overview pages;
	// made from Store when nil and Store keeps an account registry.
	Accounts *account.Registry
}

type server struct {
	Options
	pages map[string]*template.Template // by template file name without .html
	stats statsCache
	hosts map[string]bool
	// hashing holds a slot per password check under way.
	hashing chan struct{}
	chain   *chainCheck
}

// New returns the HTTP handler of the UI and API.
func New(o Options) http.Handler {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Entities == nil {
		// The built-in registry is compiled in and validated by its tests;
		// without it the UI shows entity ids instead of names.
		o.Entities, _ = taxonomy.DefaultRegistry()
	}
	if o.Review == nil {
		o.Review, _ = review.For(o.Store, o.Log)
	}
	if o.SLA == nil {
		o.SLA, _ = review.ParseSLA(review.DefaultSLA)
	}
	if o.Argon2 == (auth.Argon2Params{}) {
		o.Argon2 = auth.DefaultArgon2
	}
	o.defaults()
	if as, ok := o.Store.(account.Store); ok && o.Accounts == nil {
		o.Accounts = &account.Registry{Store: as, Now: o.Now}
	}
	s := &server{Options: o, hosts: hostSet(o.Hosts), hashing: make(chan struct{}, runtime.GOMAXPROCS(0)), chain: &chainCheck{}}
	if s.Users != nil && s.Authenticate == nil {
		s.Authenticate, s.CSRFToken, s.Unauthenticated = s.authenticate, s.csrfToken, http.HandlerFunc(s.toLogin)
	}
	s.pages = s.parsePages()

	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.guard(rt.perm, rt.handler))
	}
	// Switching banks changes what is flagged: a page of another site
	// must not be able to make an analyst's browser do it.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
	}))
	return s.middleware(csrf.Handler(mux))
}

// parsePages gives each page its own template set, base.html plus the page
// file, because every page defines the "content" block that base.html
// calls. The templates are embedded and every page is rendered by the tests,
// so a parse error is a programming error found before release.
func (s *server) parsePages() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(s.funcs()).ParseFS(templateFS, "templates/base.html"))
	pages := map[string]*template.Template{}
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for _, file := range names {
		name := strings.TrimSuffix(path.Base(file), ".html")
		if name == "base" {
			continue
		}
		pages[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, file))
	}
	return pages
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware refuses foreign Host headers, sets the security headers,
// recovers from panics and logs every request.
func (s *server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if !s.hostAllowed(r) {
			s.Log.Warn("refused host", "host", r.Host, "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
			http.Error(w, "this server does not answer to the host "+strconv.Quote(r.Host)+" (add it with --hosts)", http.StatusMisdirectedRequest)
			return
		}
		h := w.Header()
		// Pages carry case data; only /static overrides this.
		h.Set("Cache-Control", "no-store")
		if s.secure(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		// Analysts must not leak to a platform or site which posts they view.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if v := recover(); v != nil {
				s.Log.Error("panic in handler", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				http.Error(sw, "internal error", http.StatusInternalServerError)
			}
			s.Log.Info("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

// errBadParam is a request parameter that does not parse.
var errBadParam = errors.New("bad parameter")

// parseQuery reads the list filters shared by the UI and the API.
func parseQuery(v url.Values) (store.Query, error) {
	q := store.Query{
		Text:      v.Get("q"),
		Platform:  post.Platform(v.Get("platform")),
		Label:     post.Label(v.Get("label")),
		Entity:    v.Get("entity"),
		Violating: v.Get("violating") == "1" || v.Get("violating") == "on" || v.Get("violating") == "true",
		Author:    v.Get("author"),
		Channel:   v.Get("channel"),
		Source:    v.Get("source"),
		Limit:     pageSize,
	}
	if q.Label != "" && !q.Label.Valid() {
		return q, fmt.Errorf("%w label=%q: not a label of the taxonomy", errBadParam, q.Label)
	}
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"tier", (*int)(&q.Tier), 4}, {"limit", &q.Limit, 1000}, {"offset", &q.Offset, 1 << 30}} {
		raw := v.Get(p.name)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 || n > p.max {
			return q, fmt.Errorf("%w %s=%q: want a whole number from 0 to %d", errBadParam, p.name, raw, p.max)
		}
		*p.dst = n
	}
	return q, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func (s *server) apiError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errBadParam):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	default:
		s.Log.Error("api", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
	}
}

func (s *server) apiPosts(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r.URL.Query())
	if err != nil {
		s.apiError(w, err)
		return
	}
	ps, err := s.Store.Posts(r.Context(), q)
	if err != nil {
		s.apiError(w, err)
		return
	}
	if ps == nil {
		ps = []post.Post{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"posts": ps})
}

func (s *server) apiPost(w http.ResponseWriter, r *http.Request) {
	p, versions, err := s.Store.Post(r.Context(), r.PathValue("key"))
	if err == nil {
		err = s.record(r, "post.read", p.Key(), nil, nil)
	}
	if err != nil {
		s.apiError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"post": p, "versions": versions})
}

func (s *server) apiCases(w http.ResponseWriter, r *http.Request) {
	cs, err := s.Store.Cases(r.Context(), post.CaseStatus(r.URL.Query().Get("status")), 500)
	if err != nil {
		s.apiError(w, err)
		return
	}
	if cs == nil {
		cs = []post.Case{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": cs})
}

func (s *server) apiSources(w http.ResponseWriter, r *http.Request) {
	srcs, err := s.Store.Sources(r.Context(), maxPageSize)
	if err != nil {
		s.apiError(w, err)
		return
	}
	if srcs == nil {
		srcs = []post.Source{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": srcs})
}

func (s *server) apiStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.Store.Stats(r.Context())
	if err != nil {
		s.apiError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.Store.Stats(ctx); err != nil {
		http.Error(w, "store: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// handleRaw serves the original record byte for byte: evidence.
func (s *server) handleRaw(w http.ResponseWriter, r *http.Request) {
	p, _, err := s.Store.Post(r.Context(), r.PathValue("key"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if len(p.Raw) == 0 {
		s.pageError(w, r, fmt.Errorf("raw record of %q: %w", p.Key(), store.ErrNotFound))
		return
	}
	if err := s.record(r, "post.raw", p.Key(), nil, nil); err != nil {
		s.pageError(w, r, err)
		return
	}
	ct := "application/octet-stream"
	if json.Valid(p.Raw) {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="`+rawFilename(&p)+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(p.Raw)))
	w.Write(p.Raw)
}
