// Package ocrtest renders Arabic text as images for the tests of the OCR
// path: Chromium shapes Arabic (joining, ligatures, right to left) as
// browsers show it, so a test reads back text it knows.
package ocrtest

import (
	"context"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Render writes lines of text, black on white in Noto Sans Arabic, as a
// PNG of width×height at path; the test is skipped without chromium.
func Render(t testing.TB, path string, width, height int, lines []string) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not on PATH; install it to render the OCR test images")
	}
	var b strings.Builder
	b.WriteString(`<!doctype html><html dir="rtl"><head><meta charset="utf-8"></head><body style="margin:0;background:#fff;color:#000;font-family:'Noto Sans Arabic',sans-serif;font-size:28px;padding:20px 40px;line-height:1.6">`)
	for _, l := range lines {
		fmt.Fprintf(&b, "<div>%s</div>", html.EscapeString(l))
	}
	b.WriteString("</body></html>")
	page := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(page, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
		"--screenshot="+path, fmt.Sprintf("--window-size=%d,%d", width, height), "file://"+page)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v: %s", err, out)
	}
}
