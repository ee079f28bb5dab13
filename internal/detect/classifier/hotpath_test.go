package classifier

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/raqib-project/raqib/internal/arabic"
)

// TestFamiliarCountedWhileScoring checks the share Familiar reports, which
// scoring counts on the way, against its definition: the features of the
// text last scored whose weight reaches the median trained magnitude. The
// texts are the hand-made sentences of testdata (Arabic and English), and
// the scratch is reused across them as the stack reuses it.
func TestFamiliarCountedWhileScoring(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var s Scratch
	for _, name := range []string{"counter_speech.txt", "generic.txt", "news_heldout.txt"} {
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			m.Score([]byte(arabic.Normalize(sc.Text())), &s)
			want := float32(0)
			if len(s.feats) > 0 {
				n := 0
				for _, ft := range s.feats {
					if w := m.W[ft.hash&(m.Buckets-1)]; w >= m.known || -w >= m.known {
						n++
					}
				}
				want = float32(n) / float32(len(s.feats))
			}
			if got := m.Familiar(&s); got != want {
				t.Errorf("%s: %q: Familiar %v, want %v", name, sc.Text(), got, want)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAppendFixed2 compares appendFixed2 with strconv on float32 values of
// every magnitude (random bit patterns), on exact ties of the second
// decimal, which round half to even, and on the special values.
func TestAppendFixed2(t *testing.T) {
	vals := []float32{0, float32(math.Copysign(0, -1)), 0.125, 0.375, -0.125, 0.005, 0.015, 1.005, 0.995, 0.999, -0.001,
		2.5e-3, 99.995, 1 << 24, 1e15, 1e30, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.MaxFloat32,
		math.SmallestNonzeroFloat32}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		vals = append(vals, math.Float32frombits(rng.Uint32()))
	}
	for k := -100000; k <= 100000; k++ {
		// Every multiple of 1/800: ties at .xx5 where exact, and the
		// scores and weights explanations print.
		vals = append(vals, float32(k)/800)
	}
	for _, v := range vals {
		want := strconv.AppendFloat(nil, float64(v), 'f', 2, 32)
		if got := appendFixed2(nil, v); string(got) != string(want) {
			t.Fatalf("appendFixed2(%v) = %s, want %s", v, got, want)
		}
	}
}
