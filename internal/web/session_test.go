package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
	"github.com/raqib-project/raqib/internal/testclock"
)

const (
	testHost     = "raqib.test"
	testPassword = "correct horse battery staple"
)

// cheapArgon keeps the tests fast; hashes carry their parameters.
var cheapArgon = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}

// authFixture serves the bank fixture through the real session and token
// path, with one user of every role, named after it.
type authFixture struct {
	st    *sqlite.Store
	clock *testclock.Clock
	opts  Options
	h     http.Handler
}

func newAuthFixture(t *testing.T) *authFixture {
	t.Helper()
	bf := newBankFixture(t)
	f := &authFixture{st: bf.st, clock: testclock.New(testNow)}
	for _, role := range auth.Roles {
		addUser(t, f.st, string(role), role)
	}
	f.opts = Options{
		Store: f.st, Banks: f.st, Users: f.st, MediaDir: bf.mediaDir, Version: "test", Now: f.clock.Now, Argon2: cheapArgon,
		Hosts:    []string{testHost, "127.0.0.1"},
		Sessions: auth.SessionPolicy{Idle: 30 * time.Minute, Max: 8 * time.Hour},
		Logins:   auth.LoginPolicy{Window: 15 * time.Minute, PerUser: 3, PerIP: 6},
	}
	f.h = New(f.opts)
	return f
}

// addUser adds the user name with role and testPassword to st, hashed as
// `raqib user add` hashes it (at test costs).
func addUser(t *testing.T, st *sqlite.Store, name string, role auth.Role) {
	t.Helper()
	hash, err := auth.HashPassword(testPassword, cheapArgon)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddUser(context.Background(), auth.User{Name: name, Role: role, PasswordHash: hash, CreatedAt: testNow, Changed: testNow}); err != nil {
		t.Fatal(err)
	}
}

