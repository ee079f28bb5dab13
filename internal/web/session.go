package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/store"
)

// sessionCookie carries the session's secret id; the store keeps only its
// hash.
const sessionCookie = "raqib_session"

// touchEvery is how stale a session's SeenAt may get before a request
// writes it again: idle expiry is this much coarse, and a page view does
// not cost a write.
const touchEvery = time.Minute

// ErrCSRF is returned (wrapped) for a state-changing request signed in by
// a session cookie that does not carry the session's CSRF token.
var ErrCSRF = errors.New("missing or wrong CSRF token")

// defaults fills the zero settings of the real authenticator.
func (o *Options) defaults() {
	if o.Sessions.Idle <= 0 {
		o.Sessions.Idle = 30 * time.Minute
	}
	if o.Sessions.Max <= 0 {
		o.Sessions.Max = 12 * time.Hour
	}
	if o.Logins.Window <= 0 {
		o.Logins.Window = 15 * time.Minute
	}
	if o.Logins.PerUser <= 0 {
		o.Logins.PerUser = 5
	}
	if o.Logins.PerIP <= 0 {
		o.Logins.PerIP = 20
	}
}

// authenticate is the real Options.Authenticate: an API token sent as
// "Authorization: Bearer", else the session cookie. A session must be
// live under the policy and its user enabled; a state-changing request
// it signs must carry the session's CSRF token. Tokens need none: a
// browser never adds the header to a forged request.
func (s *server) authenticate(w http.ResponseWriter, r *http.Request) (auth.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return s.bearer(r.Context(), h)
	}
	secret, ss, u, err := s.session(r)
	if err != nil {
		return auth.Principal{}, err
	}
	if !safeMethod(r.Method) {
		sent := r.Header.Get("X-CSRF-Token")
		if sent == "" {
			sent = r.PostFormValue("csrf")
		}
		if !auth.EqualSecret(sent, auth.CSRFToken(secret)) {
			return auth.Principal{}, fmt.Errorf("%s %s of %s: %w", r.Method, r.URL.Path, u.Name, ErrCSRF)
		}
	}
	if now := s.Now(); now.Sub(ss.SeenAt) >= touchEvery {
		if err := s.Users.TouchSession(r.Context(), ss.ID, now); err != nil {
			s.Log.Error("touch session", "user", u.Name, "err", err)
		}
	}
	return auth.Principal{User: u.Name, Role: u.Role, Session: sessionRef(ss.ID)}, nil
}

// sessionRef is the short, non-secret name of a session in audit entries
// and principals: the start of the hash the store keeps.
func sessionRef(id string) string { return id[:min(len(id), 16)] }

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// session returns the live session of r's cookie, its secret and its
// user. An expired session, or one of a disabled or deleted user, is
// ended.
func (s *server) session(r *http.Request) (string, auth.Session, auth.User, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return "", auth.Session{}, auth.User{}, auth.ErrUnauthenticated
	}
	ctx := r.Context()
	ss, err := s.Users.Session(ctx, auth.HashSecret(c.Value))
	if errors.Is(err, store.ErrNotFound) {
		return "", ss, auth.User{}, auth.ErrUnauthenticated
	}
	if err != nil {
		return "", ss, auth.User{}, fmt.Errorf("%w: %w", auth.ErrUnauthenticated, err)
	}
	u, err := s.Users.User(ctx, ss.User)
	if err != nil || u.Disabled || !s.Sessions.Live(ss, s.Now()) {
		if err := s.Users.EndSession(ctx, ss.ID); err != nil {
			s.Log.Error("end session", "user", ss.User, "err", err)
		}
		return "", ss, u, auth.ErrUnauthenticated
	}
	return c.Value, ss, u, nil
}

// bearer returns the principal of an API token.
func (s *server) bearer(ctx context.Context, header string) (auth.Principal, error) {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return auth.Principal{}, fmt.Errorf("%w: Authorization is not a Bearer token", auth.ErrUnauthenticated)
	}
	t, err := s.Users.Token(ctx, auth.HashSecret(strings.TrimSpace(tok)))
	if err != nil || !t.RevokedAt.IsZero() {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return auth.Principal{User: t.Name, Role: t.Role, Token: true}, nil
}

// csrfToken is the real Options.CSRFToken: derived from the session
// cookie, so that no process needs to store it.
func (s *server) csrfToken(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	return auth.CSRFToken(c.Value)
}

// toLogin is the real Options.Unauthenticated: people are sent to the
// login page and back, machines get 401 JSON.
func (s *server) toLogin(w http.ResponseWriter, r *http.Request) {
	if machine(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="raqib"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": auth.ErrUnauthenticated.Error()})
		return
	}
	next := "/"
	if r.Method == http.MethodGet {
		next = r.URL.RequestURI()
	}
	target := "/login?next=" + url.QueryEscape(next)
	if r.Header.Get("HX-Request") == "true" {
		// htmx would swap the login page into the fragment it asked for.
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// machine reports whether r comes from a program rather than a person's
// browser: the API, metrics, or anything sending credentials in a header.
func machine(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/metrics" || r.Header.Get("Authorization") != ""
}
