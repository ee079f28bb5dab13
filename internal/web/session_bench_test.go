package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/testclock"
)

// BenchmarkAuthenticate measures what signing in costs every request: the
// same small API call through a stand-in authenticator (the baseline), a
// session cookie, and a bearer token. Compare the variants of one run.
func BenchmarkAuthenticate(b *testing.B) {
	f := newBenchAuth(b)
	stub := New(Options{Store: f.st, Authenticate: as(auth.Analyst), Hosts: f.opts.Hosts})
	run := func(b *testing.B, h http.Handler, header, value string) {
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest("GET", "/api/stats", nil)
			r.Host = testHost
			if header != "" {
				r.Header.Set(header, value)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				b.Fatalf("%d", rec.Code)
			}
		}
	}
	b.Run("baseline-stub", func(b *testing.B) { run(b, stub, "", "") })
	b.Run("session", func(b *testing.B) { run(b, f.h, "Cookie", sessionCookie+"="+f.cookie) })
	b.Run("token", func(b *testing.B) { run(b, f.h, "Authorization", "Bearer "+f.token) })
}

type benchAuth struct {
	*authFixture
	cookie, token string
}

func newBenchAuth(b *testing.B) benchAuth {
	bf := newBankFixture(b)
	f := &authFixture{st: bf.st, clock: testclock.New(testNow)}
	hash, _ := auth.HashPassword(testPassword, cheapArgon)
	ctx := context.Background()
	if err := f.st.AddUser(ctx, auth.User{Name: "analyst", Role: auth.Analyst, PasswordHash: hash, CreatedAt: testNow, Changed: testNow}); err != nil {
		b.Fatal(err)
	}
	secret, id := auth.NewSecret("")
	if err := f.st.AddSession(ctx, auth.Session{ID: id, User: "analyst", CreatedAt: testNow, SeenAt: testNow}); err != nil {
		b.Fatal(err)
	}
	tok, th := auth.NewSecret(auth.TokenPrefix)
	if err := f.st.AddToken(ctx, auth.Token{Name: "bot", Role: auth.Analyst, Hash: th, CreatedAt: testNow}); err != nil {
		b.Fatal(err)
	}
	f.opts = Options{Store: f.st, Users: f.st, Now: f.clock.Now, Hosts: []string{testHost}}
	f.h = New(f.opts)
	return benchAuth{f, secret, tok}
}
