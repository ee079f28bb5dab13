package liveness_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/fetch"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
	"github.com/raqib-project/raqib/internal/testclock"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func openStore(t testing.TB, dir string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// localClient is the SSRF-safe client allowed to fetch from the servers
// the tests start on 127.0.0.1.
func localClient() liveness.Doer {
	return fetch.New(fetch.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Timeout: 10 * time.Second})
}

// TestRefusedAddressIsNoRemoval checks a local URL through a client that
// refuses it: the check is inconclusive, and the item stays online.
func TestRefusedAddressIsNoRemoval(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	st := openStore(t, t.TempDir())
	clk := testclock.New(t0)
	var seen []liveness.Outcome
	tr := liveness.New(st, fetch.New(fetch.Config{}), liveness.Config{Now: clk.Now, Jitter: 0, Confirm: 1,
		Observe: func(o liveness.Outcome) { seen = append(seen, o) }})
	if err := tr.Track(ctx, liveness.Item{URL: srv.URL + "/gone", Platform: post.Web, Channel: liveness.Email}); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(time.Hour))
	if n, err := tr.CheckDue(ctx); err != nil || n != 1 {
		t.Fatalf("CheckDue = %d, %v; want 1", n, err)
	}
	got, err := st.TrackedURL(ctx, srv.URL+"/gone")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != liveness.Online || len(seen) != 1 || seen[0] != liveness.Transient {
		t.Errorf("a refused fetch made the item %s (outcomes %v); want online after one inconclusive check", got.State, seen)
	}
}

