package neardup

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// TestIndexEvictsOldest fills a small index past its capacity: the oldest
// texts go, with their keys and bucket heads, and the newest stay findable.
func TestIndexEvictsOldest(t *testing.T) {
	const capacity = 100
	texts := synthetic(250)
	ix := New(Options{Capacity: capacity})
	for i, s := range texts {
		if _, err := ix.Add(fmt.Sprint(i), s); err != nil {
			t.Fatal(err)
		}
	}
	if ix.Len() != capacity {
		t.Fatalf("Len() = %d, want %d", ix.Len(), capacity)
	}
	if ix.heads.n > capacity*Bands {
		t.Errorf("%d bucket heads for %d texts: evicted buckets were kept", ix.heads.n, capacity)
	}
	for _, tc := range []struct {
		i    int
		want bool
	}{{0, false}, {149, false}, {150, true}, {249, true}} {
		t.Run(fmt.Sprint(tc.i), func(t *testing.T) {
			key := fmt.Sprint(tc.i)
			got := slices.ContainsFunc(ix.Query(texts[tc.i]), func(c Candidate) bool { return c.Key == key })
			if got != tc.want {
				t.Errorf("Query(text %d) finds it: %v, want %v", tc.i, got, tc.want)
			}
		})
	}
	// An evicted key is free again; a kept one is not.
	if _, err := ix.Add("0", texts[0]); err != nil {
		t.Errorf("re-adding evicted key 0: %v", err)
	}
	if _, err := ix.Add("249", texts[249]); !errors.Is(err, ErrDuplicateKey) {
		t.Errorf("re-adding kept key 249: %v, want ErrDuplicateKey", err)
	}
}

// TestClustersAfterEviction checks that clusters hold only indexed texts
// and survive the reuse of their members' slots.
func TestClustersAfterEviction(t *testing.T) {
	ix := New(Options{Capacity: 4})
	for i, s := range []string{
		"صدر حديثا عن مؤسسة النور للاعلام اصدار مرئي جديد بعنوان رسائل من الثغور",
		"#عاجل صدر حديثا عن مؤسسة النور للاعلام اصدار مرئي جديد بعنوان رسائل من الثغور",
		"ارتفاع اسعار الخضار في الاسواق المحلية بسبب موجة الحر",
		"صدر حديثا عن مؤسسة النور للاعلام اصدار مرئي جديد بعنوان رسائل من الثغور 🔥",
		"فاز فريق الجامعة ببطولة كرة القدم بعد مباراة مثيرة",
	} {
		if _, err := ix.Add(fmt.Sprintf("k%d", i), s); err != nil {
			t.Fatal(err)
		}
	}
	want := [][]string{{"k1", "k3"}}
	if got := ix.Clusters(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Clusters() = %v, want %v (k0 was evicted)", got, want)
	}
}

// TestQueryCostBounded indexes one message many times, the worst case of
// recycling: a query reads at most BucketWalk entries of a bucket and
// compares at most Verify signatures, however many copies share its
// buckets, the newest first.
func TestQueryCostBounded(t *testing.T) {
	const text = "صدر حديثا عن مؤسسة النور للاعلام اصدار مرئي جديد بعنوان رسائل من الثغور"
	for _, tc := range []struct {
		name string
		opt  Options
		want int
	}{
		{"verify 1", Options{Verify: 1, BucketWalk: 1000}, 1},
		{"verify 20", Options{Verify: 20, BucketWalk: 1000}, 20},
		{"walk 3", Options{Verify: 1000, BucketWalk: 3}, 3},
		{"defaults", Options{}, min(DefaultVerify, DefaultBucketWalk)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix := New(tc.opt)
			for i := range 500 {
				if _, err := ix.Add(fmt.Sprint(i), text); err != nil {
					t.Fatal(err)
				}
			}
			var keys []string
			for _, c := range ix.Query(text) {
				keys = append(keys, c.Key)
			}
			slices.Sort(keys)
			var want []string
			for i := 500 - tc.want; i < 500; i++ {
				want = append(want, fmt.Sprint(i))
			}
			slices.Sort(want)
			if !slices.Equal(keys, want) {
				t.Fatalf("Query found %v, want the newest %d copies", keys, tc.want)
			}
		})
	}
}

// TestIndexSignature fills one index with texts and another with their
// signatures, encoded and decoded as a store keeps them: both answer alike,
// queried by text and by signature.
func TestIndexSignature(t *testing.T) {
	fx := loadReposts(t)
	byText, bySig := NewIndex(0), NewIndex(0)
	for _, x := range fx {
		sig, ok := Sign(x.text)
		if !ok {
			continue
		}
		b, err := sig.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back Signature
		if err := back.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if back != sig {
			t.Fatalf("%s: signature changed through its encoding", x.key)
		}
		if _, err := byText.Add(x.key, x.text); err != nil {
			t.Fatal(err)
		}
		if _, err := bySig.Index(x.key, back); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range fx {
		sig, ok := Sign(x.text)
		if !ok {
			continue
		}
		if a, b := byText.Query(x.text), bySig.QuerySignature(&sig); fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: by text %v, by signature %v", x.key, a, b)
		}
	}
	if fmt.Sprint(byText.Clusters()) != fmt.Sprint(bySig.Clusters()) {
		t.Errorf("clusters differ: %v and %v", byText.Clusters(), bySig.Clusters())
	}
}

func TestUnmarshalBadSignature(t *testing.T) {
	sig, _ := Sign("صدر حديثا عن مؤسسة النور")
	good, _ := sig.MarshalBinary()
	otherVersion := slices.Clone(good)
	otherVersion[0]++
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short", good[:len(good)-1]},
		{"long", append(slices.Clone(good), 0)},
		{"other version", otherVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s Signature
			if err := s.UnmarshalBinary(tc.b); !errors.Is(err, ErrBadSignature) {
				t.Errorf("err %v, want ErrBadSignature", err)
			}
		})
	}
}

// FuzzUnmarshalSignature checks that any bytes either decode to a
// signature that encodes back to them, or are refused.
func FuzzUnmarshalSignature(f *testing.F) {
	sig, _ := Sign("صدر حديثا عن مؤسسة النور")
	good, _ := sig.MarshalBinary()
	f.Add(good)
	f.Add([]byte{})
	f.Add(good[:10])
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Signature
		if err := s.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("err %v is not ErrBadSignature", err)
			}
			return
		}
		back, _ := s.MarshalBinary()
		if !slices.Equal(back, b) {
			t.Fatalf("%x decodes and encodes to %x", b, back)
		}
	})
}
