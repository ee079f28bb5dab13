package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// as returns an authenticator that signs every request in as role: the
// handler tests' stand-in for the session store, which has its own tests.
func as(role auth.Role) func(http.ResponseWriter, *http.Request) (auth.Principal, error) {
	return func(http.ResponseWriter, *http.Request) (auth.Principal, error) {
		return auth.Principal{User: "test-" + string(role), Role: role}, nil
	}
}

var asAdmin = as(auth.Admin)

// routeTarget fills a route pattern's wildcards so that the mux matches it.
func routeTarget(pattern string) (method, target string) {
	method, target, _ = strings.Cut(pattern, " ")
	target = strings.ReplaceAll(target, "{$}", "")
	for strings.Contains(target, "{") {
		i := strings.Index(target, "{")
		j := strings.Index(target[i:], "}")
		target = target[:i] + "x" + target[i+j+1:]
	}
	return method, target
}

// TestEveryRouteGuarded walks the route table, so a route added without a
// permission, or served to a role that lacks it, fails here.
func TestEveryRouteGuarded(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Webhooks are open to sessions: each push is guarded by its HMAC
	// signature instead (TestHookSignature).
	open := map[string]bool{"GET /static/": true, "GET /healthz": true, "GET /login": true, "POST /login": true, "POST /hooks/{source}": true}
	noOne := func(http.ResponseWriter, *http.Request) (auth.Principal, error) {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	s := &server{Options: Options{Store: st}}
	for _, rt := range s.routes() {
		t.Run(rt.pattern, func(t *testing.T) {
			if rt.perm == auth.Open {
				if !open[rt.pattern] {
					t.Fatalf("route %s is open; only %v may be", rt.pattern, open)
				}
				return
			}
			method, target := routeTarget(rt.pattern)
			for _, c := range []struct {
				name   string
				authn  func(http.ResponseWriter, *http.Request) (auth.Principal, error)
				status int
			}{
				{"no authenticator", nil, http.StatusUnauthorized},
				{"no principal", noOne, http.StatusUnauthorized},
			} {
				h := New(Options{Store: st, Authenticate: c.authn})
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(method, target, nil)
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				h.ServeHTTP(rec, req)
				if rec.Code != c.status {
					t.Errorf("%s: %s %s = %d, want %d", c.name, method, target, rec.Code, c.status)
				}
			}
			for _, role := range auth.Roles {
				if role.Can(rt.perm) {
					continue
				}
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(method, target, nil)
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				New(Options{Store: st, Authenticate: as(role)}).ServeHTTP(rec, req)
				if rec.Code != http.StatusForbidden {
					t.Errorf("%s: %s %s = %d, want 403", role, method, target, rec.Code)
				}
			}
		})
	}
}

func TestGuardPutsPrincipalInContext(t *testing.T) {
	s := &server{Options: Options{Authenticate: as(auth.Senior)}}
	s.Log = slog.New(slog.DiscardHandler)
	var got auth.Principal
	h := s.guard(auth.Approve, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = auth.FromContext(r.Context())
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if got.Role != auth.Senior {
		t.Fatalf("principal in context = %+v", got)
	}
	if !errors.Is(got.Require(auth.ManageUsers), auth.ErrForbidden) {
		t.Fatal("senior may manage users")
	}
}
