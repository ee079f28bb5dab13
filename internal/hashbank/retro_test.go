package hashbank

import (
	"errors"
	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/signaltype"
	"slices"
	"testing"

	"github.com/raqib-project/raqib/internal/post"
)

type stored struct{ algo, hash, key string }

func seqOf(items []stored) HashSeq {
	return func(yield func(algo, hash, key string) bool) {
		for _, s := range items {
			if !yield(s.algo, s.hash, s.key) {
				return
			}
		}
	}
}

func TestRetro(t *testing.T) {
	m := newTestMatcher(t)
	fresh := pdq.Hash{0xdead, 0xbeef, 0xcafe, 0xf00d}
	added := []Entry{
		{ID: 50, Bank: "own", Type: signaltype.PDQ.Name, Hash: fresh.String(), Labels: []post.Label{post.Propaganda}, Enabled: true},
		{ID: 51, Bank: "tat", Type: signaltype.SHA256.Name, Hash: "aa" + fresh.String()[2:], Enabled: true},
		// Next to the benign entry 4: a stored copy of it must stay unmatched.
		{ID: 52, Bank: "own", Type: signaltype.PDQ.Name, Hash: flip(pdq.Hash{1, 2, 3, 4}, 2).String(), Enabled: true},
	}
	if err := m.Add(added); err != nil {
		t.Fatal(err)
	}
	old := []stored{
		{signaltype.PDQ.Name, flip(fresh, 7).String(), "post-near-new"},
		{signaltype.PDQ.Name, flip(fresh, 40).String(), "post-too-far"},
		{signaltype.SHA256.Name, "aa" + fresh.String()[2:], "post-sha"},
		{signaltype.PDQ.Name, pdqBase.String(), "post-old-entry-only"},
		{signaltype.PDQ.Name, pdq.Hash{1, 2, 3, 4}.String(), "post-benign"},
		{signaltype.MD5.Name, "bogus", "post-corrupt"},
	}
	got, err := m.Retro(added, seqOf(old))
	if !errors.Is(err, signaltype.ErrBadValue) {
		t.Errorf("corrupt stored hash not reported: %v", err)
	}
	type pair struct {
		key string
		id  int64
	}
	var pairs []pair
	for _, r := range got {
		pairs = append(pairs, pair{r.Key, r.Match.Entry.ID})
	}
	want := []pair{{"post-near-new", 50}, {"post-sha", 51}}
	if !slices.Equal(pairs, want) {
		t.Fatalf("retro matches %v, want %v", pairs, want)
	}
	if got[0].Match.Distance != 7 || got[0].Match.Bank.Name != "own" {
		t.Errorf("retro match lacks distance or bank: %+v", got[0].Match)
	}
}

func TestRetroStopsWithIterator(t *testing.T) {
	m := newTestMatcher(t)
	added := []Entry{{ID: 60, Bank: "own", Type: signaltype.MD5.Name, Hash: md5Hash, Enabled: true}}
	items := []stored{{signaltype.MD5.Name, md5Hash, "a"}, {signaltype.MD5.Name, md5Hash, "b"}}
	got, err := m.Retro(added, func(yield func(algo, hash, key string) bool) {
		for _, s := range items {
			if !yield(s.algo, s.hash, s.key) {
				t.Error("Retro stopped the iteration early")
				return
			}
		}
	})
	if err != nil || len(got) != 2 {
		t.Fatalf("got %v, %v; want both stored items", got, err)
	}
}
