package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/act/referral"
	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/demo/platform"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/review"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
	"github.com/raqib-project/raqib/internal/store/storetest"
)

// TestReferCommands refers a confirmed case from the command line, lets a
// worker send it to a simulated platform, and records the platform's
// reply; a case nobody confirmed is refused.
func TestReferCommands(t *testing.T) {
	ctx := context.Background()
	plat, err := platform.Start(platform.Options{Delays: []time.Duration{time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer plat.Close()
	data := t.TempDir()
	st, err := sqlite.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	confirmed, _ := storetest.OpenCase(t, st, "1")
	open, _ := storetest.OpenCase(t, st, "2")
	if err := st.SetCaseStatus(ctx, confirmed, post.CaseConfirmed, post.CaseOpen); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cfg := filepath.Join(t.TempDir(), "referrals.json")
	if err := os.WriteFile(cfg, []byte(`{"reporter": {"name": "unit"}, "targets": [
		{"name": "telegram", "platforms": ["telegram"], "webhook": {"url": "`+plat.WebhookURL()+`"}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		t.Helper()
		c := testConfig(t, append(args, "--referrals", cfg, "--fetch-allow", "127.0.0.1/32")...)
		c.Data = data
		out := &bytes.Buffer{}
		c.Stdout = out
		err := Run(ctx, args[0], c)
		return out.String(), err
	}

	if _, err := run("refer", fmt.Sprint(open)); !errors.Is(err, store.ErrNotConfirmed) {
		t.Fatalf("refer an open case: %v, want ErrNotConfirmed", err)
	}
	out, err := run("refer", fmt.Sprint(confirmed))
	if err != nil || !strings.Contains(out, "queued") || !strings.Contains(out, "https://t.me/test/1") {
		t.Fatalf("refer: %v\n%s", err, out)
	}

	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		c := testConfig(t, "worker", "--referrals", cfg, "--fetch-allow", "127.0.0.1/32", "--referral-every", "50ms")
		c.Data = data
		done <- Run(wctx, "worker", c)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(plat.Reports()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("worker: %v", err)
	}
	if reps := plat.Reports(); len(reps) != 1 || reps[0].URL != "https://t.me/test/1" {
		t.Fatalf("platform received %+v", reps)
	}

	out, err = run("referral", "list", "--json")
	var r store.Referral
	if err != nil || json.Unmarshal([]byte(out), &r) != nil || r.Status != store.ReferralSent || r.Ticket != "SIM-1" {
		t.Fatalf("referral list: %v\n%s", err, out)
	}
	out, err = run("referral", "reply", fmt.Sprint(r.ID), "--reply", "تمت الإزالة")
	if err != nil || !strings.Contains(out, "تمت الإزالة") || !strings.Contains(out, "SIM-1") {
		t.Fatalf("referral reply: %v\n%s", err, out)
	}
	if _, err := run("referral", "reply", fmt.Sprint(r.ID)); err == nil {
		t.Error("an empty reply was accepted")
	}
	if _, err := run("referral", "show", "x"); !errors.Is(err, ErrUsage) {
		t.Errorf("show x: %v, want ErrUsage", err)
	}
	out, err = runAuditCmd(t, data, "list")
	for _, action := range []string{"referral.create", "referral.send", "referral.reply"} {
		if err != nil || !strings.Contains(out, action) {
			t.Errorf("audit list lacks %s (%v):\n%s", action, err, out)
		}
	}
	if out, err := runAuditCmd(t, data, "verify"); err != nil {
		t.Errorf("audit verify: %v\n%s", err, out)
	}
	c := testConfig(t, "refer", "1")
	c.Data = data
	if err := Run(ctx, "refer", c); !errors.Is(err, errNoReferrals) {
		t.Errorf("refer without --referrals: %v, want errNoReferrals", err)
	}
}

// TestReferralHook refers a case through the review workflow: an
// analyst's confirmation waits for a senior, whose approval refers it.
func TestReferralHook(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id, _ := storetest.OpenCase(t, st, "1")
	cfg := filepath.Join(t.TempDir(), "referrals.json")
	if err := os.WriteFile(cfg, []byte(`{"reporter": {"name": "unit"}, "targets": [{"name": "telegram", "platforms": ["telegram"], "bundle": {}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	svc, err := openReferrals(&Config{Referrals: cfg}, st, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rv := review.New(st, nil)
	rv.Register(referralHook{svc})
	analyst := review.Actor{Principal: auth.Principal{User: "amina", Role: auth.Analyst}, From: "test"}
	senior := review.Actor{Principal: auth.Principal{User: "salma", Role: auth.Senior}, From: "test"}
	if _, _, err := rv.Apply(ctx, analyst, id, review.Action{Kind: review.Confirm}); err != nil {
		t.Fatal(err)
	}
	if rs, _ := st.ListReferrals(ctx, store.ReferralFilter{}); len(rs) != 0 {
		t.Fatalf("confirmation awaiting approval referred %d posts", len(rs))
	}
	if _, err := svc.FromCaseID(ctx, id, referral.Actor{User: "amina"}); !errors.Is(err, store.ErrNotConfirmed) {
		t.Errorf("referring before approval: %v, want ErrNotConfirmed", err)
	}
	if _, _, err := rv.Apply(ctx, senior, id, review.Action{Kind: review.Approve}); err != nil {
		t.Fatal(err)
	}
	rs, err := st.ListReferrals(ctx, store.ReferralFilter{})
	if err != nil || len(rs) != 1 || rs[0].CreatedBy != "salma" || rs[0].Status != store.ReferralQueued {
		t.Errorf("after approval: %+v, %v; want one queued referral by the approver", rs, err)
	}
}
