package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// TestEvidenceCommands captures a case from the command line, verifies it,
// exports it, and sees verify fail naming the WARC after a byte in it
// changes.
func TestEvidenceCommands(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	st, err := sqlite.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	// Hand-made Arabic post.
	p := post.Post{Platform: post.Telegram, Channel: post.Channel{ID: "c"}, ID: "1", Kind: post.Message,
		Text: "باقية وتتمدد", Norm: "باقيه وتتمدد", PostedAt: time.Now().UTC(), CollectedAt: time.Now().UTC(),
		Raw: []byte(`{"id":1}`), Origin: post.Origin{Format: "telegram", File: "x.json"},
		Decision: post.Decision{Label: post.Propaganda, Tier: 2, Violating: true}}
	if _, err := st.SavePosts(ctx, []post.Post{p}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ProposeCases(ctx, []post.CaseProposal{{PostKey: p.Key(), Label: post.Propaganda, Tier: 2, Reason: "test"}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	run := func(args ...string) (string, error) {
		c := testConfig(t, append([]string{"evidence"}, args...)...)
		c.Data = data
		err := Run(ctx, "evidence", c)
		return c.Stdout.(*bytes.Buffer).String(), err
	}
	out, err := run("capture", "1")
	if err != nil || !strings.Contains(out, "captured case-1/") {
		t.Fatalf("capture: %q, %v", out, err)
	}
	if out, err := run("verify"); err != nil || !strings.Contains(out, "1 captures") {
		t.Fatalf("verify: %q, %v", out, err)
	}
	pkg := filepath.Join(t.TempDir(), "case-1.zip")
	if out, err := run("export", "1", "--out", pkg); err != nil {
		t.Fatalf("export: %q, %v", out, err)
	}
	if out, err := run("verify", "--package", pkg); err != nil {
		t.Fatalf("verify --package: %q, %v", out, err)
	}
	warcs, _ := filepath.Glob(filepath.Join(data, "evidence", "case-1", "*", "capture.warc.gz"))
	if len(warcs) != 1 {
		t.Fatalf("WARC files %v", warcs)
	}
	b, _ := os.ReadFile(warcs[0])
	b[len(b)/2] ^= 1
	os.Chmod(warcs[0], 0o600)
	os.WriteFile(warcs[0], b, 0o600)
	out, err = run("verify")
	if err == nil || !strings.Contains(out, "FAIL case-1/") || !strings.Contains(out, "capture.warc.gz") {
		t.Fatalf("verify after a flipped byte: %q, %v", out, err)
	}
	if _, err := run("capture", "x"); err == nil {
		t.Fatal("capture of case x accepted")
	}
}
