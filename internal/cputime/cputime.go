// Package cputime reports what a benchmark costs in CPU time rather than
// wall-clock time. The machines raqib is measured on are shared (two cores,
// load often ten times that), so a benchmark's ns/op mostly measures how
// long it waited for a core; the process's own CPU clock (user + system
// time of all its threads, so the garbage collector's background work is
// charged too) measures the work itself, and a per-core throughput target
// is checked against it.
package cputime

import (
	"runtime"
	"testing"
	"time"
)

// Meter measures the CPU time of a benchmark loop.
type Meter struct {
	start time.Duration
	ok    bool
}

// Start collects the garbage of the benchmark's setup, so the loop is not
// charged for it, and starts measuring. Call it just before the loop.
func Start() Meter {
	runtime.GC()
	t, ok := process()
	return Meter{start: t, ok: ok}
}

// Report adds two metrics to b, for the b.N operations run since Start:
// cpu-ns/op, and unit+"/s/core", the operations one fully used core does
// per second. Where the CPU clock cannot be read it reports nothing.
func (m Meter) Report(b *testing.B, unit string) {
	t, ok := process()
	if !ok || !m.ok || b.N == 0 {
		return
	}
	perOp := float64(t-m.start) / float64(b.N)
	b.ReportMetric(perOp, "cpu-ns/op")
	if perOp > 0 {
		b.ReportMetric(1e9/perOp, unit+"/s/core")
	}
}