// req sends a request to h as a browser on testHost would, from ip, with
// the session cookie when given, and headers as name, value pairs.
func req(t *testing.T, h http.Handler, method, target, ip string, cookie *http.Cookie, body url.Values, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if body != nil {
		r = httptest.NewRequest(method, target, strings.NewReader(body.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	r.Host = testHost
	r.RemoteAddr = ip + ":4711"
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	if cookie != nil {
		r.AddCookie(cookie)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// sessionOf returns the session cookie a response sets, nil when none.
func sessionOf(rec *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	return nil
}

// login signs name in from ip with the password and returns the response.
func (f *authFixture) login(t *testing.T, name, password, ip string, cookie *http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	return req(t, f.h, "POST", "/login", ip, cookie, url.Values{"user": {name}, "password": {password}, "next": {"/banks"}})
}

// signIn logs name in and returns its session cookie.
func (f *authFixture) signIn(t *testing.T, name string) *http.Cookie {
	t.Helper()
	rec := f.login(t, name, testPassword, "192.0.2.10", nil)
	c := sessionOf(rec)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/banks" || c == nil {
		t.Fatalf("login %s: %d %s, cookie %v\n%s", name, rec.Code, rec.Header().Get("Location"), c, rec.Body)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not Secure over plain HTTP", c)
	}
	return c
}

func (f *authFixture) bankEnabled(t *testing.T, name string) bool {
	t.Helper()
	b, err := f.st.Bank(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return b.Enabled
}

func (f *authFixture) auditActions(t *testing.T) []string {
	t.Helper()
	es, err := f.st.AuditEntries(context.Background(), store.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Actor+" "+e.Action+" "+e.Subject+" "+e.Source)
	}
	return out
}

// TestSessionRoles signs each role in through the login page and checks
// that every route it may not use refuses it, and every page it may use
// serves it.
func TestSessionRoles(t *testing.T) {
	f := newAuthFixture(t)
	s := &server{Options: f.opts}
	for _, role := range auth.Roles {
		t.Run(string(role), func(t *testing.T) {
			c := f.signIn(t, string(role))
			csrf := auth.CSRFToken(c.Value)
			for _, rt := range s.routes() {
				if rt.perm == auth.Open || rt.pattern == "POST /logout" {
					continue
				}
				method, target := routeTarget(rt.pattern)
				rec := req(t, f.h, method, target, "192.0.2.10", c, url.Values{"enabled": {"0"}}, "X-CSRF-Token", csrf)
				switch {
				case !role.Can(rt.perm) && rec.Code != http.StatusForbidden:
					t.Errorf("%s %s = %d, want 403", method, target, rec.Code)
				case role.Can(rt.perm) && (rec.Code == http.StatusForbidden || rec.Code == http.StatusUnauthorized):
					t.Errorf("%s %s = %d, want it served", method, target, rec.Code)
				}
			}
		})
	}
	if !f.bankEnabled(t, bankOwn) {
		t.Fatal("a refused request switched a bank")
	}
}

func TestUnauthenticated(t *testing.T) {
	f := newAuthFixture(t)
	tests := []struct {
		name, target string
		headers      []string
		status       int
		location     string
	}{
		{"page", "/posts/x?lang=en", nil, http.StatusSeeOther, "/login?next=%2Fposts%2Fx%3Flang%3Den"},
		{"api", "/api/posts", nil, http.StatusUnauthorized, ""},
		{"metrics", "/metrics", nil, http.StatusUnauthorized, ""},
		{"bad bearer", "/", []string{"Authorization", "Bearer raqib_guess"}, http.StatusUnauthorized, ""},
		{"basic auth", "/api/posts", []string{"Authorization", "Basic YTpi"}, http.StatusUnauthorized, ""},
		{"forged cookie", "/", []string{"Cookie", sessionCookie + "=forged"}, http.StatusSeeOther, "/login?next=%2F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := req(t, f.h, "GET", tt.target, "192.0.2.1", nil, nil, tt.headers...)
			if rec.Code != tt.status || rec.Header().Get("Location") != tt.location {
				t.Fatalf("%s = %d to %q, want %d to %q", tt.target, rec.Code, rec.Header().Get("Location"), tt.status, tt.location)
			}
			if tt.status == http.StatusUnauthorized && !strings.Contains(rec.Header().Get("Content-Type"), "json") {
				t.Errorf("401 as %s, want JSON", rec.Header().Get("Content-Type"))
			}
		})
	}
	rec := req(t, f.h, "GET", "/cases", "192.0.2.1", nil, nil, "HX-Request", "true")
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("HX-Redirect") != "/login?next=%2Fcases" {
		t.Errorf("htmx request: %d HX-Redirect %q", rec.Code, rec.Header().Get("HX-Redirect"))
	}
	for _, ar := range []bool{true, false} {
		lang, want := "ar", `dir="rtl"`
		if !ar {
			lang, want = "en", "Sign in"
		}
		rec := req(t, f.h, "GET", "/login?next=/cases&lang="+lang, "192.0.2.1", nil, nil)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, want) || !strings.Contains(body, `name="next" value="/cases"`) || strings.Contains(body, `class="nav"`) {
			t.Errorf("login page (%s): %d\n%s", lang, rec.Code, body)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/cases?status=open":   "/cases?status=open",
		"/posts/telegram:1":    "/posts/telegram:1",
		"":                     "/",
		"//evil.example/x":     "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"javascript:alert(1)":  "/",
		"cases":                "/",
		"/login?next=/x":       "/",
		"/\r\nSet-Cookie: x":   "/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestCSRF(t *testing.T) {
	f := newAuthFixture(t)
	c := f.signIn(t, "admin")
	target := "/banks/" + url.PathEscape(bankOwn) + "/enabled"
	for _, tt := range []struct {
		name    string
		form    url.Values
		headers []string
	}{
		{"no token", url.Values{"enabled": {"0"}}, nil},
		{"wrong form token", url.Values{"enabled": {"0"}, "csrf": {auth.CSRFToken("another session")}}, nil},
		{"wrong header", url.Values{"enabled": {"0"}}, []string{"X-CSRF-Token", "x"}},
		{"the session id itself", url.Values{"enabled": {"0"}, "csrf": {c.Value}}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := req(t, f.h, "POST", target, "192.0.2.10", c, tt.form, tt.headers...)
			if rec.Code != http.StatusForbidden || !f.bankEnabled(t, bankOwn) {
				t.Fatalf("%d, bank enabled %v: want 403 and no change", rec.Code, f.bankEnabled(t, bankOwn))
			}
		})
	}
	rec := req(t, f.h, "POST", target, "192.0.2.10", c, url.Values{"enabled": {"0"}, "csrf": {auth.CSRFToken(c.Value)}})
	if rec.Code != http.StatusSeeOther || f.bankEnabled(t, bankOwn) {
		t.Fatalf("right form token: %d, enabled %v", rec.Code, f.bankEnabled(t, bankOwn))
	}
	rec = req(t, f.h, "POST", target, "192.0.2.10", c, url.Values{"enabled": {"1"}}, "X-CSRF-Token", auth.CSRFToken(c.Value), "HX-Request", "true")
	if rec.Code != http.StatusOK || !f.bankEnabled(t, bankOwn) {
		t.Fatalf("right htmx header: %d, enabled %v", rec.Code, f.bankEnabled(t, bankOwn))
	}
	// The pages carry the token for forms and htmx.
	page := req(t, f.h, "GET", "/banks", "192.0.2.10", c, nil).Body.String()
	if !strings.Contains(page, `"X-CSRF-Token": "`+auth.CSRFToken(c.Value)+`"`) || !strings.Contains(page, `name="csrf" value="`+auth.CSRFToken(c.Value)+`"`) {
		t.Fatalf("banks page carries no CSRF token:\n%s", page)
	}

	// A machine's bearer token needs none, and sends no cookie.
	secret, hash := auth.NewSecret(auth.TokenPrefix)
	if err := f.st.AddToken(context.Background(), auth.Token{Name: "ops-bot", Role: auth.Admin, Hash: hash, CreatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	api := func(tok string) int {
		r := httptest.NewRequest("POST", "/api/banks/"+url.PathEscape(bankOwn)+"/enabled", strings.NewReader(`{"enabled": false}`))
		r.Host = testHost
		r.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, r)
		return rec.Code
	}
	if code := api(secret); code != http.StatusOK || f.bankEnabled(t, bankOwn) {
		t.Fatalf("bearer: %d, enabled %v", code, f.bankEnabled(t, bankOwn))
	}
	if err := f.st.RevokeToken(context.Background(), "ops-bot", testNow); err != nil {
		t.Fatal(err)
	}
	if code := api(secret); code != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d, want 401", code)
	}
	got := strings.Join(f.auditActions(t), "\n")
	for _, want := range []string{"admin login admin 192.0.2.10", "admin bank.disable " + bankOwn + " 192.0.2.10", "admin bank.enable " + bankOwn, "token:ops-bot bank.disable " + bankOwn} {
		if !strings.Contains(got, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, got)
		}
	}
}

// TestHostRefused is the DNS rebinding probe of the issue: a page of
// evil.example resolved to this server must not switch a bank or read
// posts, even with a session cookie, a token and a matching Origin.
func TestHostRefused(t *testing.T) {
	f := newAuthFixture(t)
	c := f.signIn(t, "admin")
	secret, hash := auth.NewSecret(auth.TokenPrefix)
	if err := f.st.AddToken(context.Background(), auth.Token{Name: "reader", Role: auth.Analyst, Hash: hash, CreatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	send := func(method, target, host string, body url.Values, headers ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, nil)
		if body != nil {
			r = httptest.NewRequest(method, target, strings.NewReader(body.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		r.Host = host
		r.AddCookie(c)
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, r)
		return rec
	}
	rec := send("POST", "/banks/"+url.PathEscape(bankOwn)+"/enabled", "evil.example",
		url.Values{"enabled": {"0"}, "csrf": {auth.CSRFToken(c.Value)}}, "Origin", "http://evil.example", "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusMisdirectedRequest || !f.bankEnabled(t, bankOwn) {
		t.Fatalf("rebinding POST: %d, bank enabled %v; want 421 and no change", rec.Code, f.bankEnabled(t, bankOwn))
	}
	for _, host := range []string{"evil.example", "evil.example:8080", "raqib.test.evil.example", "127.0.0.2"} {
		if rec := send("GET", "/api/posts", host, nil, "Authorization", "Bearer "+secret); rec.Code != http.StatusMisdirectedRequest || strings.Contains(rec.Body.String(), "posts") {
			t.Errorf("GET /api/posts with Host %s: %d %s", host, rec.Code, rec.Body)
		}
	}
	for _, host := range []string{testHost, "RAQIB.TEST:8080", "127.0.0.1:8080"} {
		if rec := send("GET", "/api/posts", host, nil, "Authorization", "Bearer "+secret); rec.Code != http.StatusOK {
			t.Errorf("GET /api/posts with Host %s: %d", host, rec.Code)
		}
	}
	if rec := send("GET", "/healthz", "evil.example", nil); rec.Code != http.StatusMisdirectedRequest {
		t.Errorf("even /healthz answers Host evil.example: %d", rec.Code)
	}
}

func TestLoginLimits(t *testing.T) {
	f := newAuthFixture(t)
	const ip = "198.51.100.7"
	for i := range f.opts.Logins.PerUser {
		if rec := f.login(t, "analyst", "wrong password!", ip, nil); rec.Code != http.StatusUnauthorized || sessionOf(rec) != nil {
			t.Fatalf("failure %d: %d", i+1, rec.Code)
		}
	}
	rec := f.login(t, "analyst", testPassword, ip, nil)
	if rec.Code != http.StatusTooManyRequests || sessionOf(rec) != nil || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("right password after %d failures: %d, want 429 without a session", f.opts.Logins.PerUser, rec.Code)
	}
	// The lock-out is kept in the store: another process sees it.
	other := New(f.opts)
	r := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"user": {"analyst"}, "password": {testPassword}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Host, r.RemoteAddr = testHost, "203.0.113.9:1"
	rr := httptest.NewRecorder()
	other.ServeHTTP(rr, r)
	if rr.Code != http.StatusTooManyRequests {
		t.Fatalf("second server, other address: %d, want the user locked out", rr.Code)
	}
	// Per address: guessing other names from ip runs into its limit.
	for i := 0; i < f.opts.Logins.PerIP-f.opts.Logins.PerUser; i++ {
		f.login(t, "nobody"+string(rune('a'+i)), "wrong password!", ip, nil)
	}
	if rec := f.login(t, "senior", testPassword, ip, nil); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("address over its limit: %d, want 429", rec.Code)
	}
	if rec := f.login(t, "senior", testPassword, "198.51.100.8", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("same user from another address: %d", rec.Code)
	}
	f.clock.Add(f.opts.Logins.Window + time.Second)
	if rec := f.login(t, "analyst", testPassword, ip, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("after the window: %d, want signed in", rec.Code)
	}
	got := strings.Join(f.auditActions(t), "\n")
	for _, want := range []string{"anonymous login.fail analyst " + ip, "anonymous login.locked analyst " + ip, "anonymous login.fail nobodya " + ip, "analyst login analyst " + ip} {
		if !strings.Contains(got, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, got)
		}
	}
}

func TestSessionFixation(t *testing.T) {
	f := newAuthFixture(t)
	planted := &http.Cookie{Name: sessionCookie, Value: "chosen-by-the-attacker"}
	rec := f.login(t, "analyst", testPassword, "192.0.2.10", planted)
	c := sessionOf(rec)
	if c == nil || c.Value == planted.Value {
		t.Fatalf("login kept the planted session id: %+v", c)
	}
	// Signing in again with a live session replaces it.
	c2 := sessionOf(f.login(t, "analyst", testPassword, "192.0.2.10", c))
	if c2 == nil || c2.Value == c.Value {
		t.Fatalf("second login kept the session id")
	}
	if rec := req(t, f.h, "GET", "/", "192.0.2.10", c, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("the replaced session still works: %d", rec.Code)
	}
	if rec := req(t, f.h, "GET", "/", "192.0.2.10", c2, nil); rec.Code != http.StatusOK {
		t.Fatalf("new session: %d", rec.Code)
	}
	if rec := req(t, f.h, "POST", "/logout", "192.0.2.10", c2, url.Values{}); rec.Code != http.StatusForbidden {
		t.Fatalf("logout without a CSRF token: %d, want 403", rec.Code)
	}
	rec = req(t, f.h, "POST", "/logout", "192.0.2.10", c2, url.Values{"csrf": {auth.CSRFToken(c2.Value)}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Fatalf("logout: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if gone := sessionOf(rec); gone == nil || gone.MaxAge >= 0 {
		t.Fatalf("logout did not clear the cookie: %+v", gone)
	}
	if rec := req(t, f.h, "GET", "/", "192.0.2.10", c2, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("session after logout: %d", rec.Code)
	}
	if got := strings.Join(f.auditActions(t), "\n"); !strings.Contains(got, "analyst logout analyst 192.0.2.10") {
		t.Fatalf("logout not audited:\n%s", got)
	}
}

func TestSessionExpiry(t *testing.T) {
	f := newAuthFixture(t)
	get := func(c *http.Cookie) int { return req(t, f.h, "GET", "/sources", "192.0.2.10", c, nil).Code }
	c := f.signIn(t, "analyst")
	f.clock.Add(29 * time.Minute)
	if code := get(c); code != http.StatusOK {
		t.Fatalf("29 minutes idle: %d", code)
	}
	f.clock.Add(29 * time.Minute)
	if code := get(c); code != http.StatusOK {
		t.Fatalf("used again within the idle time: %d", code)
	}
	f.clock.Add(31 * time.Minute)
	if code := get(c); code != http.StatusSeeOther {
		t.Fatalf("31 minutes idle: %d, want the login page", code)
	}
	// Used every 20 minutes, a session still ends 8 hours after sign-in.
	c = f.signIn(t, "analyst")
	for i := 0; i < 23; i++ {
		f.clock.Add(20 * time.Minute)
		if code := get(c); code != http.StatusOK {
			t.Fatalf("after %v: %d", time.Duration(i+1)*20*time.Minute, code)
		}
	}
	f.clock.Add(20 * time.Minute)
	if code := get(c); code != http.StatusSeeOther {
		t.Fatalf("8 hours after sign-in: %d, want the login page", code)
	}
	// Disabling a user ends their sessions at the next request.
	c = f.signIn(t, "senior")
	u, _ := f.st.User(context.Background(), "senior")
	u.Disabled = true
	if err := f.st.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if code := get(c); code != http.StatusSeeOther {
		t.Fatalf("disabled user: %d", code)
	}
	if rec := f.login(t, "senior", testPassword, "192.0.2.10", nil); rec.Code != http.StatusUnauthorized {
		t.Fatalf("disabled user signs in: %d", rec.Code)
	}
}

func TestAuditReadsAndPage(t *testing.T) {
	f := newAuthFixture(t)
	p := post.Post{Platform: post.Telegram, ID: "12", Kind: "message", Channel: post.Channel{Platform: post.Telegram, ID: "-100555"},
		Text: "نص", PostedAt: testNow, CollectedAt: testNow, Raw: []byte(`{"id":12}`)}
	if _, err := f.st.SavePosts(context.Background(), []post.Post{p}); err != nil {
		t.Fatal(err)
	}
	an := f.signIn(t, "analyst")
	for _, target := range []string{"/posts/" + url.PathEscape(p.Key()), "/raw/" + url.PathEscape(p.Key())} {
		if rec := req(t, f.h, "GET", target, "192.0.2.10", an, nil); rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", target, rec.Code)
		}
	}
	au := f.signIn(t, "auditor")
	rec := req(t, f.h, "GET", "/audit?lang=en", "192.0.2.10", au, nil)
	body := rec.Body.String()
	for _, want := range []string{"Chain verified", "post.read", p.Key(), "post.raw", "analyst", "192.0.2.10"} {
		if !strings.Contains(body, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
	rec = req(t, f.h, "GET", "/audit?actor=auditor&since=1h", "192.0.2.10", au, nil)
	if strings.Contains(rec.Body.String(), "post.read") || !strings.Contains(rec.Body.String(), "<bdi>auditor</bdi>") {
		t.Errorf("actor filter:\n%s", rec.Body)
	}
	if rec := req(t, f.h, "GET", "/audit?since=yesterday", "192.0.2.10", au, nil); rec.Code != http.StatusBadRequest {
		t.Errorf("bad since: %d", rec.Code)
	}
}

func TestCacheHeaders(t *testing.T) {
	f := newAuthFixture(t)
	c := f.signIn(t, "analyst")
	for target, want := range map[string]string{"/": "no-store", "/api/cases": "no-store", "/login": "no-store", "/static/raqib.css": "public, max-age=3600"} {
		rec := req(t, f.h, "GET", target, "192.0.2.10", c, nil)
		if got := rec.Header().Get("Cache-Control"); got != want {
			t.Errorf("%s: Cache-Control %q, want %q", target, got, want)
		}
	}
	var st map[string]any
	rec := req(t, f.h, "GET", "/api/stats", "192.0.2.10", c, nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("api with a session cookie: %d %v", rec.Code, err)
	}
}

func TestClientIP(t *testing.T) {
	s := &server{Options: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	for _, tt := range []struct {
		remote, xff, proto string
		ip                 string
		secure             bool
	}{
		{"192.0.2.1:1", "", "", "192.0.2.1", false},
		{"192.0.2.1:1", "203.0.113.5", "https", "192.0.2.1", false}, // untrusted peer: headers ignored
		{"10.0.0.2:1", "203.0.113.5", "https", "203.0.113.5", true},
		{"10.0.0.2:1", "198.51.100.1, 203.0.113.5, 10.1.1.1", "http", "203.0.113.5", false},
		{"10.0.0.2:1", "", "", "10.0.0.2", false},
		{"10.0.0.2:1", "junk, 203.0.113.5", "", "203.0.113.5", false},
		{"[::ffff:192.0.2.9]:1", "", "", "192.0.2.9", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		r.Header.Set("X-Forwarded-Proto", tt.proto)
		if got := s.clientIP(r); got != tt.ip || s.secure(r) != tt.secure {
			t.Errorf("%s XFF %q proto %q: ip %s secure %v, want %s %v", tt.remote, tt.xff, tt.proto, got, s.secure(r), tt.ip, tt.secure)
		}
	}
}

// TestEveryRouteGuardedBySessions walks the route table through the real
// authenticator: without a session or token, or with a forged one, no
// guarded route serves anything.
func TestEveryRouteGuardedBySessions(t *testing.T) {
	f := newAuthFixture(t)
	s := &server{Options: f.opts}
	for _, rt := range s.routes() {
		if rt.perm == auth.Open {
			continue
		}
		method, target := routeTarget(rt.pattern)
		for _, headers := range [][]string{nil, {"Cookie", sessionCookie + "=forged"}, {"Authorization", "Bearer " + auth.TokenPrefix + "forged"}} {
			rec := req(t, f.h, method, target, "192.0.2.1", nil, url.Values{"enabled": {"0"}}, headers...)
			want := http.StatusSeeOther
			if strings.HasPrefix(target, "/api/") || target == "/metrics" || len(headers) > 0 && headers[0] == "Authorization" {
				want = http.StatusUnauthorized
			}
			if rec.Code != want {
				t.Errorf("%s %s %v = %d, want %d", method, target, headers, rec.Code, want)
			}
		}
	}
}

func TestUsersPage(t *testing.T) {
	f := newAuthFixture(t)
	admin := f.signIn(t, "admin")
	csrf := auth.CSRFToken(admin.Value)
	rec := req(t, f.h, "POST", "/users?lang=en", "192.0.2.10", admin, url.Values{"name": {"ليلى"}, "role": {"analyst"}, "csrf": {csrf}})
	m := regexp.MustCompile(`id="new-password">([^<]+)<`).FindStringSubmatch(rec.Body.String())
	if rec.Code != http.StatusOK || m == nil {
		t.Fatalf("add user: %d\n%s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("the page with a new password may be cached")
	}
	layla := sessionOf(f.login(t, "ليلى", m[1], "192.0.2.11", nil))
	if layla == nil {
		t.Fatal("the new user cannot sign in with the password shown")
	}
	for _, tt := range []struct {
		form   url.Values
		status int
	}{
		{url.Values{"name": {"ليلى"}, "role": {"analyst"}}, http.StatusConflict},
		{url.Values{"name": {"a b"}, "role": {"analyst"}}, http.StatusBadRequest},
		{url.Values{"name": {"sami"}, "role": {"root"}}, http.StatusBadRequest},
	} {
		tt.form.Set("csrf", csrf)
		if rec := req(t, f.h, "POST", "/users", "192.0.2.10", admin, tt.form); rec.Code != tt.status {
			t.Errorf("add %v: %d, want %d", tt.form, rec.Code, tt.status)
		}
	}
	page := req(t, f.h, "GET", "/users", "192.0.2.10", admin, nil).Body.String()
	if !strings.Contains(page, "<bdi>ليلى</bdi>") || strings.Contains(page, m[1]) || strings.Contains(page, "argon2") {
		t.Fatalf("users page:\n%s", page)
	}
	target := "/users/" + url.PathEscape("ليلى") + "/enabled"
	if rec := req(t, f.h, "POST", target, "192.0.2.10", admin, url.Values{"enabled": {"0"}, "csrf": {csrf}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("disable: %d", rec.Code)
	}
	if rec := req(t, f.h, "GET", "/", "192.0.2.11", layla, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("the disabled user's session still works: %d", rec.Code)
	}
	if rec := req(t, f.h, "POST", "/users/admin/enabled", "192.0.2.10", admin, url.Values{"enabled": {"0"}, "csrf": {csrf}}); rec.Code != http.StatusBadRequest {
		t.Fatalf("disabling oneself: %d", rec.Code)
	}
	got := strings.Join(f.auditActions(t), "\n")
	for _, want := range []string{"admin user.add ليلى 192.0.2.10", "admin user.disable ليلى 192.0.2.10"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, got)
		}
	}
}

// FuzzSafeNext: whatever a login link carries as next, signing in goes to
// a path of this server.
func FuzzSafeNext(f *testing.F) {
	for _, seed := range []string{"/cases", "//evil.example", "/\\evil.example", "https://evil.example/", "/%2F%2Fevil.example", "/\t/evil.example", "", "/login", "/ok?next=//x#y"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n\t") || u.Host != "" || u.Scheme != "" {
			t.Fatalf("safeNext(%q) = %q leaves the server", next, got)
		}
		// What a browser resolves it to stays on the server.
		base, _ := url.Parse("https://raqib.test/login")
		if r := base.ResolveReference(u); r.Host != "raqib.test" {
			t.Fatalf("safeNext(%q) = %q resolves to %s", next, got, r)
		}
	})
}

// FuzzClientIP: whatever X-Forwarded-For holds, the address is one that
// parses, never a header's text.
func FuzzClientIP(f *testing.F) {
	for _, seed := range []string{"203.0.113.5", "junk, 203.0.113.5", "10.1.1.1, 10.0.0.3", "", "::1, [::1]", "1.2.3.4,,5.6.7.8"} {
		f.Add(seed)
	}
	s := &server{Options: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	f.Fuzz(func(t *testing.T, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10.0.0.2:1"
		r.Header.Set("X-Forwarded-For", xff)
		if _, err := netip.ParseAddr(s.clientIP(r)); err != nil {
			t.Fatalf("X-Forwarded-For %q gave %q", xff, s.clientIP(r))
		}
	})
}

// TestAuditPageFindsTampering: the page checks new entries on every view
// and the whole trail on request or every fullCheckEvery; a flipped byte in
// an old entry shows as a broken chain, and stays shown.
func TestAuditPageFindsTampering(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for i := range 3 {
		if _, err := st.Append(ctx, audit.Entry{Actor: "amina", Source: "192.0.2.1", Action: "post.read", Subject: fmt.Sprintf("telegram:-100:%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	c := testclock.New(testNow)
	h := New(Options{Store: st, Authenticate: as(auth.Auditor), Now: c.Now})
	view := func(target string) string {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", target, rec.Code)
		}
		return rec.Body.String()
	}
	if body := view("/audit?lang=en"); !strings.Contains(body, "Chain verified; entries: <b>3</b>") {
		t.Fatalf("intact trail:\n%s", body)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DROP TRIGGER audit_no_update; UPDATE audit SET subject = 'telegram:-100:9' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	// Appended entries are checked at once; the changed old one waits for a
	// full check.
	if _, err := st.Append(ctx, audit.Entry{Actor: "omar", Source: "192.0.2.2", Action: "post.read", Subject: "x"}); err != nil {
		t.Fatal(err)
	}
	if body := view("/audit?lang=en"); !strings.Contains(body, "entries: <b>4</b>") {
		t.Fatalf("incremental check:\n%s", body)
	}
	for _, target := range []string{"/audit?lang=en&verify=full", "/audit?lang=en"} {
		if body := view(target); !strings.Contains(body, "Chain broken") || !strings.Contains(body, "audit entry 1: hash mismatch") {
			t.Fatalf("%s after tampering:\n%s", target, body)
		}
	}
}

// TestMonitorToken: a scrape token of the monitor role reads /metrics and
// nothing else.
func TestMonitorToken(t *testing.T) {
	f := newAuthFixture(t)
	f.opts.Metrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "raqib_posts 0\n") })
	h := New(f.opts)
	secret, hash := auth.NewSecret(auth.TokenPrefix)
	if err := f.st.AddToken(context.Background(), auth.Token{Name: "prometheus", Role: auth.Monitor, Hash: hash, CreatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]int{"/metrics": http.StatusOK, "/api/posts": http.StatusForbidden, "/audit": http.StatusForbidden} {
		if rec := req(t, h, "GET", target, "192.0.2.1", nil, nil, "Authorization", "Bearer "+secret); rec.Code != want {
			t.Errorf("monitor token GET %s = %d, want %d", target, rec.Code, want)
		}
	}
}
