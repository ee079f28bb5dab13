package neardup

import (
	"math/rand/v2"
	"testing"
)

// TestBandTable runs random sets, deletes and gets against a Go map, with
// keys crowded into few home slots so that probe runs wrap and deletes
// shift entries back.
func TestBandTable(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	var tb bandTable
	want := map[uint64]int32{}
	key := func() uint64 {
		// Few distinct top bits: long collision chains.
		return uint64(r.IntN(256))<<32 | uint64(r.IntN(100))
	}
	for i := range 50_000 {
		k := key()
		switch r.IntN(3) {
		case 0:
			tb.set(k, int32(i))
			want[k] = int32(i)
		case 1:
			tb.del(k)
			delete(want, k)
		}
		if e, ok := tb.get(k); ok != hasKey(want, k) || e != want[k] {
			t.Fatalf("op %d: get(%x) = %d, %v; want %d, %v", i, k, e, ok, want[k], hasKey(want, k))
		}
	}
	if tb.n != len(want) {
		t.Fatalf("%d entries, want %d", tb.n, len(want))
	}
	for k, e := range want {
		if got, ok := tb.get(k); !ok || got != e {
			t.Fatalf("get(%x) = %d, %v; want %d", k, got, ok, e)
		}
	}
	for k := range want {
		tb.del(k)
	}
	if tb.n != 0 {
		t.Fatalf("%d entries after deleting all", tb.n)
	}
}

func hasKey(m map[uint64]int32, k uint64) bool { _, ok := m[k]; return ok }
