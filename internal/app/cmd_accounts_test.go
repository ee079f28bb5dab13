package app

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/account"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// TestAccountsEndToEnd ingests hand-made posts through the pipeline and
// checks what the worker recorded of their authors (links, a platform's
// withheld flag as a removal with evidence, lifecycle counters), then
// removes an account from the command line, confirms its successor and
// exports the graph.
func TestAccountsEndToEnd(t *testing.T) {
	ctx := context.Background()
	now := time.Now().UTC()
	mk := func(id, author, handle string, at time.Time, links ...string) post.Post {
		return post.Post{Platform: post.Telegram, ID: id, Kind: post.Message, Channel: post.Channel{Platform: post.Telegram, ID: "room"},
			Author: post.Account{Platform: post.Telegram, ID: author, Handle: handle}, Text: "منشور عادي مكتوب يدويا " + id,
			PostedAt: at, Outlinks: links}
	}
	ps := []post.Post{
		mk("1", "a1", "abu_muhammad_shami", now.Add(-40*24*time.Hour), "https://t.me/+Inv1te"),
		mk("2", "inn", "mohammed_ali", now.Add(-35*24*time.Hour)),
		mk("3", "a2", "abumuhammad_shami_7", now.Add(-2*time.Hour), "https://t.me/+Inv1te"),
		mk("4", "w", "withheld_one", now.Add(-time.Hour)),
		mk("5", "inn", "mohammed_ali", now.Add(-time.Hour)), // back after 30 days: reactivated
	}
	ps[1].Mentions = []string{"@abu_muhammad_shami"}
	ps[3].Author.Withheld = []string{"DE", "FR"}
	var b strings.Builder
	for _, p := range ps {
		line, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(line, '\n'))
	}
	file := filepath.Join(t.TempDir(), "posts.jsonl")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	// One post a batch, so that the reactivation is seen against the
	// registry, not only within a batch.
	c := testConfig(t, "ingest", "--progress", "never", "--batch", "1", "--workers", "1")
	c.Args = []string{file}
	if err := Run(ctx, "ingest", c); err != nil {
		t.Fatalf("%v\n%s", err, c.Stderr)
	}
	run := func(args ...string) string {
		t.Helper()
		rc := testConfig(t, args...)
		rc.Data = c.Data
		if err := Run(ctx, args[0], rc); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, rc.Stderr)
		}
		return fmt.Sprint(rc.Stdout)
	}
	st, err := sqlite.Open(ctx, c.Data)
	if err != nil {
		t.Fatal(err)
	}
	w := store.AccountRef{Platform: post.Telegram, ID: "w"}
	hist, err := st.StatusHistory(ctx, w)
	if err != nil || len(hist) != 1 || hist[0].Status != store.StatusRemoved || !strings.Contains(hist[0].Evidence, "DE, FR") {
		t.Errorf("withheld account's status history %+v, %v", hist, err)
	}
	links, err := st.LinksOf(ctx, store.AccountRef{Platform: post.Telegram, ID: "a2"})
	if err != nil || len(links) != 1 || links[0].Link != "t.me/+Inv1te" {
		t.Errorf("links of a2: %+v, %v", links, err)
	}
	counts, err := account.LifecycleCounts(ctx, st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if counts["new"].Total != 4 || counts["removed"].Total != 1 || counts["reactivated"].Total != 1 {
		t.Errorf("lifecycle counts %+v: want 4 new, 1 removed, 1 reactivated", counts)
	}
	st.Close()

	if out := run("accounts", "status", "telegram/a1", "removed", "--evidence", "t.me/abu_muhammad_shami answers: no such account"); !strings.Contains(out, "now removed") {
		t.Errorf("status: %s", out)
	}
	out := run("accounts", "successors", "--json")
	var l store.SuccessorLink
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &l); err != nil || l.To.ID != "a2" {
		t.Fatalf("first successor %+v, %v in\n%s", l, err, out)
	}
	if out := run("accounts", "confirm", fmt.Sprint(l.ID)); !strings.Contains(out, "confirmed") {
		t.Errorf("confirm: %s", out)
	}
	// a1 (last seen 40 days ago) and w are removed, not dormant; nobody
	// else has been silent for 30 days, and only inn and a2 for an hour.
	if out := run("accounts", "sweep"); !strings.HasPrefix(out, "0 accounts") {
		t.Errorf("sweep: %s", out)
	}
	if out := run("accounts", "sweep", "--dormant-after", "1h"); !strings.HasPrefix(out, "2 accounts") {
		t.Errorf("sweep of accounts silent for an hour: %s", out)
	}
	// inn posts again after its dormant period: active again, with the
	// post as evidence.
	back, err := json.Marshal(mk("6", "inn", "mohammed_ali", time.Now().UTC()))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(back, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	ic := testConfig(t, "ingest", "--progress", "never", "--dormant-after", "1h")
	ic.Data, ic.Args = c.Data, []string{file}
	if err := Run(ctx, "ingest", ic); err != nil {
		t.Fatalf("%v\n%s", err, ic.Stderr)
	}
	if out := run("accounts", "list", "active"); !strings.Contains(out, "mohammed_ali") || strings.Contains(out, "abumuhammad_shami_7") {
		t.Errorf("active accounts after inn's return:\n%s", out)
	}
	gexf := run("graph", "export", "--format", "gexf")
	var doc struct {
		XMLName xml.Name
	}
	if err := xml.Unmarshal([]byte(gexf), &doc); err != nil || doc.XMLName.Local != "gexf" || !strings.Contains(gexf, `label="mention"`) {
		t.Errorf("gexf export (%v):\n%s", err, gexf)
	}
	if audit := run("audit", "list"); !strings.Contains(audit, "account.status") || !strings.Contains(audit, "successor.confirm") {
		t.Errorf("audit trail lacks the changes:\n%s", audit)
	}
}
