package liveness_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/testclock"
)

// BenchmarkScheduler tracks RAQIB_BENCH_LIVENESS_N URLs (default
// 1,000,000) in the embedded SQLite store and checks each once against a
// local server the benchmark starts, with the default concurrency. In
// alternating rounds it also fetches the same number of URLs through the
// same client and concurrency without the scheduler or the store: the
// baseline, the ceiling the server and client allow on this machine.
// Run it once: go test -run '^$' -bench Scheduler -benchtime 1x ./internal/act/liveness/
func BenchmarkScheduler(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("RAQIB_BENCH_LIVENESS_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("RAQIB_BENCH_LIVENESS_N=%q: want a positive number", v)
		}
	}
	const rounds = 10
	ctx := context.Background()
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		// Every tenth item is gone, as a 404; the others serve a small page.
		if strings.HasSuffix(r.URL.Path, "0") {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "<html><body>online</body></html>")
	}))
	defer srv.Close()
	dir := b.TempDir()
	st := openStore(b, dir)
	clk := testclock.New(t0)
	const concurrency = 8
	tr := liveness.New(st, localClient(), liveness.Config{Now: clk.Now, Concurrency: concurrency})

	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	const chunk = 10_000
	items := make([]liveness.Item, 0, chunk)
	for i := 0; i < n; i += chunk {
		items = items[:0]
		for j := i; j < min(n, i+chunk); j++ {
			items = append(items, liveness.Item{URL: srv.URL + "/p/" + strconv.Itoa(j), Platform: post.Telegram, Channel: liveness.Webhook,
				Label: post.Propaganda, Tier: post.TierOfficial, ReferralID: int64(j + 1), ReferredAt: t0})
		}
		if _, err := tr.TrackAll(ctx, items); err != nil {
			b.Fatal(err)
		}
	}
	trackTime := time.Since(start)
	clk.Set(t0.Add(time.Hour)) // every item is due

	client := localClient()
	var checkTime, baseTime time.Duration
	checked, fetched := 0, 0
	b.ResetTimer()
	for r := range rounds {
		want := n * (r + 1) / rounds
		t := time.Now()
		// Two pipelines, as Run keeps; both may overshoot want by a batch.
		var claimed atomic.Int64
		claimed.Store(int64(checked))
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for claimed.Load() < int64(want) {
					got, err := tr.CheckDue(ctx)
					if err != nil {
						b.Error(err)
						return
					}
					if got == 0 {
						return
					}
					claimed.Add(int64(got))
				}
			})
		}
		wg.Wait()
		checked = int(claimed.Load())
		checkTime += time.Since(t)
		t = time.Now()
		baseline(b, client, srv.URL, fetched, checked, concurrency)
		baseTime += time.Since(t)
		fetched = checked
	}
	b.StopTimer()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if checked != n {
		b.Fatalf("%d checks, want %d", checked, n)
	}
	if got := served.Load(); got != int64(checked+fetched) {
		b.Fatalf("server saw %d requests, want %d checks and %d baseline fetches", got, checked, fetched)
	}
	b.ReportMetric(float64(n)/trackTime.Seconds(), "tracked/s")
	b.ReportMetric(float64(checked)/checkTime.Seconds(), "checks/s")
	b.ReportMetric(float64(fetched)/baseTime.Seconds(), "baseline-fetches/s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n*2), "B-alloc/request")
	b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(after.HeapSys)/(1<<20), "heap-sys-MiB")
	b.ReportMetric(float64(dirSize(b, dir))/float64(n), "store-B/URL")
	b.Logf("%d URLs: tracked in %v, checked in %v, baseline fetches in %v", n, trackTime.Round(time.Millisecond),
		checkTime.Round(time.Millisecond), baseTime.Round(time.Millisecond))
}

// baseline fetches URLs from to to of the server through client, with the
// scheduler's concurrency and body handling, and nothing else.
func baseline(b *testing.B, client liveness.Doer, base string, from, to, concurrency int) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for i := range next {
				req, _ := http.NewRequest(http.MethodGet, base+"/p/"+strconv.Itoa(i), nil)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					continue
				}
				io.Copy(io.Discard, io.LimitReader(resp.Body, 256<<10))
				resp.Body.Close()
			}
		})
	}
	for i := from; i < to; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// peakRSS is the process's peak resident set (VmHWM), in bytes: the
// scheduler, the store's page cache and the benchmark's own server.
func peakRSS(b *testing.B) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Logf("peak RSS unknown: %v", err)
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if kb, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var v int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), &v)
			return v << 10
		}
	}
	return 0
}

// dirSize is the bytes of the files in dir: the database and its WAL.
func dirSize(b *testing.B, dir string) int64 {
	es, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, e := range es {
		if fi, err := e.Info(); err == nil && !fi.IsDir() {
			n += fi.Size()
		}
	}
	return n
}
