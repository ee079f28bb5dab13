package liveness

import (
	"bytes"
	"flag"
	"iter"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// never leaves a ref online.
const never = time.Duration(math.MinInt64)

// ref is an item referred at t0 plus referredAt, removed removedAfter
// later (never: still online).
type ref struct {
	platform     post.Platform
	removedAfter time.Duration
	referredAt   time.Duration // after t0
	confirmAfter time.Duration // after the removal; 5 min when zero
	returned     bool
	account      bool // an account's page rather than a post
}

func tracked(rs []ref) iter.Seq2[Tracked, error] {
	return func(yield func(Tracked, error) bool) {
		for i, r := range rs {
			t := Tracked{ID: int64(i + 1), Item: Item{URL: "https://example.org/" + string(rune('a'+i)), Platform: r.platform,
				Channel: Email, Label: post.Propaganda, Tier: post.TierOfficial, ReferredAt: t0.Add(r.referredAt)}, State: Online}
			if t.Platform == "" {
				t.Platform = post.Telegram
			}
			if r.account {
				t.Account, t.Label, t.Tier = "telegram/a"+string(rune('a'+i)), "", 0
			}
			if r.removedAfter != never {
				t.State, t.RemovedAt = Removed, t.ReferredAt.Add(r.removedAfter)
				t.ConfirmedAt = t.RemovedAt.Add(cmpOr(r.confirmAfter, 5*time.Minute))
				if r.returned {
					t.State, t.ReturnedAt = Returned, t.ConfirmedAt.Add(time.Hour)
				}
			}
			if !yield(t, nil) {
				return
			}
		}
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func hoursPtr(h float64) *float64 { return &h }

func TestRemovalFigures(t *testing.T) {
	h := time.Hour
	tests := []struct {
		name                     string
		refs                     []ref
		at                       time.Duration // report time after t0
		removed                  int
		share, within1, within24 float64
		median, p90              *float64
	}{
		{"all removed, no censoring",
			[]ref{{removedAfter: 1 * h}, {removedAfter: 2 * h}, {removedAfter: 3 * h}, {removedAfter: 4 * h}},
			100 * h, 4, 1, 0.25, 1, hoursPtr(2), hoursPtr(4)},
		{"censored items stay at risk",
			// Removed after 1h, 3h and 4h; two still online, censored at 2h
			// and 5h (referred that long before the report).
			[]ref{{removedAfter: 1 * h}, {removedAfter: never, referredAt: 98 * h}, {removedAfter: 3 * h}, {removedAfter: 4 * h}, {removedAfter: never, referredAt: 95 * h}},
			100 * h, 3, 0.6, 0.2, 1 - 0.8*2.0/3*0.5, hoursPtr(4), nil},
		{"removal and censoring at the same delay: removal first",
			[]ref{{removedAfter: 1 * h}, {removedAfter: 2 * h}, {removedAfter: never, referredAt: 98 * h}},
			100 * h, 2, 2.0 / 3, 1.0 / 3, 1 - 1.0/3, hoursPtr(2), nil},
		{"nothing removed",
			[]ref{{removedAfter: never}, {removedAfter: never}},
			10 * h, 0, 0, 0, 0, nil, nil},
		{"exactly one hour is within the hour",
			[]ref{{removedAfter: 1 * h}, {removedAfter: 61 * time.Minute}},
			10 * h, 2, 1, 0.5, 1, hoursPtr(1), hoursPtr(61.0 / 60)},
		{"confirmed after the report time: censored",
			[]ref{{removedAfter: 30 * time.Minute}, {removedAfter: 2 * h, confirmAfter: 10 * h}},
			5 * h, 1, 0.5, 0.5, 0.5, hoursPtr(0.5), nil},
		{"seen gone before the referral: zero delay",
			[]ref{{removedAfter: -30 * time.Minute}, {removedAfter: never}},
			5 * h, 1, 0.5, 0.5, 0.5, hoursPtr(0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compute(tracked(tt.refs), Filter{}, t0.Add(tt.at))
			if err != nil {
				t.Fatal(err)
			}
			g := r.Overall
			if g.Items != len(tt.refs) || g.Removed != tt.removed {
				t.Errorf("items %d removed %d, want %d and %d", g.Items, g.Removed, len(tt.refs), tt.removed)
			}
			for _, f := range []struct {
				name      string
				got, want float64
			}{{"share removed", g.ShareRemoved, tt.share}, {"within 1h", g.Within1h, tt.within1}, {"within 24h", g.Within24h, tt.within24}} {
				if math.Abs(f.got-f.want) > 1e-12 {
					t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
				}
			}
			for _, q := range []struct {
				name      string
				got, want *float64
			}{{"median", g.MedianHours, tt.median}, {"p90", g.P90Hours, tt.p90}} {
				if (q.got == nil) != (q.want == nil) || (q.got != nil && math.Abs(*q.got-*q.want) > 1e-12) {
					t.Errorf("%s = %s, want %s", q.name, HoursText(q.got), HoursText(q.want))
				}
			}
		})
	}
}

// TestAccountsApart: accounts' pages get a row of their own and stay out
// of every figure about referred posts.
func TestAccountsApart(t *testing.T) {
	r, err := Compute(tracked([]ref{{removedAfter: time.Hour}, {removedAfter: 2 * time.Hour, account: true}, {removedAfter: never, account: true}}),
		Filter{}, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r.Overall.Items != 1 {
		t.Errorf("overall counts %d items, want the 1 post", r.Overall.Items)
	}
	acc := r.ByDimension("object")
	if len(acc) != 1 || acc[0].Value != "account" || acc[0].Items != 2 || acc[0].Removed != 1 {
		t.Errorf("account rows %+v, want one row of 2 accounts, 1 removed", acc)
	}
	for _, g := range r.Groups {
		if g.Dimension != "object" && g.Items != 1 {
			t.Errorf("row %s=%s counts %d items: accounts leaked into the posts' figures", g.Dimension, g.Value, g.Items)
		}
	}
}

func TestKaplanMeierSteps(t *testing.T) {
	h := time.Hour
	r, err := Compute(tracked([]ref{{removedAfter: 1 * h}, {removedAfter: never, referredAt: 8 * h}, {removedAfter: 3 * h}, {removedAfter: 3 * h}}), Filter{}, t0.Add(10*h))
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{
		{Hours: 1, AtRisk: 4, Removed: 1, Survival: 0.75},
		{Hours: 2, AtRisk: 3, Censored: 1, Survival: 0.75},
		{Hours: 3, AtRisk: 2, Removed: 2, Survival: 0},
	}
	got := r.Overall.Curve
	if len(got) != len(want) {
		t.Fatalf("curve %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("step %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// goldenReport mixes platforms, channels, tiers, a comeback and censoring.
func goldenReport(t *testing.T) Report {
	t.Helper()
	h := time.Hour
	refs := []ref{
		{platform: post.Telegram, removedAfter: 20 * time.Minute},
		{platform: post.Telegram, removedAfter: 50 * time.Minute},
		{platform: post.Telegram, removedAfter: 7*h + 50*time.Minute, returned: true},
		{platform: post.Telegram, removedAfter: never, referredAt: 30 * h},
		{platform: post.X, removedAfter: 3*h + 50*time.Minute},
		{platform: post.X, removedAfter: 27*h + 50*time.Minute},
		{platform: post.X, removedAfter: never},
		{platform: post.YouTube, removedAfter: 5 * time.Minute},
	}
	items := func(yield func(Tracked, error) bool) {
		i := 0
		for t, err := range tracked(refs) {
			t.Channel = []Channel{Email, Webhook, Bundle, None}[i%4]
			t.Tier = post.Tier(1 + i%4)
			if i == 7 {
				t.Label = post.Recruitment
			}
			i++
			if !yield(t, err) {
				return
			}
		}
	}
	r, err := Compute(items, Filter{From: t0, To: t0.Add(48 * h)}, t0.Add(50*h))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReportGolden(t *testing.T) {
	r := goldenReport(t)
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, r, format); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "removal."+format)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from %s (run with -update after checking the change):\n%s", format, path, buf.String())
			}
		})
	}
	if err := Write(&bytes.Buffer{}, r, "pdf"); err == nil {
		t.Error("an unknown format was accepted")
	}
}
