package collect_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/pipeline"
	"github.com/raqib-project/raqib/internal/post"
)

// feeds is a local server of many RSS feeds (/feed/0, /feed/1, ...), each
// showing its newest 30 items, that records which collector (by
// User-Agent) read which feed.
type feeds struct {
	mu     sync.Mutex
	items  map[string]int             // per path, items published
	agents map[string]map[string]bool // per path, the user agents that read it
}

func newFeeds(n int) *feeds {
	f := &feeds{items: map[string]int{}, agents: map[string]map[string]bool{}}
	for i := range n {
		f.items[fmt.Sprintf("/feed/%d", i)] = 0
	}
	return f
}

func (f *feeds) publish() {
	f.mu.Lock()
	for p := range f.items {
		f.items[p]++
	}
	f.mu.Unlock()
}

func (f *feeds) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.items {
		n += v
	}
	return n
}

func (f *feeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n, ok := f.items[r.URL.Path]
	if ok {
		if f.agents[r.URL.Path] == nil {
			f.agents[r.URL.Path] = map[string]bool{}
		}
		f.agents[r.URL.Path][r.UserAgent()] = true
	}
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>موجز</title><link>https://news.example.invalid/</link>`)
	for i := n; i > max(0, n-30); i-- {
		fmt.Fprintf(&b, `<item><guid>https://news.example.invalid%s/%d</guid><description>%s</description></item>`, r.URL.Path, i, text(i))
	}
	b.WriteString(`</channel></rss>`)
	w.Write([]byte(b.String()))
}

// watchFeeds watches every feed of f on srv, polled every `every`.
func watchFeeds(t *testing.T, r *rig, f *feeds, base string, every time.Duration) {
	for p := range f.items {
		loc := base + p
		src := post.Source{ID: post.SourceID(collect.Feed, loc), Format: collect.Feed, Location: loc, Watch: &post.Watch{Kind: collect.Feed, Every: every}}
		if err := r.st.Watch(context.Background(), src); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLeasesOneOwner runs two collectors with leases in one external NATS
// (RAQIB_TEST_NATS): no source is ever polled by both, and when one stops,
// the other takes its sources over.
func TestLeasesOneOwner(t *testing.T) {
	natsURL := os.Getenv("RAQIB_TEST_NATS")
	if natsURL == "" {
		t.Skip("RAQIB_TEST_NATS is not set (e.g. nats://127.0.0.1:4222); skipping the collector lease test")
	}
	if testing.Short() {
		t.Skip("-short: the lease test runs for seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var nsb [6]byte
	rand.Read(nsb[:])
	ns := "leasetest" + hex.EncodeToString(nsb[:])
	f := newFeeds(20)
	srv := httptest.NewServer(f)
	defer srv.Close()
	r := newRig(t, loopback, "")
	watchFeeds(t, r, f, srv.URL, 200*time.Millisecond)
	f.publish()
	run := func(name string) (stop func()) {
		bus, err := pipeline.Open(ctx, pipeline.Config{URL: natsURL, Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		leases, err := bus.Leases(ctx, 3*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		env := r.env
		env.UserAgent = name
		c := collect.New(collect.Config{Store: r.st, Connectors: connectors, Env: env, Commit: r.st.SavePosts,
			Leases: leases, Owner: name, Tick: 50 * time.Millisecond, Log: slog.New(slog.DiscardHandler)})
		cctx, ccancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { c.Run(cctx); close(done) }()
		return func() { ccancel(); <-done; bus.Close() }
	}
	stopA := run("collector-a")
	stopB := run("collector-b")
	time.Sleep(2 * time.Second)
	f.mu.Lock()
	owners := map[string]int{}
	for p, ag := range f.agents {
		if len(ag) != 1 {
			t.Errorf("%s polled by %v: want one owner", p, ag)
		}
		for a := range ag {
			owners[a]++
		}
	}
	if len(f.agents) != 20 {
		t.Errorf("%d of 20 feeds polled", len(f.agents))
	}
	f.mu.Unlock()
	t.Logf("sources per collector: %v", owners)
	// a stops and gives its leases up: b takes every source over, and a
	// polls nothing once it stopped.
	stopA()
	f.mu.Lock()
	f.agents = map[string]map[string]bool{}
	f.mu.Unlock()
	deadline := time.Now().Add(20 * time.Second)
	for {
		f.mu.Lock()
		n := len(f.agents)
		f.mu.Unlock()
		if n == 20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopB()
	f.mu.Lock()
	defer f.mu.Unlock()
	for p, ag := range f.agents {
		if len(ag) != 1 || !ag["collector-b"] {
			t.Errorf("after a stopped, %s polled by %v", p, ag)
		}
	}
	if len(f.agents) != 20 {
		t.Errorf("after a stopped, b polled %d of 20 feeds: it did not take a's over", len(f.agents))
	}
}

// TestSoak runs 50 feeds on a local server for 60 s (5 s with -short)
// while items arrive: every item is stored exactly once, and the heap
// after the run is no larger than in its first quarter, give or take.
func TestSoak(t *testing.T) {
	d := 60 * time.Second
	if testing.Short() {
		d = 5 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFeeds(50)
	srv := httptest.NewServer(f)
	defer srv.Close()
	r := newRig(t, loopback, "")
	watchFeeds(t, r, f, srv.URL, 300*time.Millisecond)
	c := collect.New(collect.Config{Store: r.st, Connectors: connectors, Env: r.env, Commit: r.commit, Tick: 100 * time.Millisecond,
		Parallel: 8, Log: slog.New(slog.DiscardHandler)})
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	start := time.Now()
	var early uint64
	for time.Since(start) < d {
		f.publish()
		time.Sleep(200 * time.Millisecond)
		if early == 0 && time.Since(start) > d/4 {
			early = heap()
		}
	}
	want := f.total()
	// Let the last items be read.
	deadline := time.Now().Add(30 * time.Second)
	for r.stored(t) < int64(want) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	<-done
	late := heap()
	t.Logf("%d items from 50 feeds in %s; heap %d KiB at a quarter, %d KiB at the end", want, d, early>>10, late>>10)
	if got := r.stored(t); got != int64(want) {
		t.Fatalf("%d posts stored, want %d", got, want)
	}
	if r.in.Inserted != want {
		t.Fatalf("commits inserted %d, want %d (each once)", r.in.Inserted, want)
	}
	if late > early*2+16<<20 {
		t.Errorf("heap grew from %d KiB to %d KiB", early>>10, late>>10)
	}
}
