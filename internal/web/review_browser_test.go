package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// press sends a key press to the page as a user's keyboard would.
func (d *devtools) press(key string) {
	d.t.Helper()
	down := map[string]any{"type": "keyDown", "key": key}
	switch key {
	case "Enter":
		down["code"], down["windowsVirtualKeyCode"], down["text"] = "Enter", 13, "\r"
	default:
		down["text"] = key
	}
	d.call("Input.dispatchKeyEvent", down)
	d.call("Input.dispatchKeyEvent", map[string]any{"type": "keyUp", "key": key})
}

// screenshot keeps a full-page screenshot as a test artefact: in
// RAQIB_SCREENSHOTS when it names a folder, else in raqib-screenshots in
// the system's temporary folder, which outlives the test.
func (d *devtools) screenshot(name string) {
	d.t.Helper()
	var shot struct {
		Data []byte `json:"data"`
	}
	json.Unmarshal(d.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}), &shot)
	if !bytes.HasPrefix(shot.Data, []byte("\x89PNG")) {
		d.t.Fatalf("no screenshot of %s", name)
	}
	dir := os.Getenv("RAQIB_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "raqib-screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			d.t.Fatal(err)
		}
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, shot.Data, 0o644); err != nil {
		d.t.Error(err)
	}
	d.t.Logf("screenshot: %s", path)
}

// casePath is the id of the case page the browser shows, 0 elsewhere.
func (d *devtools) caseOnPage() int64 {
	d.t.Helper()
	var id string
	json.Unmarshal([]byte(d.eval(`(document.getElementById("case") || {dataset: {case: "0"}}).dataset.case`)), &id)
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

// waitForCase waits until the browser shows a case page other than not.
func (d *devtools) waitForCase(not int64) int64 {
	d.t.Helper()
	d.waitFor(`document.readyState === "complete" && document.getElementById("case") !== null && document.getElementById("case").dataset.case !== "` + strconv.FormatInt(not, 10) + `"`)
	return d.caseOnPage()
}

// TestBrowserReviewLoop works cases end to end in a real browser, in
// Arabic and in English: opens the queue, picks the first case with j and
// Enter, confirms it with c, dismisses the next with d and a reason,
// escalates the next with e (each key going on to the next case of the
// queue), then dismisses the 200 campaign cases a search finds in one
// bulk action. Screenshots of the queue, a case and the bulk result are
// kept when RAQIB_SCREENSHOTS names a folder.
func TestBrowserReviewLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not on PATH; install it (apt-get install chromium) to run the browser test")
	}
	for _, tc := range []struct{ lang, acceptLang, dir string }{{"ar", "ar", "rtl"}, {"en", "en-US,en", "ltr"}} {
		t.Run(tc.lang, func(t *testing.T) {
			ctx := context.Background()
			// Three cases are worked one by one; at least 200 of the
			// campaign's are left for the bulk action.
			st := reviewStore(t, 203)
			srv := httptest.NewServer(handlerAs(st, auth.Analyst))
			defer srv.Close()
			d := openDevtools(t, bin, srv.URL+"/cases", tc.acceptLang)
			d.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false})
			d.waitFor(`document.readyState === "complete" && document.querySelectorAll("tr.case-row").length > 0`)
			if got := d.eval(`document.documentElement.dir`); got != `"`+tc.dir+`"` {
				t.Errorf("dir = %s", got)
			}
			d.screenshot("queue-" + tc.lang)

			d.press("j")
			d.waitFor(`document.querySelector("tr.case-row.selected") === document.querySelector("tr.case-row")`)
			d.press("Enter")
			first := d.waitForCase(0)
			d.waitFor(`document.querySelector("#form-confirm select[name=label]") !== null`)
			d.screenshot("case-" + tc.lang)

			d.press("c")
			second := d.waitForCase(first)
			d.press("d")
			d.waitFor(`document.activeElement === document.querySelector("#form-dismiss select")`)
			d.eval(`document.querySelector("#form-dismiss select").value = "counter_speech"; true`)
			d.press("Enter")
			third := d.waitForCase(second)
			d.press("e")
			d.waitForCase(third)

			for _, want := range []struct {
				id     int64
				status post.CaseStatus
				check  func(post.Case) bool
			}{
				{first, post.CaseConfirmed, func(c post.Case) bool { return c.Approval == post.ApprovalPending && c.DecidedBy == "test-analyst" }},
				{second, post.CaseDismissed, func(c post.Case) bool { return c.Dismissal == post.DismissCounterSpeech }},
				{third, post.CaseOpen, func(c post.Case) bool { return c.Escalated }},
			} {
				c, err := st.Case(ctx, want.id)
				if err != nil || c.Status != want.status || !want.check(c) {
					t.Errorf("case %d after the review loop: %+v (%v), want %s", want.id, c, err, want.status)
				}
			}

			d.eval(`location.href = "/cases/bulk?q=` + url.QueryEscape(campaignWord) + `"; true`)
			d.waitFor(`document.readyState === "complete" && document.getElementById("bulk-count") !== null`)
			var count int
			json.Unmarshal([]byte(d.eval(`+document.getElementById("bulk-count").textContent`)), &count)
			if count < 200 {
				t.Fatalf("the search found %d open cases, want at least 200", count)
			}
			d.eval(`document.querySelector("#bulk-form select[name=dismissal]").value = "duplicate"; document.querySelector("#bulk-form button[value=dismiss]").click(); true`)
			d.waitFor(`document.readyState === "complete" && document.getElementById("bulk-done") !== null`)
			var done int
			json.Unmarshal([]byte(d.eval(`+document.getElementById("bulk-done").textContent`)), &done)
			// The escalated case waits for a senior: the analyst's bulk
			// action skips it, and says so.
			escalated := 0
			if c, _ := st.Case(ctx, third); isCampaign(c) {
				escalated = 1
			}
			if done != count-escalated || done < 200 {
				t.Errorf("bulk dismissed %d of %d (%d escalated)", done, count, escalated)
			}
			if escalated == 1 && d.eval(`document.querySelector(".failed a").getAttribute("href")`) != `"/cases/`+strconv.FormatInt(third, 10)+`"` {
				t.Error("the refused escalated case is not listed")
			}
			d.screenshot("bulk-" + tc.lang)
			all, err := st.AuditEntries(ctx, store.AuditFilter{Limit: 1000})
			au, reads := decisionsIn(all)
			if reads < 3 {
				t.Errorf("%d reads of cases audited, want one per case page shown", reads)
			}
			if err != nil || len(au) != 3+done {
				t.Errorf("%d audit entries (%v), want one per decision (%d)", len(au), err, 3+done)
			}
			open, err := st.OpenCasesOf(ctx, campaignKeys(203))
			if err != nil || len(open) != escalated {
				t.Errorf("open campaign cases left: %v (%v)", open, err)
			}
		})
	}
}

func campaignKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = post.KeyOf("x", "campaign", strconv.Itoa(9000+i))
	}
	return keys
}

// isCampaign reports whether c is a case of a campaign post.
func isCampaign(c post.Case) bool { return strings.HasPrefix(c.PostKey, "x:campaign:") }
