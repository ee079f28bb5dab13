package account_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/account"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// fixture stores posts of a removed supporter (a1), its re-creation (a2)
// with the same invite link, and an innocent look-alike. Hand-made.
func fixture(t *testing.T, now time.Time) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	mk := func(id, author, handle string, at time.Time, violating bool, links ...string) post.Post {
		p := post.Post{Platform: post.Telegram, ID: id, Kind: post.Message, Channel: post.Channel{Platform: post.Telegram, ID: "room"},
			Author: post.Account{Platform: post.Telegram, ID: author, Handle: handle}, Text: "text " + id, Norm: "text " + id,
			PostedAt: at, Outlinks: links}
		if violating {
			p.Decision = post.Decision{Label: post.Propaganda, Tier: post.TierPromotional, Violating: true}
		}
		return p
	}
	ps := []post.Post{
		mk("1", "a1", "abu_muhammad_shami", now.Add(-40*24*time.Hour), true, "https://t.me/+Inv1te"),
		mk("2", "inn", "mohammed_ali", now.Add(-30*24*time.Hour), false, "https://www.youtube.com/watch?v=1"),
		mk("3", "a2", "abumuhammad_shami_7", now.Add(-24*time.Hour), false, "t.me/+Inv1te"),
		mk("4", "a3", "abu_muhammad_shami_5", now.Add(-300*24*time.Hour), false),
	}
	ps[0].ForwardFrom = "official_outlet"
	ps[2].Mentions = []string{"@mohammed_ali"}
	if _, err := s.SavePosts(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if err := s.NoteLinks(ctx, account.PostedLinks(ps, now)); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRegistrySuccessorToCase(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	s := fixture(t, now)
	reg := &account.Registry{Store: s, Now: func() time.Time { return now }}
	a1 := store.AccountRef{Platform: post.Telegram, ID: "a1"}
	removedAt := now.Add(-3 * 24 * time.Hour)
	changed, err := reg.SetStatus(ctx, account.Actor{User: "amal", Source: "127.0.0.1"},
		store.StatusChange{Account: a1, Status: store.StatusRemoved, Source: "analyst", Evidence: "profile page 404", At: removedAt})
	if err != nil || !changed {
		t.Fatalf("set status: %v, %v", changed, err)
	}
	queue, err := s.SuccessorLinks(ctx, store.LinkProposed, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(queue) == 0 || queue[0].To.ID != "a2" {
		t.Fatalf("queue %+v: want a2 first", queue)
	}
	if !strings.Contains(queue[0].Evidence, "t.me/+Inv1te") {
		t.Errorf("evidence %s does not show the shared invite link", queue[0].Evidence)
	}
	for _, l := range queue {
		if l.To.ID == "inn" {
			t.Errorf("the look-alike innocent was proposed: %+v", l)
		}
	}
	if _, err := reg.Decide(ctx, account.Actor{User: "amal"}, queue[0].ID, true); err != nil {
		t.Fatal(err)
	}
	cases, err := s.Cases(ctx, post.CaseOpen, 10)
	if err != nil || len(cases) != 1 || cases[0].Score != 1 || !strings.Contains(cases[0].Reason, "successor of removed account telegram/a1") {
		t.Fatalf("cases %+v, %v: want one top-score case for a2", cases, err)
	}
	lin, err := reg.Lineage(ctx, store.AccountRef{Platform: post.Telegram, ID: "a2"})
	if err != nil || len(lin) != 2 || lin[0] != a1 {
		t.Errorf("lineage %v, %v: want a1 -> a2", lin, err)
	}
	entries, err := s.AuditEntries(ctx, store.AuditFilter{})
	if err != nil || len(entries) != 2 || entries[0].Action != "account.status" || entries[1].Action != "successor.confirm" {
		t.Errorf("audit %+v, %v", entries, err)
	}
	if err := reg.MarkRemoved(ctx, a1, "again"); err != nil {
		t.Fatal(err)
	}
	if hist, _ := s.StatusHistory(ctx, a1); len(hist) != 1 {
		t.Errorf("a second removal was recorded: %+v", hist)
	}
}

func TestGraphDiscoveryExport(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	s := fixture(t, now)
	nodes, edges, err := account.BuildGraph(ctx, s, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, e := range edges {
		kinds[e.Kind] = true
	}
	if !kinds[account.EdgeForward] || !kinds[account.EdgeMention] || !kinds[account.EdgeOutlink] {
		t.Errorf("edge kinds %v: want forward, mention and outlink", kinds)
	}
	for _, e := range edges {
		if e.Kind == account.EdgeMention && e.To != "telegram/inn" {
			t.Errorf("mention resolved to %s, want telegram/inn", e.To)
		}
	}
	if len(account.Neighbourhood(edges, "telegram/a2", 10)) != 2 {
		t.Errorf("neighbourhood of a2: %+v", account.Neighbourhood(edges, "telegram/a2", 10))
	}
	for _, w := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return account.WriteGEXF(b, nodes, edges) },
		func(b *bytes.Buffer) error { return account.WriteGraphML(b, nodes, edges) },
	} {
		var b bytes.Buffer
		if err := w(&b); err != nil {
			t.Fatal(err)
		}
		var v struct {
			XMLName xml.Name
		}
		if err := xml.Unmarshal(b.Bytes(), &v); err != nil {
			t.Fatalf("export is not XML: %v\n%s", err, b.String())
		}
		if n := strings.Count(b.String(), "<node "); n != len(nodes) {
			t.Errorf("%s holds %d nodes, want %d", v.XMLName.Local, n, len(nodes))
		}
	}
	ts, err := account.Discover(ctx, s, time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].Flagged != 1 {
		t.Errorf("targets %+v: want the forwarded outlet and the invite of the one flagged post", ts)
	}
}

func TestPageRankFlowsToAmplified(t *testing.T) {
	nodes := []account.Node{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "hub"}}
	edges := []account.Edge{{From: "a", To: "hub", Weight: 1}, {From: "b", To: "hub", Weight: 1}, {From: "c", To: "hub", Weight: 3}, {From: "hub", To: "a", Weight: 1}}
	account.PageRank(nodes, edges, 0.85, 50)
	sum := 0.0
	for _, n := range nodes {
		sum += n.Rank
	}
	if nodes[3].Rank <= nodes[0].Rank || nodes[0].Rank <= nodes[1].Rank || sum < 0.999 || sum > 1.001 {
		t.Errorf("ranks %+v (sum %.4f): want hub > a > b, summing to 1", nodes, sum)
	}
}

func TestSpikes(t *testing.T) {
	days := make([]time.Time, 20)
	for i := range days {
		days[i] = time.Date(2026, 4, 1+i, 0, 0, 0, 0, time.UTC)
	}
	vals := []int{2, 3, 2, 1, 2, 3, 2, 2, 3, 2, 1, 2, 2, 3, 2, 2, 2, 14, 3, 2}
	sp := account.Spikes(account.Series{Name: "platform:telegram", Values: vals}, days)
	if len(sp) != 1 || sp[0].Count != 14 || !sp[0].Day.Equal(days[17]) {
		t.Errorf("spikes %+v: want day 18 with 14", sp)
	}
	if sp := account.Spikes(account.Series{Values: []int{0, 0, 0, 0, 0, 0, 0, 0, 4}}, days); len(sp) != 0 {
		t.Errorf("a day below the minimum is a spike: %+v", sp)
	}
}