// TestTwoCheckersShareWork runs two checkers, on two stores of one data
// directory as two processes would have, against one server: every URL
// is fetched exactly once.
func TestTwoCheckersShareWork(t *testing.T) {
	ctx := context.Background()
	var (
		mu   sync.Mutex
		hits = map[string]int{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		time.Sleep(time.Millisecond)
		fmt.Fprint(w, "<html>online</html>")
	}))
	defer srv.Close()
	dir := t.TempDir()
	clk := testclock.New(t0)
	cfg := liveness.Config{Now: clk.Now, Concurrency: 4, Batch: 10, Jitter: 0.1}
	a := liveness.New(openStore(t, dir), localClient(), cfg)
	b := liveness.New(openStore(t, dir), localClient(), cfg)
	const n = 300
	items := make([]liveness.Item, n)
	for i := range items {
		items[i] = liveness.Item{URL: fmt.Sprintf("%s/p/%d", srv.URL, i), Platform: post.Web, Channel: liveness.Webhook, ReferredAt: t0}
	}
	if added, err := a.TrackAll(ctx, items); err != nil || added != n {
		t.Fatalf("TrackAll = %d, %v; want %d", added, err, n)
	}
	clk.Set(t0.Add(time.Hour)) // every item is due, none twice
	var wg sync.WaitGroup
	for _, tr := range []*liveness.Tracker{a, b, a, b} {
		wg.Go(func() {
			for {
				got, err := tr.CheckDue(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if got == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if len(hits) != n {
		t.Errorf("%d URLs fetched, want %d", len(hits), n)
	}
	for p, h := range hits {
		if h != 1 {
			t.Errorf("%s fetched %d times", p, h)
		}
	}
	st := openStore(t, dir)
	for _, it := range items {
		got, err := st.TrackedURL(ctx, it.URL)
		if err != nil {
			t.Fatal(err)
		}
		if got.Checks != 1 || got.State != liveness.Online || len(got.History) != 1 || got.History[0].Status != 200 {
			t.Fatalf("%s: %d checks, state %s, history %+v; want one online check", it.URL, got.Checks, got.State, got.History)
		}
	}
}

// TestEndToEnd refers items at known times to a local server that removes
// each after a known delay; liveness finds them gone and the report shows
// exactly those delays. A delay is measured to the first check that saw the
// content gone, so the removals are placed on check times (5 min, 20 min,
// 50 min, 1 h 50, 3 h 50, 7 h 50, 27 h 50 after referral with the default
// intervals and no jitter); one removal falls between checks and is seen
// at the next one.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the two simulated days of checks")
	}
	ctx := context.Background()
	min := time.Minute
	delays := []time.Duration{5 * min, 5 * min, 20 * min, 50 * min, 50 * min, 110 * min, 230 * min, 470 * min, 1670 * min, -1}
	clk := testclock.New(t0)
	removeAt := map[string]time.Time{}
	var mu sync.Mutex
	flaky := map[string]bool{"/i/3": true} // fails once with 503
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		at, ok := removeAt[r.URL.Path]
		fail := flaky[r.URL.Path]
		delete(flaky, r.URL.Path)
		mu.Unlock()
		switch {
		case fail:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case ok && !clk.Now().Before(at):
			http.NotFound(w, r)
		default:
			fmt.Fprint(w, "<html><body>still here</body></html>")
		}
	}))
	defer srv.Close()
	st := openStore(t, t.TempDir())
	tr := liveness.New(st, localClient(), liveness.Config{Now: clk.Now, Jitter: 0, Audit: st, Source: "test"})
	for i, d := range delays {
		referred := t0.Add(time.Duration(i) * time.Minute)
		clk.Set(referred)
		path := "/i/" + strconv.Itoa(i)
		if d >= 0 {
			mu.Lock()
			removeAt[path] = referred.Add(d)
			mu.Unlock()
		}
		it := liveness.Item{URL: srv.URL + path, Platform: post.Telegram, Channel: liveness.Email, Label: post.Propaganda,
			Tier: post.TierOfficial, CaseID: int64(i + 1), ReferralID: int64(i + 1), ReferredAt: referred}
		if err := tr.Track(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	end := t0.Add(48 * time.Hour)
	for now := t0; !now.After(end); now = now.Add(time.Minute) {
		clk.Set(now)
		for {
			n, err := tr.CheckDue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
	}
	for i, d := range delays {
		got, err := st.TrackedURL(ctx, srv.URL+"/i/"+strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		referred := t0.Add(time.Duration(i) * time.Minute)
		if d < 0 {
			if got.State != liveness.Online || !got.RemovedAt.IsZero() {
				t.Errorf("item %d (never removed): state %s removed at %v", i, got.State, got.RemovedAt)
			}
			continue
		}
		if got.State != liveness.Removed || got.RemovedAt.Sub(referred) != d || got.ConfirmedAt.Sub(got.RemovedAt) != 5*time.Minute {
			t.Errorf("item %d: state %s, seen gone after %v, confirmed %v later; want removed after %v, confirmed 5m later",
				i, got.State, got.RemovedAt.Sub(referred), got.ConfirmedAt.Sub(got.RemovedAt), d)
		}
	}
	for i, d := range delays {
		online, err := tr.StillOnline(ctx, srv.URL+"/i/"+strconv.Itoa(i))
		if err != nil || online != (d < 0) {
			t.Errorf("StillOnline(item %d) = %v, %v; want %v", i, online, err, d < 0)
		}
	}
	if _, err := tr.StillOnline(ctx, srv.URL+"/never-tracked"); !errors.Is(err, liveness.ErrNotFound) {
		t.Errorf("StillOnline of an untracked URL: %v, want ErrNotFound", err)
	}
	// Each confirmed removal is in the audit trail, at the confirming check.
	es, err := st.AuditEntries(ctx, store.AuditFilter{Actor: "liveness"})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 9 {
		t.Errorf("%d audit entries, want one per confirmed removal (9)", len(es))
	}
	for _, e := range es {
		if e.Action != "liveness.removed" || !strings.HasPrefix(e.Subject, srv.URL+"/i/") || !strings.Contains(string(e.After), `"state":"removed"`) {
			t.Errorf("audit entry %+v, want liveness.removed of an item", e)
		}
	}
	r, err := liveness.Removal(ctx, st, liveness.Filter{}, end)
	if err != nil {
		t.Fatal(err)
	}
	g := r.Overall
	// Nine of ten removed: 5, 5, 20, 50, 50 min, 1h50, 3h50, 7h50, 27h50.
	// The median is the first delay with half still online: 50 min; p90
	// the first with a tenth: 27h50; within 1 h: 5 of 10; within 24 h: 8.
	if g.Items != 10 || g.Removed != 9 || g.ShareRemoved != 0.9 {
		t.Errorf("items %d removed %d share %v, want 10, 9, 0.9", g.Items, g.Removed, g.ShareRemoved)
	}
	check := func(name string, got *float64, want float64) {
		if got == nil || math.Abs(*got-want) > 1e-9 {
			t.Errorf("%s = %s, want %v h", name, liveness.HoursText(got), want)
		}
	}
	check("median", g.MedianHours, 50.0/60)
	check("p90", g.P90Hours, 1670.0/60)
	if math.Abs(g.Within1h-0.5) > 1e-12 || math.Abs(g.Within24h-0.8) > 1e-12 {
		t.Errorf("within 1h %v, within 24h %v; want 0.5 and 0.8", g.Within1h, g.Within24h)
	}
	var csv strings.Builder
	if err := liveness.Write(&csv, r, "csv"); err != nil {
		t.Fatal(err)
	}
	if want := "all,,10,9,0,0.9,0.8333333333333334,27.833333333333332,0.5,0.8\n"; !strings.Contains(csv.String(), want) {
		t.Errorf("csv report lacks %q:\n%s", want, csv.String())
	}
}

// TestCancelledChecksNotRecorded stops the checker mid-fetch: nothing is
// recorded (a cut fetch is not a check), and the item is checked again
// once its lease runs out.
func TestCancelledChecksNotRecorded(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	st := openStore(t, t.TempDir())
	clk := testclock.New(t0)
	tr := liveness.New(st, localClient(), liveness.Config{Now: clk.Now, Jitter: 0, Lease: 10 * time.Minute})
	if err := tr.Track(context.Background(), liveness.Item{URL: srv.URL + "/slow", Platform: post.Web, Channel: liveness.Email}); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := tr.CheckDue(ctx); err == nil {
		t.Fatal("CheckDue cut short returned no error")
	}
	got, err := st.TrackedURL(context.Background(), srv.URL+"/slow")
	if err != nil {
		t.Fatal(err)
	}
	if got.Checks != 0 || len(got.History) != 0 || !got.NextCheck.Equal(t0.Add(time.Hour+10*time.Minute)) {
		t.Errorf("after a cut check: %d checks, history %v, next %v; want none recorded, due when the lease ends", got.Checks, got.History, got.NextCheck)
	}
}

func TestTrackPosts(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	clk := testclock.New(t0)
	collected := t0.Add(-time.Hour)
	ps := []post.Post{
		{Platform: post.X, ID: "1", Channel: post.Channel{ID: "c"}, URL: "https://x.com/a/status/1", CollectedAt: collected,
			Decision: post.Decision{Violating: true, Label: post.Propaganda, Tier: post.TierOfficial}},
		{Platform: post.X, ID: "2", Channel: post.Channel{ID: "c"}, URL: "https://x.com/a/status/2", Decision: post.Decision{Label: post.News}},
		{Platform: post.Telegram, ID: "3", Channel: post.Channel{ID: "c"}, Decision: post.Decision{Violating: true, Label: post.Threat}},
		{Platform: post.WhatsApp, ID: "4", Channel: post.Channel{ID: "c"}, URL: "whatsapp://chat", Decision: post.Decision{Violating: true, Label: post.Threat}},
	}
	off := liveness.New(st, localClient(), liveness.Config{Now: clk.Now})
	if n, err := off.TrackPosts(ctx, ps); err != nil || n != 0 {
		t.Fatalf("TrackPosts with the switch off = %d, %v; want nothing tracked", n, err)
	}
	on := liveness.New(st, localClient(), liveness.Config{Now: clk.Now, TrackPosts: true})
	if n, err := on.TrackPosts(ctx, ps); err != nil || n != 1 {
		t.Fatalf("TrackPosts = %d, %v; want the one violating post with an http(s) URL", n, err)
	}
	got, err := st.TrackedURL(ctx, "https://x.com/a/status/1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Channel != liveness.None || got.PostKey != ps[0].Key() || got.Label != post.Propaganda || !got.ReferredAt.Equal(collected) {
		t.Errorf("tracked %+v, want channel none, the post's key and label, timed from its collection", got.Item)
	}
}

// TestRemovedHook: the hook hears of a removal once, when it is confirmed,
// and never of content still online.
func TestRemovedHook(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	st := openStore(t, t.TempDir())
	clk := testclock.New(t0)
	var heard []string
	tr := liveness.New(st, localClient(), liveness.Config{Now: clk.Now, Jitter: 0, Confirm: 2, ConfirmAfter: time.Minute,
		Removed: func(_ context.Context, it liveness.Tracked) error {
			heard = append(heard, it.URL+" "+it.Account)
			if e := it.Evidence(); !strings.HasPrefix(e, it.URL+" gone since ") || !strings.HasSuffix(e, "after 2 checks (last: gone, HTTP 404)") {
				t.Errorf("evidence of the removal: %q", e)
			}
			return nil
		}})
	items := []liveness.Item{
		{URL: srv.URL + "/gone", Platform: post.Web, Account: "web:gone", Channel: liveness.None},
		{URL: srv.URL + "/here", Platform: post.Web, Channel: liveness.None},
	}
	if _, err := tr.TrackAll(ctx, items); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{0, 1, 1} {
		clk.Set(t0.Add(time.Duration(i+1) * 24 * time.Hour))
		if _, err := tr.CheckDue(ctx); err != nil {
			t.Fatal(err)
		}
		if len(heard) != want {
			t.Fatalf("after check %d the hook heard %q, want %d removal(s)", i+1, heard, want)
		}
	}
	if heard[0] != srv.URL+"/gone web:gone" {
		t.Errorf("hook heard %q, want the gone page with its account", heard[0])
	}
}
