package web

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserLogin signs in through the login page in a real browser, in
// Arabic and in English, reaches the list page, signs out, and saves a
// screenshot of the login page and of the list (kept when
// RAQIB_SCREENSHOTS names a folder).
func TestBrowserLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not on PATH; install it (apt-get install chromium) to run the browser test")
	}
	f := newAuthFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()

	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()))...)
	defer cancel()
	for _, tt := range []struct {
		lang, dir, title, nav string
	}{
		{"ar", "rtl", "تسجيل الدخول", "المنشورات"},
		{"en", "ltr", "Sign in", "Posts"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(alloc)
			defer cancel()
			ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			do := func(steps ...chromedp.Action[chromedp.Void]) {
				t.Helper()
				if err := chromedp.Do(ctx, steps...); err != nil {
					t.Fatal(err)
				}
			}
			text := func(a chromedp.Action[string]) string {
				t.Helper()
				v, err := chromedp.Run(ctx, a)
				if err != nil {
					t.Fatal(err)
				}
				return strings.TrimSpace(v)
			}
			attr := func(sel, name string) string {
				t.Helper()
				v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
				if err != nil {
					t.Fatal(err)
				}
				return v.Value
			}
			shot := func() []byte {
				t.Helper()
				b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			// Choose the language, then ask for a page: the server sends the
			// browser to the login page and back.
			do(chromedp.Navigate(srv.URL+"/login?lang="+tt.lang), chromedp.Navigate(srv.URL+"/sources"), chromedp.WaitVisible(chromedp.ID("login-user")))
			loginURL, loginDir, heading := text(chromedp.Location()), attr("html", "dir"), text(chromedp.Text(chromedp.CSS("h1")))
			loginShot := shot()
			do(chromedp.SendKeys(chromedp.ID("login-user"), "analyst"),
				chromedp.SendKeys(chromedp.ID("login-password"), testPassword),
				chromedp.Click(chromedp.ID("login-submit")),
				chromedp.WaitVisible(chromedp.ID("logout")))
			listURL, listLang, listDir := text(chromedp.Location()), attr("html", "lang"), attr("html", "dir")
			nav, user := text(chromedp.Text(chromedp.CSS("nav.nav"))), text(chromedp.Text(chromedp.CSS(".user-menu .user")))
			do(chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("logout")))
			listShot := shot()
			do(chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-user")),
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
			for name, shot := range map[string][]byte{"login-" + tt.lang: loginShot, "list-signed-in-" + tt.lang: listShot} {
				if !bytes.HasPrefix(shot, []byte("\x89PNG")) {
					t.Fatalf("%s: no PNG screenshot", name)
				}
				for _, dir := range []string{t.TempDir(), os.Getenv("RAQIB_SCREENSHOTS")} {
					if dir == "" {
						continue
					}
					if err := os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	got := strings.Join(f.auditActions(t), "\n")
	if strings.Count(got, "analyst login analyst 127.0.0.1") != 2 || strings.Count(got, "analyst logout") != 2 {
		t.Errorf("audit trail of two sign-ins and sign-outs:\n%s", got)
	}
}
