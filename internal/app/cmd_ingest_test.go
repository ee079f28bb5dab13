package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIngestTextFolder checks that .txt and .md files are read as plain
// text (they read nothing and exited 0 before) and that the report names
// the files it skipped.
func TestIngestTextFolder(t *testing.T) {
	dir := t.TempDir()
	// Hand-made Arabic lines.
	for i := range 6 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("note%d.txt", i)), []byte("سطر أول\nسطر ثان\n"), 0o600)
	}
	os.WriteFile(filepath.Join(dir, "notes.md"), []byte("# عنوان\n"), 0o600)
	for i := range 7 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("blob%d.bin", i)), []byte{0, 1, 2, 3}, 0o600)
	}
	c := testConfig(t, "ingest", "--progress", "never")
	c.Args = []string{dir}
	if err := Run(context.Background(), "ingest", c); err != nil {
		t.Fatalf("%v\n%s", err, c.Stderr)
	}
	out := c.Stdout.(*bytes.Buffer).String()
	if got := parseSummary(t, out); got["imported"] != 13 {
		t.Errorf("imported %v, want the 13 lines of the text files\n%s", got, out)
	}
	if !strings.Contains(out, "skipped 7 files") || !strings.Contains(out, filepath.Join(dir, "blob0.bin")) ||
		!strings.Contains(out, "and 2 more") || strings.Contains(out, "blob6.bin") {
		t.Errorf("report does not name a few skipped files and count the rest:\n%s", out)
	}
}

// TestReportNamesFailedFiles checks that the report names the files that
// could not be read (ingest's own tests make a folder with a broken file).
func TestReportNamesFailedFiles(t *testing.T) {
	var rep report
	for i := range 7 {
		rep.FailedFiles = append(rep.FailedFiles, fmt.Sprintf("chat%d.zip (whatsapp): damaged input zip: zip: checksum error", i))
	}
	var out bytes.Buffer
	rep.print(&out)
	if !strings.Contains(out.String(), "failed: chat0.zip (whatsapp): damaged input zip") || !strings.Contains(out.String(), "and 2 more failed files") {
		t.Errorf("report:\n%s", out.String())
	}
}

// TestScanRefusesBinary checks that `raqib scan photo.png notes.txt` with a
// photo OCR cannot read (a bare PNG header) names the photo in its error
// and still scans the text.
func TestScanRefusesBinary(t *testing.T) {
	dir := t.TempDir()
	photo, notes := filepath.Join(dir, "photo.png"), filepath.Join(dir, "notes.txt")
	os.WriteFile(photo, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00"), 0o600)
	os.WriteFile(notes, []byte("نتيجة المباراة اليوم\n"), 0o600)
	c := testConfig(t, "scan")
	c.Args = []string{photo, notes}
	err := Run(context.Background(), "scan", c)
	if err == nil || !strings.Contains(err.Error(), "photo.png") {
		t.Errorf("err = %v, want one naming photo.png", err)
	}
	if out := c.Stdout.(*bytes.Buffer).String(); strings.Count(out, "\n") != 1 || !strings.Contains(out, "notes.txt") {
		t.Errorf("verdicts:\n%s\nwant one, for notes.txt", out)
	}
}
