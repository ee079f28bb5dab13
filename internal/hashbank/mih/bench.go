package mih

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/raqib-project/raqib/internal/pdq"
)

// ErrBenchSize reports benchmark sizes that cannot be measured.
var ErrBenchSize = errors.New("bench needs at least one hash and one query")

// BenchFigures are the measurements of one BenchIndex run.
type BenchFigures struct {
	N, Queries       int
	Build            time.Duration
	HeapBytes        uint64 // HeapAlloc growth across building the index
	IndexBytes       int    // the index's own estimate
	Median, P95      time.Duration
	BruteMedian      time.Duration
	Speedup          float64
	MatchesPerQuery  float64
	BruteForceChecks int
}

// RandomHashes returns n uniformly random hashes from a seeded generator.
func RandomHashes(n int, seed uint64) []pdq.Hash {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	hs := make([]pdq.Hash, n)
	for i := range hs {
		hs[i] = pdq.Hash{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	}
	return hs
}

// Perturb returns h with k distinct random bits flipped.
func Perturb(h pdq.Hash, k int, r *rand.Rand) pdq.Hash {
	for _, b := range r.Perm(256)[:k] {
		h[b/64] ^= 1 << (b % 64)
	}
	return h
}

// MeasureIndex builds an index of n seeded random hashes and measures it
// with MeasureQueries.
func MeasureIndex(n, queries int) (BenchFigures, error) {
	if n < 1 || queries < 1 {
		return BenchFigures{N: n, Queries: queries}, ErrBenchSize
	}
	hashes := RandomHashes(n, 1)
	ix, build, heap := BuildMeasured(hashes)
	f := MeasureQueries(ix, hashes, queries)
	f.Build, f.HeapBytes = build, heap
	return f, nil
}

// BuildMeasured indexes hashes and returns the build time and the heap the
// index holds, the hashes included.
func BuildMeasured(hashes []pdq.Hash) (*Index, time.Duration, uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	ix := NewIndex(hashes)
	build := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	// The hashes were allocated before the baseline: count them in.
	return ix, build, after.HeapAlloc - before.HeapAlloc + uint64(len(hashes))*32
}

// MeasureQueries times radius-31 queries that each have a planted
// neighbour 0..31 bits away from one of hashes (the index's content),
// against a brute-force scan of the same hashes on at most 20 of the
// queries (a scan of ten million hashes takes tens of milliseconds).
func MeasureQueries(ix *Index, hashes []pdq.Hash, queries int) BenchFigures {
	f := BenchFigures{N: len(hashes), Queries: queries, IndexBytes: ix.Bytes()}
	qs := plantedQueries(hashes, queries)
	times := make([]time.Duration, queries)
	matches := 0
	for i, q := range qs {
		t := time.Now()
		matches += len(ix.Query(q, 31))
		times[i] = time.Since(t)
	}
	f.MatchesPerQuery = float64(matches) / float64(queries)
	f.Median, f.P95 = percentile(times, 50), percentile(times, 95)
	f.BruteForceChecks = min(queries, 20)
	brute := make([]time.Duration, f.BruteForceChecks)
	for i := range brute {
		t := time.Now()
		BruteForce(hashes, qs[i], 31)
		brute[i] = time.Since(t)
	}
	f.BruteMedian = percentile(brute, 50)
	if f.Median > 0 {
		f.Speedup = float64(f.BruteMedian) / float64(f.Median)
	}
	return f
}

// plantedQueries returns n queries, each a copy of a random element of
// hashes with 0..31 bits flipped: every query has a match at radius 31, as
// in production where most queries that matter are near a bank entry.
func plantedQueries(hashes []pdq.Hash, n int) []pdq.Hash {
	r := rand.New(rand.NewPCG(2, 3))
	qs := make([]pdq.Hash, n)
	for i := range qs {
		qs[i] = Perturb(hashes[r.IntN(len(hashes))], r.IntN(32), r)
	}
	return qs
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

// BenchIndex runs MeasureIndex and prints its figures, one per line.
func BenchIndex(n, queries int, w io.Writer) error {
	f, err := MeasureIndex(n, queries)
	if err != nil {
		return fmt.Errorf("bench index: %w", err)
	}
	_, err = fmt.Fprintf(w, "hashes          %d\nqueries         %d (radius 31, planted neighbour)\n"+
		"build           %v\nheap            %.1f MB (index estimate %.1f MB)\n"+
		"query median    %v\nquery p95       %v\nbrute median    %v (%d scans)\nspeed-up        %.0fx\nmatches/query   %.2f\n",
		f.N, f.Queries, f.Build.Round(time.Millisecond), float64(f.HeapBytes)/1e6, float64(f.IndexBytes)/1e6,
		f.Median, f.P95, f.BruteMedian, f.BruteForceChecks, f.Speedup, f.MatchesPerQuery)
	if err != nil {
		return fmt.Errorf("bench index: %w", err)
	}
	return nil
}
