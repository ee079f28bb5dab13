package app

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/review"
	"github.com/raqib-project/raqib/internal/rules"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// TestExportDecisions ingests a post the rules always flag, confirms its
// case as an analyst would, and exports the decision as the data set
// train and eval read.
func TestExportDecisions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// Hand-made line with the canary, which the rules always flag.
	text := filepath.Join(dir, "canary.txt")
	if err := os.WriteFile(text, []byte("منشور اختبار "+rules.Canary+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := testConfig(t, "ingest", "--progress", "never")
	c.Args = []string{text}
	if err := Run(ctx, "ingest", c); err != nil {
		t.Fatalf("%v\n%s", err, c.Stderr)
	}
	st, err := sqlite.Open(ctx, c.Data)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := st.Queue(ctx, store.QueueQuery{Queue: store.QueueAll})
	if err != nil || len(cs) != 1 {
		t.Fatalf("open cases %v, %v", cs, err)
	}
	rv := review.New(st, nil)
	who := review.Actor{Principal: auth.Principal{User: "amal", Role: auth.Analyst}}
	if _, _, err := rv.Apply(ctx, who, cs[0].ID, review.Action{Kind: review.Confirm, Label: post.Recruitment}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out := filepath.Join(dir, "decisions.csv")
	e := testConfig(t, "export", "decisions", "--since", "24h", "--out", out)
	e.Data = c.Data
	if err := Run(ctx, "export", e); err != nil {
		t.Fatalf("%v\n%s", err, e.Stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || strings.Join(rows[0], ",") != "id,author,decision,label,reason,text" {
		t.Fatalf("export %q", rows)
	}
	if r := rows[1]; r[2] != "confirmed" || r[3] != "recruitment" || !strings.Contains(r[5], rules.Canary) {
		t.Errorf("row %q", r)
	}
	list, err := runAuditCmd(t, c.Data, "list")
	if err != nil || !strings.Contains(list, "export.decisions") || !strings.Contains(list, "case.confirm") {
		t.Errorf("audit list lacks the confirmation or the export: %v\n%s", err, list)
	}

	for _, args := range [][]string{{"export"}, {"export", "posts"}, {"export", "decisions", "--since", "yesterday"}} {
		b := testConfig(t, args...)
		b.Data = c.Data
		if err := Run(ctx, "export", b); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
