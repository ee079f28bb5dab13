package app

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/act/referral"
	"github.com/raqib-project/raqib/internal/act/referral/referraltest"
	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/demo"
	"github.com/raqib-project/raqib/internal/demo/platform"
	"github.com/raqib-project/raqib/internal/evidence"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/review"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/testclock"
)

// TestActEndToEnd is issue 10's chain on one embedded store: hand-made
// propaganda posted on a simulated platform is detected by the real stack
// on the batch path, its cases confirmed and approved through the review
// workflow as serve wires it (evidence captured, referrals made), the
// referrals sent to the platform's webhook and, for Telegram posts, by
// email to an SMTP sink whose messages the platform's desk acts on; the
// platform removes each post after a known delay, the liveness tracker
// (on a fake clock shared with the sender and the platform) finds them
// gone, the removal report shows exactly those delays, and each case's
// exported evidence package verifies.
//
// The delays lie on check times (5, 20, 50, 110, 230, 470 min after
// referral with the intervals below and no jitter), since a removal is
// timed by the first check that sees it.
func TestActEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	min := time.Minute
	delays := []time.Duration{5 * min, 20 * min, 50 * min, 50 * min, 110 * min, 470 * min}
	clk := testclock.New(time.Now().UTC().Truncate(time.Second))
	plat, err := platform.Start(platform.Options{Delays: delays, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer plat.Close()
	sink := referraltest.StartSMTPSink(t, nil)

	// Telegram posts go by email to the sink; the platform's own (web)
	// posts, whose host the platform is, by webhook.
	cfg := filepath.Join(t.TempDir(), "referrals.json")
	if err := os.WriteFile(cfg, []byte(`{"reporter": {"name": "وحدة الاختبار", "email": "unit@raqib.invalid"}, "targets": [
		{"name": "telegram", "platforms": ["telegram"], "email": {"server": "`+sink.Addr()+`", "from": "unit@raqib.invalid",
			"to": ["abuse@platform.invalid"], "tls": "none"}},
		{"name": "simulated", "ranges": ["127.0.0.1/32"], "webhook": {"url": "`+plat.WebhookURL()+`"}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := testConfig(t, "serve", "--referrals", cfg, "--fetch-allow", "127.0.0.1/32",
		"--liveness-intervals", "5m,15m,30m,1h,2h,4h,8h", "--liveness-jitter", "0")
	c.Now = clk.Now
	s, err := openSystem(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	opts, err := s.webOptions()
	if err != nil {
		t.Fatal(err)
	}
	go s.evidence.run(ctx)

	// Hand-made, fictional supporter posts (demo.SimulatedPosts), each
	// published twice on the platform: once as its own post, once as the
	// page of a Telegram post.
	var ps []post.Post
	kinds := map[string]string{} // URL → channel kind it must be referred by
	for _, sp := range demo.SimulatedPosts[:3] {
		for _, pl := range []post.Platform{post.Web, post.Telegram} {
			pub := plat.Publish(string(pl)+sp.ID, sp.Title, sp.Text, sp.At)
			p := post.Post{Platform: pl, Channel: post.Channel{ID: plat.URL() + "/"}, ID: pub.ID, Kind: post.Message,
				Text: sp.Text, URL: pub.URL, PostedAt: sp.At, CollectedAt: clk.Now(),
				Raw: []byte(`{"id":"` + pub.ID + `"}`), Origin: post.Origin{Format: "test", File: "e2e"}}
			if pl == post.Telegram {
				p.Channel.ID = "supporters"
				kinds[pub.URL] = referral.KindEmail
			} else {
				kinds[pub.URL] = referral.KindWebhook
			}
			ps = append(ps, p)
		}
	}
	if _, err := s.process(ctx, ps); err != nil {
		t.Fatal(err)
	}
	cases, err := s.store.Cases(ctx, post.CaseOpen, 100)
	if err != nil {
		t.Fatal(err)
	}
	inCases := map[string]bool{}
	for _, k := range cases {
		keys, err := s.store.CasePosts(ctx, k.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range keys {
			inCases[key] = true
		}
	}
	for _, p := range ps {
		if !inCases[p.Key()] {
			t.Fatalf("post %s (%s) is in no open case: not detected", p.Key(), p.URL)
		}
	}

	analyst := review.Actor{Principal: auth.Principal{User: "amina", Role: auth.Analyst}, From: "test"}
	senior := review.Actor{Principal: auth.Principal{User: "salma", Role: auth.Senior}, From: "test"}
	for _, k := range cases {
		if _, _, err := opts.Review.Apply(ctx, analyst, k.ID, review.Action{Kind: review.Confirm, Note: "e2e"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := opts.Review.Apply(ctx, senior, k.ID, review.Action{Kind: review.Approve, Note: "e2e"}); err != nil {
			t.Fatal(err)
		}
	}
	// The evidence of every case is captured on confirmation, while its
	// posts are online.
	deadline := time.Now().Add(30 * time.Second)
	for _, k := range cases {
		for {
			// A capture being written has no manifest yet: an error
			// until it is done.
			ms, err := opts.Evidence.Captures(k.ID)
			if err == nil && len(ms) > 0 {
				if len(ms[0].Problems) > 0 {
					t.Errorf("case %d captured with problems: %v", k.ID, ms[0].Problems)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("case %d: no evidence captured on confirmation (%v)", k.ID, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// Send everything queued, now.
	for {
		n, err := s.referrals.SendOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	rs, err := s.store.(referral.Store).ListReferrals(ctx, store.ReferralFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(ps) {
		t.Fatalf("%d referrals, want one per post (%d)", len(rs), len(ps))
	}
	if sent := counterTotal(t, s.metrics.reg, "raqib_referral_sends_total", "outcome", "sent"); sent != float64(len(ps)) {
		t.Errorf("raqib_referral_sends_total{outcome=sent} = %v, want %d", sent, len(ps))
	}
	ids := map[string]int64{}
	for _, r := range rs {
		if r.Status != store.ReferralSent || r.Kind != kinds[r.URL] || r.CreatedBy != senior.User {
			t.Errorf("referral %d of %s: %s by %s, sent by %s; want sent by %s, made by the approver", r.ID, r.URL, r.Status, r.Kind, r.CreatedBy, kinds[r.URL])
		}
		ids[r.URL] = r.ID
	}
	// The platform's desk reads the mailbox and acts on every URL of its
	// own in the referral emails, as the webhook does at once.
	own := regexp.MustCompile(regexp.QuoteMeta(plat.URL()) + `/p/[A-Za-z0-9]+`)
	emailed := map[string]bool{}
	for _, m := range sink.Messages() {
		for _, u := range own.FindAllString(m.Body, -1) {
			if !emailed[u] {
				emailed[u] = true
				if _, err := plat.Receive(ids[u], u, ""); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	reports := map[string]platform.Report{}
	for _, r := range plat.Reports() {
		reports[r.URL] = r
	}
	var mailed strings.Builder
	for _, m := range sink.Messages() {
		mailed.WriteString(m.Body)
	}
	for _, r := range rs {
		// Each referral cites its evidence hash, in the email or the
		// webhook's payload.
		if r.Kind == referral.KindEmail && !strings.Contains(mailed.String(), r.EvidenceHash) ||
			r.Kind == referral.KindWebhook && reports[r.URL].Evidence != r.EvidenceHash {
			t.Errorf("referral %d (%s) did not carry its evidence hash %s", r.ID, r.Kind, r.EvidenceHash)
		}
	}
	for u, kind := range kinds {
		if _, ok := reports[u]; !ok {
			t.Errorf("%s (%s) never reached the platform", u, kind)
		}
		if emailed[u] != (kind == referral.KindEmail) {
			t.Errorf("%s (%s): in a referral email %v", u, kind, emailed[u])
		}
	}
	if len(plat.Reports()) != len(ps) {
		t.Fatalf("the platform received %d referrals, want %d", len(plat.Reports()), len(ps))
	}

	// Liveness re-checks every referred URL at each due time, until
	// every removal is confirmed; nothing is left due for long.
	ls := s.store.(store.Liveness)
	start, end := clk.Now(), clk.Now().Add(24*time.Hour)
	for {
		var next time.Time
		for u := range kinds {
			tr, err := ls.TrackedURL(ctx, u)
			if err != nil {
				t.Fatalf("%s not tracked after its referral: %v", u, err)
			}
			if tr.State != liveness.Removed && (next.IsZero() || tr.NextCheck.Before(next)) {
				next = tr.NextCheck
			}
		}
		if next.IsZero() {
			break
		}
		if next.After(end) {
			t.Fatalf("still online a day after their referral: due again at %v", next)
		}
		clk.Set(next)
		for {
			n, err := s.live.CheckDue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
	}
	var seen []time.Duration
	for u, kind := range kinds {
		tr, err := ls.TrackedURL(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		rep := reports[u]
		got, want := tr.RemovedAt.Sub(tr.ReferredAt), rep.RemoveAt.Sub(rep.At)
		if !tr.ReferredAt.Equal(start) || got != want || string(tr.Channel) != kind || tr.ReferralID != ids[u] {
			t.Errorf("%s: referred %v by %s (referral %d), seen gone after %v; want referred %v by %s (referral %d), gone after %v",
				u, tr.ReferredAt, tr.Channel, tr.ReferralID, got, start, kind, ids[u], want)
		}
		seen = append(seen, got)
	}
	slices.Sort(seen)
	if !slices.Equal(seen, delays) {
		t.Errorf("removal delays %v, want %v", seen, delays)
	}

	r, err := liveness.Removal(ctx, ls, liveness.Filter{}, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	g := r.Overall
	// Six removed after 5, 20, 50, 50, 110, 470 min: half still online
	// first after 50 min (the median), a tenth first after 470 min (p90),
	// four of six within the hour.
	if g.Items != 6 || g.Removed != 6 || g.ShareRemoved != 1 {
		t.Errorf("items %d removed %d share %v, want 6, 6, 1", g.Items, g.Removed, g.ShareRemoved)
	}
	hours := func(name string, got *float64, want float64) {
		if got == nil || math.Abs(*got-want) > 1e-9 {
			t.Errorf("%s = %s, want %v h", name, liveness.HoursText(got), want)
		}
	}
	hours("median", g.MedianHours, 50.0/60)
	hours("p90", g.P90Hours, 470.0/60)
	if math.Abs(g.Within1h-4.0/6) > 1e-9 || g.Within24h != 1 {
		t.Errorf("within 1 h %v, within 24 h %v; want 4/6 and 1", g.Within1h, g.Within24h)
	}
	channels := map[string]int{}
	for _, gr := range r.Groups {
		if gr.Dimension == "channel" {
			channels[gr.Value] = gr.Removed
		}
	}
	if channels[referral.KindEmail] != 3 || channels[referral.KindWebhook] != 3 {
		t.Errorf("removals by channel %v, want 3 by email and 3 by webhook", channels)
	}

	for _, k := range cases {
		var pkg bytes.Buffer
		if err := opts.Evidence.Export(ctx, k.ID, &pkg, "amina", "test"); err != nil {
			t.Fatal(err)
		}
		rep, err := evidence.VerifyPackage(bytes.NewReader(pkg.Bytes()), int64(pkg.Len()), nil)
		if err != nil || rep.Err() != nil || rep.Captures == 0 || rep.Records == 0 {
			t.Errorf("case %d evidence package: %+v, %v, %v", k.ID, rep, err, rep.Err())
		}
	}
}

// counterTotal sums the counter name of reg over the series whose label
// has the value given.
func counterTotal(t *testing.T, reg prometheus.Gatherer, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}
