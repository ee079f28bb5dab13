package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/store"
)

// loginPage is the data of the login page.
type loginPage struct {
	*page
	Next   string
	Name   string
	Failed bool
	Wait   int // minutes to wait when locked out
}

// safeNext returns where to go after signing in: a local path of raqib,
// never another site ("//evil.example", "/\evil.example", "https://...").
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") ||
		u.Scheme != "" || u.Host != "" || strings.HasPrefix(u.Path, "/login") {
		return "/"
	}
	return next
}

func (s *server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	if s.Users == nil {
		http.NotFound(w, r)
		return
	}
	next := safeNext(r.URL.Query().Get("next"))
	if _, _, _, err := s.session(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, http.StatusOK, loginPage{Next: next})
}

func (s *server) renderLogin(w http.ResponseWriter, r *http.Request, status int, lp loginPage) {
	lp.page = s.newPage(w, r)
	lp.Title = lp.T("login.title")
	s.render(w, "login", "base", status, lp)
}

// loginKeys are the counters of failed sign-ins a request adds to: per
// user name and per client address, shared by every process through the
// store.
func loginKeys(name, ip string) []string {
	return []string{"login:user:" + name, "login:ip:" + ip}
}

// printable makes a name typed into the login form safe to store and show:
// valid UTF-8 without control characters, at most 64 characters.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	for utf8.RuneCountInString(s) > 64 {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

// handleLogin checks a name and password. Failures count against the name
// and the client address; at either limit every attempt is refused, the
// right password too, until failures age out of the window. A successful
// sign-in always gets a new session id, whatever cookie it came with.
func (s *server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.Users == nil {
		http.NotFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	name, pw := printable(r.PostFormValue("user")), r.PostFormValue("password")
	lp := loginPage{Next: safeNext(r.PostFormValue("next")), Name: name}
	ctx := r.Context()
	ip, now := s.clientIP(r), s.Now()
	keys := loginKeys(name, ip)
	counts, err := s.Store.CountEvents(ctx, keys, now.Add(-s.Logins.Window))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if counts[keys[0]] >= s.Logins.PerUser || counts[keys[1]] >= s.Logins.PerIP {
		if err := s.recordAs(r, "anonymous", "login.locked", name, nil, map[string]int{"user_failures": counts[keys[0]], "ip_failures": counts[keys[1]]}); err != nil {
			s.pageError(w, r, err)
			return
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(s.Logins.Window.Seconds())))
		lp.Wait = int(s.Logins.Window.Minutes() + 0.5)
		s.renderLogin(w, r, http.StatusTooManyRequests, lp)
		return
	}
	u, reason := s.checkLogin(r, name, pw)
	if reason != "" {
		evs := make([]store.CountEvent, len(keys))
		for i, k := range keys {
			evs[i] = store.CountEvent{Key: k, ID: randomID(), At: now}
		}
		err := s.Store.AddEvents(ctx, evs)
		if err == nil {
			err = s.recordAs(r, "anonymous", "login.fail", name, nil, map[string]string{"reason": reason})
		}
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		lp.Failed = true
		s.renderLogin(w, r, http.StatusUnauthorized, lp)
		return
	}
	if old, err := r.Cookie(sessionCookie); err == nil {
		s.Users.EndSession(ctx, auth.HashSecret(old.Value))
	}
	secret, id := auth.NewSecret("")
	ss := auth.Session{ID: id, User: u.Name, IP: ip, CreatedAt: now, SeenAt: now}
	if err := s.Users.AddSession(ctx, ss); err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.recordAs(r, u.Name, "login", u.Name, nil, map[string]string{"session": sessionRef(id), "role": string(u.Role)}); err != nil {
		s.Users.EndSession(ctx, id)
		s.pageError(w, r, err)
		return
	}
	if err := s.Users.PruneSessions(ctx, now.Add(-s.Sessions.Idle), now.Add(-s.Sessions.Max)); err != nil {
		s.Log.Error("prune sessions", "err", err)
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.secure(r), MaxAge: int(s.Sessions.Max.Seconds()),
	})
	http.Redirect(w, r, lp.Next, http.StatusSeeOther)
}

// checkLogin returns the user whose name and password these are, or why
// not, for the audit trail only: the page says the same for every reason.
// An unknown name costs the same hashing as a known one.
func (s *server) checkLogin(r *http.Request, name, pw string) (auth.User, string) {
	// Each check holds Argon2.Memory (46 MiB): a flood of sign-ins waits
	// here instead of exhausting memory.
	select {
	case s.hashing <- struct{}{}:
		defer func() { <-s.hashing }()
	case <-r.Context().Done():
		return auth.User{}, "gave up waiting"
	}
	u, err := s.Users.User(r.Context(), name)
	if err != nil {
		auth.CheckPassword(s.dummyHash(), pw)
		if !errors.Is(err, store.ErrNotFound) {
			s.Log.Error("login: read user", "err", err)
			return u, "error"
		}
		return u, "unknown user"
	}
	ok, err := auth.CheckPassword(u.PasswordHash, pw)
	switch {
	case err != nil:
		s.Log.Error("login: stored password hash", "user", u.Name, "err", err)
		return u, "bad stored hash"
	case !ok:
		return u, "wrong password"
	case u.Disabled:
		return u, "disabled"
	}
	return u, ""
}

var (
	dummyOnce sync.Once
	dummy     string
)

// dummyHash is a hash to check passwords of unknown users against.
func (s *server) dummyHash() string {
	dummyOnce.Do(func() { dummy, _ = auth.HashPassword(auth.NewPassword(), s.Argon2) })
	return dummy
}

func randomID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// handleLogout ends the session; guard has checked its CSRF token.
func (s *server) handleLogout(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.FromContext(r.Context())
	c, err := r.Cookie(sessionCookie)
	if s.Users == nil || err != nil {
		http.Error(w, "not signed in with a session", http.StatusBadRequest)
		return
	}
	if err := s.Users.EndSession(r.Context(), auth.HashSecret(c.Value)); err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.record(r, "logout", p.User, nil, nil); err != nil {
		s.Log.Error("logout not audited", "user", p.User, "err", err)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r), MaxAge: -1, Expires: time.Unix(1, 0)})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
