package app

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

func TestLivenessSettings(t *testing.T) {
	_, c, err := Parse([]string{"worker", "--liveness-confirm", "3"}, env("RAQIB_LIVENESS_INTERVALS", "1m,2h", "RAQIB_LIVENESS_JITTER", "20",
		"RAQIB_LIVENESS_TRACK_POSTS", "true"), nil, &strings.Builder{}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	lc, err := c.livenessConfig()
	if err != nil {
		t.Fatal(err)
	}
	if len(lc.Intervals) != 2 || lc.Intervals[1] != 2*time.Hour || lc.Confirm != 3 || lc.Jitter != 0.2 || !lc.TrackPosts ||
		lc.ConfirmAfter != 5*time.Minute || lc.Concurrency != 8 {
		t.Errorf("liveness config %+v, want intervals 1m,2h, confirm 3, jitter 0.2, posts tracked, defaults otherwise", lc)
	}
	good := Config{LivenessConfirm: 2, LivenessConfirmAfter: time.Minute, LivenessConcurrency: 1}
	bad := func(f func(c *Config)) *Config {
		c := good
		f(&c)
		return &c
	}
	if _, err := good.livenessConfig(); err != nil {
		t.Fatalf("livenessConfig(%+v): %v", good, err)
	}
	for _, bad := range []*Config{
		bad(func(c *Config) { c.LivenessIntervals = []string{"soon"} }),
		bad(func(c *Config) { c.LivenessIntervals = []string{"-1m"} }),
		bad(func(c *Config) { c.LivenessJitter = 95 }),
		bad(func(c *Config) { c.LivenessConcurrency = -1 }),
		bad(func(c *Config) { c.LivenessConfirm = -1 }),
		bad(func(c *Config) { c.LivenessConfirmAfter = -time.Minute }),
	} {
		if _, err := bad.livenessConfig(); !errors.Is(err, ErrUsage) {
			t.Errorf("livenessConfig(%+v) = %v, want a usage error", bad, err)
		}
	}
}

func TestReportRemoval(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t, "report", "removal", "--from", "2026-03-01", "--to", "2026-03-02")
	st, err := sqlite.Open(ctx, c.Data)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var items []liveness.Item
	for i, u := range []string{"https://x.com/a/status/1", "https://x.com/a/status/2", "https://t.me/s/c/3", "https://t.me/s/c/4"} {
		items = append(items, liveness.Item{URL: u, Platform: post.X, Channel: liveness.Email, Label: post.Propaganda, Tier: post.TierOfficial,
			ReferredAt: at.Add(time.Duration(i) * time.Hour)})
	}
	items[2].Platform, items[3].Platform = post.Telegram, post.Telegram
	items[3].ReferredAt = at.AddDate(0, 0, 1) // outside --to
	if _, err := st.Track(ctx, items, at); err != nil {
		t.Fatal(err)
	}
	due, err := st.ClaimDue(ctx, at.AddDate(0, 0, 2), time.Hour, 10)
	if err != nil || len(due) != 4 {
		t.Fatalf("ClaimDue = %d, %v", len(due), err)
	}
	// The first X post is removed 30 min after its referral, the Telegram
	// post 2 h after; the second X post stays online.
	for i := range due {
		d := map[string]time.Duration{items[0].URL: 30 * time.Minute, items[2].URL: 2 * time.Hour}[due[i].URL]
		if d == 0 {
			continue
		}
		due[i].State, due[i].Checks, due[i].Streak = liveness.Removed, 2, 2
		due[i].RemovedAt = due[i].ReferredAt.Add(d)
		due[i].ConfirmedAt = due[i].RemovedAt.Add(5 * time.Minute)
	}
	if _, err := st.RecordChecks(ctx, due); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := Run(ctx, "report", c); err != nil {
		t.Fatalf("%v\n%s", err, c.Stderr)
	}
	out := c.Stdout.(interface{ String() string }).String()
	for _, want := range []string{
		"all,,3,2,0,0.666666666667,2,,0.333333333333,0.666666666667\n",
		"platform,telegram,1,1,0,1,2,2,0,1\n",
		"platform,x,2,1,0,0.5,0.5,,0.5,0.5\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, format := range []string{"html", "json"} {
		c.ReportFormat = format
		c.Stdout = &strings.Builder{}
		if err := Run(ctx, "report", c); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if out := c.Stdout.(*strings.Builder).String(); !strings.Contains(out, `"removed": 2`) && !strings.Contains(out, "<svg") {
			t.Errorf("%s report shows neither the count nor a chart:\n%s", format, out)
		}
	}
	c.ReportFormat = "pdf"
	if err := Run(ctx, "report", c); !errors.Is(err, ErrUsage) {
		t.Errorf("--format pdf: %v, want a usage error", err)
	}
}

// TestWorkerChecksLiveness runs a worker's liveness loop against a local
// server that says the content is gone: the loop fetches through the
// allowed fetch client, confirms the removal and counts the checks.
func TestWorkerChecksLiveness(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the loop polls every few seconds")
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	c := testConfig(t, "worker", "--fetch-allow", "127.0.0.1", "--liveness-intervals", "1ms", "--liveness-confirm-after", "1ms")
	s, err := openSystem(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := srv.URL + "/post/1"
	if err := s.live.Track(ctx, liveness.Item{URL: url, Platform: post.Web, Channel: liveness.Webhook, ReferralID: 1}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.checkLiveness(ctx); close(done) }()
	ls := s.store.(store.Liveness)
	for {
		got, err := ls.TrackedURL(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == liveness.Removed {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("not confirmed removed in time: %+v", got)
		case <-time.After(100 * time.Millisecond):
		}
	}
	cancel()
	<-done
	mfs, err := s.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var gone float64
	for _, mf := range mfs {
		if mf.GetName() != "raqib_liveness_checks_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == "gone" {
				gone = m.GetCounter().GetValue()
			}
		}
	}
	if gone < 2 {
		t.Errorf("raqib_liveness_checks_total{outcome=\"gone\"} = %v, want at least the 2 confirming checks", gone)
	}
}
