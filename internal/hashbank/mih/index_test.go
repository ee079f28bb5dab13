package mih

import (
	"bufio"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/shareddata"
)

func readHashFile(t *testing.T, name string) []pdq.Hash {
	t.Helper()
	p := shareddata.Need(t, "pdq-vectors", "pdq", "data", "reg-test-input", name)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var hs []pdq.Hash
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		h, err := pdq.ParseHash(s)
		if err != nil {
			t.Fatalf("%s:%d: %v", name, line, err)
		}
		if h.String() != strings.ToLower(s) {
			t.Fatalf("%s:%d: round trip gives %s", name, line, h)
		}
		hs = append(hs, h)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return hs
}

// The upstream vectors: order256 pins the word order, short256 has pairs one
// bit apart, and every file round-trips through pdq.ParseHash and String.
func TestVectorFiles(t *testing.T) {
	order := readHashFile(t, "order256.dat")
	if order[0] != (pdq.Hash{1, 2, 3, 4}) || order[1] != (pdq.Hash{0, 0x10, 2, 0x12}) {
		t.Errorf("order256.dat parsed as %v", order)
	}
	short := readHashFile(t, "short256.dat")
	for _, tc := range []struct {
		i, j, want int
	}{{0, 1, 4}, {2, 3, 3}, {4, 5, 256}} {
		if d := short[tc.i].Distance(short[tc.j]); d != tc.want {
			t.Errorf("short256 %d-%d distance %d, want %d", tc.i, tc.j, d, tc.want)
		}
	}
	readHashFile(t, "long256.dat")
}

func TestIndexMatchesBruteForceOnVectors(t *testing.T) {
	hay := readHashFile(t, "haystack.txt")
	needles := readHashFile(t, "needles.txt")
	all := make([]int, 32)
	for i := range all {
		all[i] = i
	}
	// A big-layout query costs ~2,900 probes whatever the haystack size;
	// -short keeps the radii around its chunk-radius steps (12, 24).
	bigRadii := all
	if testing.Short() {
		bigRadii = []int{0, 5, 11, 12, 17, 23, 24, 30, 31}
	}
	tests := []struct {
		name  string
		ix    *Index
		radii []int
	}{
		{name: "16 chunks", ix: NewIndex(slices.Clone(hay)), radii: all},
		{name: "12 chunks", ix: newIndex(slices.Clone(hay), defaultFlush, 1), radii: bigRadii},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			found := 0
			for _, r := range tc.radii {
				for i, n := range needles {
					got, want := tc.ix.Query(n, r), BruteForce(hay, n, r)
					if !slices.Equal(got, want) {
						t.Fatalf("radius %d needle %d: index %v, brute force %v", r, i, got, want)
					}
					if r == 31 {
						found += len(got)
					}
				}
			}
			if found == 0 {
				t.Fatal("no needle has a haystack neighbour within 31: the comparison proves nothing")
			}
		})
	}
}

