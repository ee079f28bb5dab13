package hashbank

import (
	"errors"
	"github.com/raqib-project/raqib/internal/hashbank/mih"
	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/signaltype"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
)

var (
	t0      = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	pdqBase = pdq.Hash{0x0123456789abcdef, 0xfedcba9876543210, 0x0f0f0f0f0f0f0f0f, 0xf0f0f0f0f0f0f0f0}
	md5Hash = "d41d8cd98f00b204e9800998ecf8427e"
)

func testBanks() []Bank {
	return []Bank{
		{Name: "own", Kind: KindOwn, Enabled: true, Distance: 31, Source: "analysts", CreatedAt: t0},
		{Name: "tat", Kind: KindImported, Enabled: true, Distance: 16, Source: "TAT TCAP", CreatedAt: t0},
		{Name: "benign", Kind: KindNegative, Enabled: true, Distance: 8, Source: "news photos", CreatedAt: t0},
	}
}

func flip(h pdq.Hash, n int) pdq.Hash {
	return mih.Perturb(h, n, rand.New(rand.NewPCG(uint64(n), 1)))
}

func testEntries() []Entry {
	prov := Provenance{SharedBy: "unit-7", SharedAt: t0, CaseRef: "CASE-12"}
	return []Entry{
		{ID: 1, Bank: "own", Type: signaltype.PDQ.Name, Hash: pdqBase.String(), Labels: []post.Label{post.Propaganda}, Entity: "isis", Source: "telegram", Provenance: prov, Enabled: true, AddedAt: t0},
		{ID: 2, Bank: "tat", Type: signaltype.PDQ.Name, Hash: flip(pdqBase, 10).String(), Labels: []post.Label{post.Propaganda, post.Recruitment}, Entity: "isis", Enabled: true, AddedAt: t0},
		{ID: 3, Bank: "tat", Type: signaltype.MD5.Name, Hash: strings.ToUpper(md5Hash), Labels: []post.Label{post.Instruction}, Enabled: true, AddedAt: t0},
		{ID: 4, Bank: "benign", Type: signaltype.PDQ.Name, Hash: pdq.Hash{1, 2, 3, 4}.String(), Enabled: true, AddedAt: t0},
	}
}

func newTestMatcher(t *testing.T) *Matcher {
	t.Helper()
	m := NewMatcher()
	if err := m.Load(testBanks(), testEntries()); err != nil {
		t.Fatal(err)
	}
	return m
}

func ids(ms []Match) []int64 {
	var out []int64
	for _, m := range ms {
		out = append(out, m.Entry.ID)
	}
	slices.Sort(out)
	return out
}

