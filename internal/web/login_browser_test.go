package web

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// newChromedp returns the allocator of a headless Chromium for chromedp,
// skipping the test when there is none (or in -short mode). Each
// chromedp.NewContext of it is a tab of one browser.
func newChromedp(t *testing.T) context.Context {
	t.Helper()
	bin := browser(t)
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()))...)
	t.Cleanup(cancel)
	return alloc
}

// newTab opens a tab of the browser of alloc for t, closed when t ends;
// every step in it must be done within limit.
func newTab(t *testing.T, alloc context.Context, limit time.Duration) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	// The first run starts the browser, and must not have a deadline of
	// its own (see chromedp.Run).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(ctx, limit)
	t.Cleanup(cancel)
	return ctx
}

// tabRun runs a in the tab of ctx and returns its value; an error fails t.
func tabRun[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// tabDo runs steps in the tab of ctx; an error fails t.
func tabDo(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tabRun(t, ctx, chromedp.Steps(steps...))
}

// waitUntil evaluates the JavaScript expr in the tab until it is true. It
// goes on through page loads, which chromedp.Poll does not survive.
func waitUntil(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("timed out waiting for %s (last error: %v)", expr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// openLogin chooses the language lang on the login page and then asks for
// the page at path of the server at base, which sends the browser to the
// login page, to come back to path once signed in.
func openLogin(base, lang, path string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Navigate(base+"/login?lang="+lang), chromedp.Navigate(base+path),
		chromedp.WaitVisible(chromedp.ID("login-user")))
}

// submitLogin signs user in with password on the login page the browser
// shows, as a person types, and waits for the page it is sent back to.
func submitLogin(user, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.SendKeys(chromedp.ID("login-user"), user),
		chromedp.SendKeys(chromedp.ID("login-password"), password),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("logout")))
}

// screenshot keeps a screenshot of the whole page the tab shows as a test
// artefact: in RAQIB_SCREENSHOTS when it names a folder, else in
// raqib-screenshots in the system's temporary folder, which outlives the
// test.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := tabRun(t, ctx, chromedp.FullScreenshot(100))
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("%s: no PNG screenshot", name)
	}
	dir := os.Getenv("RAQIB_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "raqib-screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Error(err)
	}
	t.Logf("screenshot: %s", path)
}

// TestBrowserLogin signs in through the login page in a real browser, in
// Arabic and in English, reaches the list page, signs out, and keeps a
// screenshot of the login page and of the list.
func TestBrowserLogin(t *testing.T) {
	alloc := newChromedp(t)
	f := newAuthFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()

	for _, tt := range []struct {
		lang, dir, title, nav string
	}{
		{"ar", "rtl", "تسجيل الدخول", "المنشورات"},
		{"en", "ltr", "Sign in", "Posts"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			ctx := newTab(t, alloc, 60*time.Second)
			text := func(a chromedp.Action[string]) string {
				t.Helper()
				return strings.TrimSpace(tabRun(t, ctx, a))
			}
			attr := func(sel, name string) string {
				t.Helper()
				return tabRun(t, ctx, chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
			}
			tabDo(t, ctx, openLogin(srv.URL, tt.lang, "/sources"))
			loginURL, loginDir, heading := text(chromedp.Location()), attr("html", "dir"), text(chromedp.Text(chromedp.CSS("h1")))
			screenshot(t, ctx, "login-"+tt.lang)
			tabDo(t, ctx, submitLogin("analyst", testPassword))
			listURL, listLang, listDir := text(chromedp.Location()), attr("html", "lang"), attr("html", "dir")
			nav, user := text(chromedp.Text(chromedp.CSS("nav.nav"))), text(chromedp.Text(chromedp.CSS(".user-menu .user")))
			tabDo(t, ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("logout")))
			screenshot(t, ctx, "list-signed-in-"+tt.lang)
			tabDo(t, ctx, chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-user")),
				chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("login-user")))
			afterLogout := text(chromedp.Location())
			if !strings.Contains(loginURL, "/login?next=%2Fsources") || loginDir != tt.dir || heading != tt.title {
				t.Errorf("login page at %s, dir %s, heading %q", loginURL, loginDir, heading)
			}
			if !strings.HasSuffix(listURL, "/sources") || listLang != tt.lang || listDir != tt.dir || !strings.Contains(nav, tt.nav) || user != "analyst" {
				t.Errorf("after sign-in at %s: lang %s dir %s nav %q user %q", listURL, listLang, listDir, nav, user)
			}
			if !strings.Contains(afterLogout, "/login") {
				t.Errorf("after sign-out / is at %s, want the login page", afterLogout)
			}
		})
	}
	got := strings.Join(f.auditActions(t), "\n")
	if strings.Count(got, "analyst login analyst 127.0.0.1") != 2 || strings.Count(got, "analyst logout") != 2 {
		t.Errorf("audit trail of two sign-ins and sign-outs:\n%s", got)
	}
}
