package collect_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/fetch"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// rig is a collector over a real SQLite store whose commit is the store's
// atomic batch save (the application commits through the pipeline; see
// internal/app).
type rig struct {
	st   *sqlite.Store
	mu   sync.Mutex // guards in
	env  collect.Env
	in   store.Counts // what every commit did, summed
	fail func(ps []post.Post) error
}

func newRig(t *testing.T, allow []netip.Prefix, ua string) *rig {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &rig{st: st, env: collect.Env{
		Client:    fetch.New(fetch.Config{Allow: allow, Timeout: 10 * time.Second}),
		UserAgent: ua,
		Getenv:    envMap{"TOKEN": "s3cret", "RC_TOKEN": "bot-user:s3cret"}.get,
		MaxPages:  10,
	}}
}

type envMap map[string]string

func (m envMap) get(k string) string { return m[k] }

func (r *rig) collector() *collect.Collector {
	return collect.New(collect.Config{Store: r.st, Connectors: connectors, Env: r.env, Commit: r.commit, Log: slog.New(slog.DiscardHandler)})
}

func (r *rig) commit(ctx context.Context, ps []post.Post) (store.Counts, error) {
	c, err := r.st.SavePosts(ctx, ps)
	if err != nil {
		return c, err
	}
	r.mu.Lock()
	r.in.Add(c)
	r.mu.Unlock()
	if r.fail != nil {
		return c, r.fail(ps)
	}
	return c, nil
}

// watch adds u's source on srv to the store.
func (r *rig) watch(t *testing.T, u *upstream, base string) post.Source {
	loc := base + u.path
	src := post.Source{ID: post.SourceID(u.kind, loc), Format: u.kind, Location: loc,
		Watch: &post.Watch{Kind: u.kind, Every: time.Minute, Selector: u.selector}}
	switch u.kind {
	case collect.RocketChat:
		src.Watch.TokenEnv = "RC_TOKEN"
	case collect.XAPI:
		src.Watch.TokenEnv = "TOKEN"
	}
	if err := r.st.Watch(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	return src
}

// reload reads src as stored, with its cursor.
func (r *rig) reload(t *testing.T, src post.Source) post.Source {
	t.Helper()
	got, err := r.st.WatchedSource(context.Background(), src.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (r *rig) stored(t *testing.T) int64 {
	t.Helper()
	st, err := r.st.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Posts
}

// TestConnectors runs every connector against its platform played by a
// local server: a first poll with pagination, new posts, a 429 with
// Retry-After, 5xx, truncated bodies, and a restart between commit and
// cursor; in the end every published post is stored exactly once.
func TestConnectors(t *testing.T) {
	ctx := context.Background()
	for _, mk := range []func(*testing.T) *upstream{telegramUpstream, feedUpstream, webUpstream, rocketUpstream, xUpstream} {
		u := mk(t)
		t.Run(u.kind, func(t *testing.T) {
			srv := httptest.NewServer(u)
			defer srv.Close()
			r := newRig(t, loopback, "")
			src := r.watch(t, u, srv.URL)
			c := r.collector()
			poll := func(step string) (collect.Result, error) {
				t.Helper()
				src = r.reload(t, src)
				res, err := c.Poll(ctx, src)
				t.Logf("%s: %+v %v", step, res, err)
				return res, err
			}
			wantStored := func(step string, n int) {
				t.Helper()
				if got := r.stored(t); got != int64(n) {
					t.Fatalf("%s: %d posts stored, want %d", step, got, n)
				}
				if r.in.Inserted != n {
					t.Fatalf("%s: commits inserted %d, want %d", step, r.in.Inserted, n)
				}
			}
			// A first poll reads the history across pages.
			u.publish(25)
			if _, err := poll("first"); err != nil {
				t.Fatal(err)
			}
			wantStored("first poll", 25)
			cursor := r.reload(t, src).Watch.Cursor

			// Refusals and failures: nothing committed, the cursor stays,
			// the error is recorded.
			u.publish(12)
			faults := []string{"429", "503", "502", "truncate"}
			if u.kind == collect.XAPI {
				faults = append(faults, "x429") // X's x-rate-limit-* headers
			}
			for _, f := range faults {
				u.fault(f)
				before := time.Now()
				_, err := poll(f)
				var wait *collect.WaitError
				switch {
				case err == nil:
					t.Fatalf("%s: no error", f)
				case f == "429" && (!errors.As(err, &wait) || wait.Until.Before(before.Add(119*time.Second))):
					t.Fatalf("429: %v, want a wait of Retry-After's 120s", err)
				case f == "x429" && (!errors.As(err, &wait) || wait.Until.Before(before.Add(14*time.Minute))):
					t.Fatalf("x429: %v, want a wait until x-rate-limit-reset, 15 minutes on", err)
				case f == "truncate" && !strings.Contains(err.Error(), "unexpected EOF"):
					t.Fatalf("truncate: %v", err)
				}
				got := r.reload(t, src)
				if got.Watch.Cursor != cursor || !got.Watch.Failing() || got.Watch.LastError == "" {
					t.Fatalf("%s: cursor %q (was %q), health %+v", f, got.Watch.Cursor, cursor, got.Watch)
				}
				wantStored(f, 25)
			}
			// A truncated second page fails the whole poll.
			if u.kind == collect.TelegramWeb || u.kind == collect.XAPI {
				u.publish(30)
				u.fault("", "truncate")
				if _, err := poll("truncated second page"); err == nil {
					t.Fatal("truncated second page: no error")
				}
				wantStored("truncated second page", 25)
			}
			// A restart between commit and cursor: the posts are committed,
			// the cursor is not stored; the next collector reads them again
			// and the store keeps each once.
			r.fail = func([]post.Post) error { return errors.New("killed after commit") }
			if _, err := poll("crash"); err == nil {
				t.Fatal("crash: no error")
			}
			r.fail = nil
			n := u.published()
			if r.reload(t, src).Watch.Cursor != cursor {
				t.Fatal("the cursor moved although the poll failed")
			}
			inserted := r.in.Inserted
			if inserted != n {
				t.Fatalf("crash: %d inserted, want %d", inserted, n)
			}
			c = r.collector()
			if _, err := poll("after restart"); err != nil {
				t.Fatal(err)
			}
			wantStored("after restart", n)
			// Quiet: nothing new, nothing re-sent (feeds answer 304).
			if res, err := poll("quiet"); err != nil || res.Counts.Inserted != 0 {
				t.Fatalf("quiet poll: %+v %v", res, err)
			}
			u.publish(3)
			if _, err := poll("three more"); err != nil {
				t.Fatal(err)
			}
			wantStored("three more", n+3)
			got := r.reload(t, src)
			if got.Watch.Failing() || got.Watch.LastSuccess.IsZero() || got.Watch.Cursor == cursor || got.Posts != int64(n+3) {
				t.Errorf("health at the end: %+v, posts %d", got.Watch, got.Posts)
			}
		})
	}
}
