package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// chromium runs headless Chromium on url with extra flags and returns the
// standard output and the browser's log (console messages, CSP reports).
func chromium(t *testing.T, bin, url string, flags ...string) (stdout, log string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + t.TempDir(),
	}, flags...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", url, err, errb.String())
	}
	return out.String(), errb.String()
}

// TestBrowser renders the pages in a real browser: the right-to-left DOM,
// Arabic text, the highlight marks, htmx loading under the strict CSP, and
// a screenshot to look at (kept when RAQIB_SCREENSHOTS names a folder).
func TestBrowser(t *testing.T) {
	bin := browser(t)
	var (
		mu     sync.Mutex
		served = map[string]int{}
	)
	h := newTestHandler(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		mu.Lock()
		served[r.URL.Path] = sw.status
		mu.Unlock()
	}))
	defer srv.Close()

	tests := []struct {
		name, path string
		acceptLang string // Chromium's Accept-Language
		want       []string
	}{
		{"list", "/", "ar", []string{`<html lang="ar" dir="rtl">`, "الدولة الإسلامية باقية وتتمدد", `class="badge violating"`, "&lt;script&gt;alert('xss')&lt;/script&gt;"}},
		{"post", postURL(keyPropaganda), "ar", []string{`dir="rtl"`, `<mark class="hl-propaganda"`, "الاسلاميه</mark>"}},
		{"list English", "/?violating=1", "en-US,en", []string{`<html lang="en" dir="ltr">`, "Violating only"}},
		{"sources", "/sources", "ar", []string{`dir="rtl"`, "مصادر الجمع", "exports/bayan/result.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dom, log := chromium(t, bin, srv.URL+tt.path, "--dump-dom", "--virtual-time-budget=3000", "--accept-lang="+tt.acceptLang)
			for _, s := range tt.want {
				if !strings.Contains(dom, s) {
					t.Errorf("DOM lacks %q", s)
				}
			}
			if strings.Contains(dom, "<script>alert") {
				t.Error("the DOM holds a live script from a post")
			}
			for _, line := range strings.Split(log, "\n") {
				if strings.Contains(line, "Content Security Policy") || strings.Contains(line, "Uncaught") {
					t.Errorf("browser: %s", line)
				}
			}
			mu.Lock()
			htmx, css := served["/static/htmx.min.js"], served["/static/raqib.css"]
			mu.Unlock()
			if htmx != http.StatusOK || css != http.StatusOK {
				t.Errorf("static files served with %d (htmx) and %d (css), want 200", htmx, css)
			}

			shot := filepath.Join(t.TempDir(), tt.name+".png")
			chromium(t, bin, srv.URL+tt.path, "--screenshot="+shot, "--window-size=1280,900", "--hide-scrollbars", "--accept-lang="+tt.acceptLang)
			b, err := os.ReadFile(shot)
			if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
				t.Fatalf("no screenshot: %v", err)
			}
			if dir := os.Getenv("RAQIB_SCREENSHOTS"); dir != "" {
				if err := os.WriteFile(filepath.Join(dir, tt.name+".png"), b, 0o644); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// devtools drives Chromium over --remote-debugging-pipe: commands go to the
// browser's fd 3 and answers come from its fd 4, one JSON message per NUL.
type devtools struct {
	t       *testing.T
	w       io.Writer
	r       *bufio.Reader
	id      int
	session string
}

// call sends a command and waits for its answer, skipping events.
func (d *devtools) call(method string, params any) json.RawMessage {
	d.t.Helper()
	d.id++
	msg := map[string]any{"id": d.id, "method": method, "params": params}
	if d.session != "" {
		msg["sessionId"] = d.session
	}
	b, err := json.Marshal(msg)
	if err != nil {
		d.t.Fatal(err)
	}
	if _, err := d.w.Write(append(b, 0)); err != nil {
		d.t.Fatalf("devtools %s: %v", method, err)
	}
	for {
		line, err := d.r.ReadBytes(0)
		if err != nil {
			d.t.Fatalf("devtools %s: %v", method, err)
		}
		var resp struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(line[:len(line)-1], &resp); err != nil {
			d.t.Fatalf("devtools answer %q: %v", line, err)
		}
		if resp.ID != d.id {
			continue
		}
		if resp.Error != nil {
			d.t.Fatalf("devtools %s: %s", method, resp.Error.Message)
		}
		return resp.Result
	}
}

// eval runs JavaScript in the page (DevTools is not bound by the page's
// CSP) and returns its value as JSON text.
func (d *devtools) eval(expr string) string {
	d.t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails json.RawMessage `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(d.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}), &res); err != nil {
		d.t.Fatal(err)
	}
	if res.ExceptionDetails != nil {
		d.t.Fatalf("%s: %s", expr, res.ExceptionDetails)
	}
	return string(res.Result.Value)
}

// waitFor evaluates expr until it is true.
func (d *devtools) waitFor(expr string) {
	d.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for d.eval(expr) != "true" {
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %s", expr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// browser returns the Chromium to run a browser test with; the test is
// skipped in -short mode or when there is none.
func browser(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not on PATH; install it (apt-get install chromium) to run the browser test")
	}
	return bin
}

// openDevtools starts headless Chromium driven over a pipe, opens url in a
// tab and attaches to it; the browser is closed when the test ends.
func openDevtools(t *testing.T, bin, url, acceptLang string) *devtools {
	t.Helper()
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--remote-debugging-pipe", "--accept-lang="+acceptLang, "--user-data-dir="+t.TempDir(), "about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, outW}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	cmdR.Close()
	outW.Close()
	d := &devtools{t: t, w: cmdW, r: bufio.NewReader(outR)}
	// Browser.close lets Chromium stop its child processes before the test
	// removes the profile folder they write to; the context kills it if not.
	// Cleanups run last in, first out, so this runs before TempDir's.
	t.Cleanup(func() {
		// Not d.call: this also runs after a failed check, where it must
		// not fail again.
		fmt.Fprintf(cmdW, `{"id":%d,"method":"Browser.close"}`+"\x00", d.id+1)
		cmdW.Close()
		cmd.Wait()
		cancel()
	})

	var target struct {
		TargetID string `json:"targetId"`
	}
	json.Unmarshal(d.call("Target.createTarget", map[string]any{"url": url}), &target)
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	json.Unmarshal(d.call("Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}), &attached)
	d.session = attached.SessionID
	return d
}

// TestBrowserSearchAsYouType types into the search box of a real browser and
// checks that htmx replaced the results in place and pushed the URL.
func TestBrowserSearchAsYouType(t *testing.T) {
	bin := browser(t)
	srv := httptest.NewServer(newTestHandler(t))
	defer srv.Close()
	d := openDevtools(t, bin, srv.URL+"/", "ar")

	d.waitFor(`document.readyState === "complete" && typeof htmx === "object" && document.querySelectorAll(".post-link").length === 5`)
	if got := d.eval(`document.documentElement.dir`); got != `"rtl"` {
		t.Errorf("dir = %s", got)
	}
	// A full reload would lose this marker; an htmx swap keeps it.
	d.eval(`window.raqibMarker = 1; const q = document.querySelector("input[name=q]"); q.value = "اللَّه"; q.dispatchEvent(new Event("input", {bubbles: true})); true`)
	d.waitFor(`document.querySelectorAll(".post-link").length === 1`)
	if got := d.eval(`window.raqibMarker === 1 && decodeURIComponent(location.search).includes("q=اللَّه")`); got != "true" {
		t.Errorf("search did not update in place with the URL pushed: %s, %s", got, d.eval(`location.href`))
	}
	if got := d.eval(`document.querySelector(".post-link").getAttribute("href")`); got != `"`+postURL(keyPropaganda)+`"` {
		t.Errorf("found %s, want the propaganda post", got)
	}
	d.eval(`document.querySelector("select[name=platform]").value = "x"; document.querySelector("select[name=platform]").dispatchEvent(new Event("input", {bubbles: true})); true`)
	d.waitFor(`document.querySelectorAll(".post-link").length === 0 && document.querySelector("#results .summary") !== null`)
	if got := d.eval(`window.raqibMarker === 1 && document.getElementById("lang-switch").getAttribute("href").includes("platform=x")`); got != "true" {
		t.Errorf("the filter did not swap in place or the language link was not updated: %s", d.eval(`document.getElementById("lang-switch").getAttribute("href")`))
	}
}

// TestBrowserMatchPanel loads a post with a known-content match: both images
// load from /media under the CSP, start blurred, are side by side (this
// post's on the inline-start side, so on the right in Arabic), and a click
// reveals one of them only. A screenshot of the panel is kept when
// RAQIB_SCREENSHOTS names a folder.
func TestBrowserMatchPanel(t *testing.T) {
	bin := browser(t)
	f := newBankFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	d := openDevtools(t, bin, srv.URL+postURL(keyMatched), "ar")
	d.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false})

	d.waitFor(`document.readyState === "complete" && document.querySelectorAll("img.blurred").length === 2 && [...document.querySelectorAll("img.blurred")].every(i => i.complete && i.naturalWidth === 96)`)
	const filters = `JSON.stringify([...document.querySelectorAll("img.blurred")].map(i => getComputedStyle(i).filter))`
	if got := d.eval(filters); !strings.Contains(got, `blur(28px) grayscale(0.7)\",\"blur(28px)`) {
		t.Errorf("images are not both blurred: %s", got)
	}
	var sides [][2]float64
	json.Unmarshal([]byte(d.eval(`[...document.querySelectorAll(".match:first-of-type .side")].map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top]; })`)), &sides)
	if len(sides) != 2 || sides[0][1] != sides[1][1] || sides[0][0] <= sides[1][0] {
		t.Errorf("the two sides are not side by side with this post's on the right: %v", sides)
	}
	d.eval(`document.querySelector('label[for="reveal-m0-post"]').click(); true`)
	if got := d.eval(filters); !strings.HasPrefix(got, `"[\"none\",\"blur(`) {
		t.Errorf("a click did not reveal this post's image alone: %s", got)
	}

	var clip struct{ X, Y, W, H float64 }
	json.Unmarshal([]byte(d.eval(`(() => { const r = document.getElementById("matches").getBoundingClientRect(); return {X: r.left, Y: r.top + scrollY, W: r.width, H: r.height}; })()`)), &clip)
	var shot struct {
		Data []byte `json:"data"`
	}
	json.Unmarshal(d.call("Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": clip.X, "y": clip.Y, "width": clip.W, "height": clip.H, "scale": 1},
	}), &shot)
	if !bytes.HasPrefix(shot.Data, []byte("\x89PNG")) {
		t.Fatalf("no screenshot of the match panel")
	}
	if dir := os.Getenv("RAQIB_SCREENSHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "match.png"), shot.Data, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// TestBrowserBankToggle disables a bank from the list in a real browser:
// htmx posts the form (same-origin, so the CSRF check lets it through),
// swaps the row in place, and the store has the change.
func TestBrowserBankToggle(t *testing.T) {
	bin := browser(t)
	f := newBankFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	d := openDevtools(t, bin, srv.URL+"/banks", "ar")

	const row = `document.getElementById("bank-` + bankPartner + `")`
	d.waitFor(`document.readyState === "complete" && typeof htmx === "object" && ` + row + ` !== null`)
	d.eval(`window.raqibMarker = 1; ` + row + `.querySelector("button").click(); true`)
	d.waitFor(row + `.classList.contains("row-off")`)
	var label string
	json.Unmarshal([]byte(d.eval(`window.raqibMarker === 1 && `+row+`.querySelector("button").textContent`)), &label)
	if label != catalogue["ar"]["banks.enable"] {
		t.Errorf("the row was not swapped in place: button %q", label)
	}
	if banks, _ := f.enabled(t); banks[bankPartner] {
		t.Error("the store still has the bank enabled")
	}
}
