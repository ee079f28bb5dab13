package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/account"
	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// platformDoer sends every request to the test's own server, standing in
// for the platform's host, which tests never contact; the response still
// names the URL asked for, so classification sees the platform's host.
type platformDoer struct{ srv *httptest.Server }

func (d platformDoer) Do(req *http.Request) (*http.Response, error) {
	local, _ := url.Parse(d.srv.URL)
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host, r.Host = local.Scheme, local.Host, ""
	resp, err := d.srv.Client().Do(r)
	if resp != nil {
		resp.Request = req
	}
	return resp, err
}

// TestReferredAccountWatchedUntilRemoved: an analyst marks an account
// referred from the command line; its page is then watched, and when
// liveness confirms the page gone the account is marked removed with the
// checks as evidence, in the audit trail too.
func TestReferredAccountWatchedUntilRemoved(t *testing.T) {
	ctx := context.Background()
	p := post.Post{Platform: post.Telegram, ID: "1", Kind: post.Message, Channel: post.Channel{Platform: post.Telegram, ID: "room"},
		Author: post.Account{Platform: post.Telegram, ID: "a9", Handle: "example_supporter"}, Text: "منشور عادي مكتوب يدويا",
		PostedAt: time.Now().Add(-time.Hour)}
	line, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "posts.jsonl")
	if err := os.WriteFile(file, append(line, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	c := testConfig(t, "ingest", "--progress", "never")
	c.Args = []string{file}
	if err := Run(ctx, "ingest", c); err != nil {
		t.Fatalf("%v\n%s", err, c.Stderr)
	}
	rc := testConfig(t, "accounts", "status", "telegram/a9", "referred", "--evidence", "reported through the platform's form")
	rc.Data = c.Data
	if err := Run(ctx, "accounts", rc); err != nil {
		t.Fatalf("%v\n%s", err, rc.Stderr)
	}

	st, err := sqlite.Open(ctx, c.Data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page := "https://t.me/example_supporter"
	it, err := st.TrackedURL(ctx, page)
	if err != nil || it.Account != "telegram/a9" {
		t.Fatalf("the referred account's page: %+v, %v; want it watched for telegram/a9", it, err)
	}

	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	clk := it.ReferredAt
	reg := &account.Registry{Store: st, Now: func() time.Time { return clk }}
	live := liveness.New(st, platformDoer{srv}, liveness.Config{Now: func() time.Time { return clk }, Confirm: 2,
		Removed: markAccountRemoved(reg)})
	for range 2 {
		clk = clk.Add(48 * time.Hour)
		if _, err := live.CheckDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	a, err := st.AccountRecord(ctx, store.AccountRef{Platform: post.Telegram, ID: "a9"})
	if err != nil || a.Status != store.StatusRemoved {
		t.Fatalf("account after its page was confirmed gone: %+v, %v; want removed", a, err)
	}
	hist, err := st.StatusHistory(ctx, a.Ref())
	if err != nil || len(hist) != 2 || hist[1].Source != "liveness" || !strings.Contains(hist[1].Evidence, page) ||
		!strings.Contains(hist[1].Evidence, "HTTP 404") {
		t.Errorf("status history %+v, %v; want referred then removed by liveness with the page and its 404", hist, err)
	}
	es, err := st.AuditEntries(ctx, store.AuditFilter{Actor: "liveness"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range es {
		found = found || (e.Action == "account.status" && strings.Contains(string(e.After), "removed"))
	}
	if !found {
		t.Error("no audit entry of liveness marking the account removed")
	}
}
