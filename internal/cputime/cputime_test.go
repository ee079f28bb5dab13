package cputime

import (
	"runtime"
	"testing"
	"time"
)

// spin burns CPU on the calling goroutine for about d of CPU time, or fails
// t after a minute of wall-clock time.
func spin(t *testing.T, d time.Duration) uint64 {
	start, ok := process()
	if !ok {
		t.Skip("no CPU clock on " + runtime.GOOS)
	}
	deadline := time.Now().Add(time.Minute)
	x := uint64(1)
	for {
		for range 1 << 16 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		now, _ := process()
		if now-start >= d {
			return x
		}
		if time.Now().After(deadline) {
			t.Fatalf("the CPU clock advanced %v in a minute of spinning", now-start)
		}
	}
}

func TestProcessCountsWorkNotWaiting(t *testing.T) {
	spin(t, 20*time.Millisecond) // reaching it at all is the first check
	before, _ := process()
	time.Sleep(200 * time.Millisecond)
	after, _ := process()
	if d := after - before; d > 100*time.Millisecond {
		t.Errorf("sleeping 200ms used %v of CPU time", d)
	}
}

func TestReport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a benchmark for a second")
	}
	r := testing.Benchmark(func(b *testing.B) {
		m := Start()
		for b.Loop() {
			spin(t, 10*time.Microsecond)
		}
		m.Report(b, "spins")
	})
	cpu, perCore := r.Extra["cpu-ns/op"], r.Extra["spins/s/core"]
	if cpu < 10e3 {
		t.Errorf("cpu-ns/op %v, want at least the 10µs each op spins", cpu)
	}
	if got := 1e9 / cpu; perCore < got*0.999 || perCore > got*1.001 {
		t.Errorf("spins/s/core %v, want 1e9/cpu-ns/op = %v", perCore, got)
	}
}