func TestMatcherMatch(t *testing.T) {
	m := newTestMatcher(t)
	tests := []struct {
		name, algo, hash string
		want, suppressed []int64
		err              error
	}{
		{name: "exact pdq hits own and tat", algo: signaltype.PDQ.Name, hash: pdqBase.String(), want: []int64{1, 2}},
		{name: "pdq 20 bits off: own only (tat radius 16)", algo: signaltype.PDQ.Name, hash: flip(pdqBase, 20).String(), want: []int64{1}},
		{name: "pdq far away", algo: signaltype.PDQ.Name, hash: pdq.Hash{}.String()},
		{name: "md5 is case-insensitive", algo: signaltype.MD5.Name, hash: md5Hash, want: []int64{3}},
		{name: "md5 miss", algo: signaltype.MD5.Name, hash: strings.Repeat("0", 32)},
		{name: "bad hex", algo: signaltype.MD5.Name, hash: "xyz", err: signaltype.ErrBadValue},
		{name: "unknown algo", algo: "sha1", hash: md5Hash, err: signaltype.ErrUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := m.Match(tc.algo, tc.hash)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if got := ids(r.Matches); !slices.Equal(got, tc.want) {
				t.Fatalf("matches %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMatcherProvenance(t *testing.T) {
	m := newTestMatcher(t)
	r, err := m.Match(signaltype.PDQ.Name, flip(pdqBase, 3).String())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(r.Matches, func(x Match) bool { return x.Entry.ID == 1 })
	if i < 0 {
		t.Fatalf("entry 1 missing from %v", r.Matches)
	}
	got := r.Matches[i]
	if got.Distance != 3 || got.Bank.Source != "analysts" || got.Entry.Provenance.CaseRef != "CASE-12" ||
		got.Entry.Entity != "isis" || !slices.Equal(got.Entry.Labels, []post.Label{post.Propaganda}) {
		t.Fatalf("match lacks provenance: %+v", got)
	}
	got.Entry.Labels[0] = post.News
	again, _ := m.Match(signaltype.PDQ.Name, flip(pdqBase, 3).String())
	if again.Matches[i].Entry.Labels[0] != post.Propaganda {
		t.Fatal("a caller changed the matcher's labels through a result")
	}
}

func TestMatcherNegativeBank(t *testing.T) {
	m := newTestMatcher(t)
	// A positive entry right beside the benign one: the negative bank must win.
	if err := m.Add([]Entry{{ID: 9, Bank: "own", Type: signaltype.PDQ.Name, Hash: flip(pdq.Hash{1, 2, 3, 4}, 12).String(), Labels: []post.Label{post.Propaganda}, Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name             string
		q                pdq.Hash
		want, suppressed []int64
		vetoed           []int64
	}{
		{name: "inside the negative radius", q: flip(pdq.Hash{1, 2, 3, 4}, 5), suppressed: []int64{4}, vetoed: []int64{9}},
		{name: "outside the negative radius", q: flip(flip(pdq.Hash{1, 2, 3, 4}, 12), 2), want: []int64{9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := m.Match(signaltype.PDQ.Name, tc.q.String())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(r.Matches), tc.want) || !slices.Equal(ids(r.Suppressed), tc.suppressed) {
				t.Fatalf("matches %v suppressed %v, want %v %v", ids(r.Matches), ids(r.Suppressed), tc.want, tc.suppressed)
			}
			if !slices.Equal(ids(r.Vetoed), tc.vetoed) {
				t.Fatalf("vetoed %v, want %v", ids(r.Vetoed), tc.vetoed)
			}
		})
	}
}

func TestMatcherEnableDisable(t *testing.T) {
	m := newTestMatcher(t)
	q := pdqBase.String()
	steps := []struct {
		name string
		do   func() error
		want []int64
	}{
		{name: "disable bank tat", do: func() error { return m.SetBankEnabled("tat", false) }, want: []int64{1}},
		{name: "disable entry 1", do: func() error { return m.SetEntryEnabled(1, false) }},
		{name: "enable both", do: func() error {
			return errors.Join(m.SetBankEnabled("tat", true), m.SetEntryEnabled(1, true))
		}, want: []int64{1, 2}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.do(); err != nil {
				t.Fatal(err)
			}
			r, _ := m.Match(signaltype.PDQ.Name, q)
			if got := ids(r.Matches); !slices.Equal(got, s.want) {
				t.Fatalf("matches %v, want %v", got, s.want)
			}
		})
	}
	if err := m.SetBankEnabled("nope", true); !errors.Is(err, ErrUnknownBank) {
		t.Errorf("unknown bank: %v", err)
	}
	if err := m.SetEntryEnabled(99, true); !errors.Is(err, ErrUnknownEntry) {
		t.Errorf("unknown entry: %v", err)
	}
}

func TestMatcherLoadSkipsBadEntries(t *testing.T) {
	m := NewMatcher()
	entries := append(testEntries(),
		Entry{ID: 10, Bank: "own", Type: signaltype.PDQ.Name, Hash: "zz", Enabled: true},
		Entry{ID: 11, Bank: "ghost", Type: signaltype.MD5.Name, Hash: md5Hash, Enabled: true},
		Entry{ID: 12, Bank: "own", Type: signaltype.MD5.Name, Hash: md5Hash, Labels: []post.Label{"jihad"}, Enabled: true},
		Entry{ID: 1, Bank: "own", Type: signaltype.MD5.Name, Hash: md5Hash, Enabled: true},
	)
	err := m.Load(testBanks(), entries)
	for _, want := range []error{signaltype.ErrBadValue, ErrUnknownBank, ErrBadLabel, ErrDuplicateID} {
		if !errors.Is(err, want) {
			t.Errorf("Load error %v does not report %v", err, want)
		}
	}
	r, _ := m.Match(signaltype.PDQ.Name, pdqBase.String())
	if !slices.Equal(ids(r.Matches), []int64{1, 2}) {
		t.Fatalf("good entries not loaded: %v", ids(r.Matches))
	}
}

func TestMatcherConcurrent(t *testing.T) {
	m := newTestMatcher(t)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 200 {
				if _, err := m.Match(signaltype.PDQ.Name, flip(pdqBase, j%40).String()); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for j := range 200 {
				_ = m.SetBankEnabled("tat", j%2 == 0)
				if err := m.Add([]Entry{{ID: int64(1000 + i*1000 + j), Bank: "own", Type: signaltype.PDQ.Name, Hash: flip(pdqBase, j%50).String(), Enabled: true}}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

func TestMatcherPutBank(t *testing.T) {
	m := newTestMatcher(t)
	if err := m.PutBank(Bank{Name: "partner", Kind: KindPartner, Enabled: true, Distance: 4}); err != nil {
		t.Fatal(err)
	}
	far := flip(pdqBase, 40)
	if err := m.Add([]Entry{{ID: 70, Bank: "partner", Type: signaltype.PDQ.Name, Hash: far.String(), Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	q := flip(far, 6).String()
	steps := []struct {
		name     string
		distance int
		want     []int64
	}{
		{name: "radius 4 misses 6 bits", distance: 4},
		{name: "radius 40 widens the query", distance: 40, want: []int64{70}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := m.PutBank(Bank{Name: "partner", Kind: KindPartner, Enabled: true, Distance: s.distance}); err != nil {
				t.Fatal(err)
			}
			r, _ := m.Match(signaltype.PDQ.Name, q)
			if got := ids(r.Matches); !slices.Equal(got, s.want) {
				t.Fatalf("matches %v, want %v", got, s.want)
			}
		})
	}
	if err := m.PutBank(Bank{Name: "x", Kind: "friendly"}); !errors.Is(err, ErrBadBank) {
		t.Fatalf("bad kind: %v", err)
	}
}

// TestMatcherTypeThresholds: a bank's distance is a PDQ radius; the other
// types with a distance keep their own threshold.
func TestMatcherTypeThresholds(t *testing.T) {
	m := NewMatcher()
	sig := strings.Repeat("0123abcd", 128)
	// 30 of 128 signature words differ: within minhash's 38 although the
	// bank allows PDQ distance 4 only.
	near := strings.Repeat("ffffffff", 30) + sig[8*30:]
	far := strings.Repeat("ffffffff", 60) + sig[8*60:]
	err := m.Load([]Bank{{Name: "strict", Kind: KindOwn, Enabled: true, Distance: 4}}, []Entry{
		{ID: 1, Bank: "strict", Type: "minhash", Hash: sig, Enabled: true},
		{ID: 2, Bank: "strict", Type: "PDQ", Hash: pdqBase.String(), Enabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		typ, value string
		want       []int64
	}{
		{"minhash", near, []int64{1}},
		{"minhash", far, nil},
		{"pdq", flip(pdqBase, 4).String(), []int64{2}},
		{"pdq", flip(pdqBase, 5).String(), nil},
		{"md5", md5Hash, nil},
	} {
		r, err := m.Match(tc.typ, tc.value)
		if err != nil || !slices.Equal(ids(r.Matches), tc.want) {
			t.Errorf("%s: matches %v (%v), want %v", tc.typ, ids(r.Matches), err, tc.want)
		}
	}
	if !m.Has("minhash") || !m.Has("pdq") || m.Has("vpdq") || m.Has("nope") {
		t.Error("Has does not tell the loaded types")
	}
}