// randomCorpus plants, for every query, neighbours at several distances
// around 31 so that both sides of each radius are exercised.
func randomCorpus(n, queries int, seed uint64) (hashes, qs []pdq.Hash) {
	r := rand.New(rand.NewPCG(seed, 7))
	hashes = RandomHashes(n, seed)
	for range queries {
		q := pdq.Hash{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
		qs = append(qs, q)
		for _, k := range []int{0, 1, 15, 16, 17, 30, 31, 32, 33, r.IntN(48)} {
			hashes[r.IntN(n)] = Perturb(q, k, r)
		}
	}
	return hashes, qs
}

func TestIndexRandomPlanted(t *testing.T) {
	hashes, qs := randomCorpus(20000, 40, 11)
	tests := []struct {
		name  string
		build func(t *testing.T) *Index
	}{
		{name: "built at once", build: func(t *testing.T) *Index { return NewIndex(slices.Clone(hashes)) }},
		{name: "built at once, big layout", build: func(t *testing.T) *Index {
			ix := newIndex(slices.Clone(hashes), defaultFlush, 1)
			if ix.segments[0].layout != bigLayout {
				t.Fatal("the big layout was not used")
			}
			return ix
		}},
		{name: "added one by one with merges", build: func(t *testing.T) *Index {
			ix := newIndex(nil, 1500, bigSegment)
			for _, h := range hashes {
				ix.Add(h)
			}
			if len(ix.segments) >= ix.indexed/ix.flushAt || ix.indexed == len(hashes) {
				t.Fatalf("segments %d, indexed %d of %d: the test misses the merge or tail path", len(ix.segments), ix.indexed, len(hashes))
			}
			return ix
		}},
		{name: "half built half added", build: func(t *testing.T) *Index {
			ix := newIndex(slices.Clone(hashes[:len(hashes)/2]), 3000, 10000)
			for _, h := range hashes[len(hashes)/2:] {
				ix.Add(h)
			}
			return ix
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix := tc.build(t)
			for _, r := range []int{0, 1, 15, 16, 31, 32, 47, 48, 60} {
				for i, q := range qs {
					if got, want := ix.Query(q, r), BruteForce(hashes, q, r); !slices.Equal(got, want) {
						t.Fatalf("radius %d query %d: index %v, brute force %v", r, i, got, want)
					}
				}
			}
		})
	}
}

func TestIndexTombstones(t *testing.T) {
	hashes, qs := randomCorpus(5000, 5, 3)
	ix := NewIndex(slices.Clone(hashes))
	all := ix.Query(qs[0], 31)
	if len(all) < 2 {
		t.Fatalf("want planted neighbours, got %v", all)
	}
	if err := ix.SetEnabled(all[0].ID, false); err != nil {
		t.Fatal(err)
	}
	if got := ix.Query(qs[0], 31); !slices.Equal(got, all[1:]) {
		t.Fatalf("after disable: %v, want %v", got, all[1:])
	}
	if err := ix.SetEnabled(all[0].ID, true); err != nil {
		t.Fatal(err)
	}
	if got := ix.Query(qs[0], 31); !slices.Equal(got, all) {
		t.Fatalf("after enable: %v, want %v", got, all)
	}
	if err := ix.SetEnabled(uint32(len(hashes)), false); err == nil {
		t.Fatal("SetEnabled past the end: want error")
	}
}

func TestIndexConcurrentQueries(t *testing.T) {
	hashes, qs := randomCorpus(5000, 8, 5)
	ix := NewIndex(slices.Clone(hashes))
	var wg sync.WaitGroup
	for _, q := range qs {
		wg.Go(func() {
			if got, want := ix.Query(q, 31), BruteForce(hashes, q, 31); !slices.Equal(got, want) {
				t.Errorf("concurrent query: %v, want %v", got, want)
			}
		})
	}
	wg.Wait()
}

var (
	bigOnce  sync.Once
	bigIndex *Index
	bigHash  []pdq.Hash
	bigBuild time.Duration
	bigHeap  uint64
)

const bigN = 10_000_000

func bigFixture(b *testing.B) (*Index, []pdq.Hash) {
	if testing.Short() {
		b.Skip("builds a 10,000,000-hash index; skipped under -short")
	}
	bigOnce.Do(func() {
		bigHash = RandomHashes(bigN, 1)
		bigIndex, bigBuild, bigHeap = BuildMeasured(bigHash)
	})
	return bigIndex, bigHash
}

// BenchmarkQuery10M times radius-31 queries with a planted neighbour and
// reports, from the same run, the build time, the heap (hashes included),
// the median and p95 latency and the speed-up over BruteForce.
func BenchmarkQuery10M(b *testing.B) {
	ix, hashes := bigFixture(b)
	qs := plantedQueries(hashes, 1024)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ix.Query(qs[i%len(qs)], 31)
	}
	f := MeasureQueries(ix, hashes, 200)
	b.ReportMetric(bigBuild.Seconds(), "build-s")
	b.ReportMetric(float64(bigHeap)/1e6, "heap-MB")
	b.ReportMetric(float64(f.Median.Microseconds()), "median-µs")
	b.ReportMetric(float64(f.P95.Microseconds()), "p95-µs")
	b.ReportMetric(f.Speedup, "speedup")
}

func BenchmarkBruteForce10M(b *testing.B) {
	_, hashes := bigFixture(b)
	qs := plantedQueries(hashes, 16)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		BruteForce(hashes, qs[i%len(qs)], 31)
	}
}

func TestBenchIndex(t *testing.T) {
	var out strings.Builder
	if err := BenchIndex(3000, 10, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"hashes          3000", "query median", "query p95", "brute median", "speed-up", "build", "heap"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err := BenchIndex(0, 10, &out); !errors.Is(err, ErrBenchSize) {
		t.Errorf("empty bench: %v", err)
	}
}
