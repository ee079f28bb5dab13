package signaltype

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/pdq/vpdq"
)

// TestStoredNames pins the names stored with every hash and bank entry
// (and those post.Media reads from documents written before hashes were
// typed): renaming a type would orphan stored data.
func TestStoredNames(t *testing.T) {
	for _, tc := range []struct {
		t    *Type
		name string
	}{{MD5, "md5"}, {SHA256, "sha256"}, {PDQ, "pdq"}, {VPDQ, "vpdq"}, {TextSHA256, "text"}, {TextMinHash, "minhash"}} {
		if tc.t.Name != tc.name {
			t.Errorf("type %q, want %q", tc.t.Name, tc.name)
		}
		if got, err := Lookup(strings.ToUpper(tc.name)); err != nil || got != tc.t {
			t.Errorf("Lookup(%q) = %v, %v", tc.name, got, err)
		}
	}
	if got, err := Lookup("SHA-256"); err != nil || got != SHA256 {
		t.Errorf("alias: %v, %v", got, err)
	}
	if _, err := Lookup("crc32"); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown type: %v", err)
	}
}

func TestRegister(t *testing.T) {
	canon := func(v string) (string, error) { return v, nil }
	for _, tc := range []struct {
		name string
		t    *Type
	}{
		{"taken name", &Type{Name: "PDQ", Canonical: canon, Content: []Content{Image}}},
		{"taken alias", &Type{Name: "sha2", Aliases: []string{"sha-256"}, Canonical: canon, Content: []Content{File}}},
		{"no name", &Type{Canonical: canon, Content: []Content{File}}},
		{"no canonical form", &Type{Name: "x-none", Content: []Content{File}}},
		{"no content", &Type{Name: "x-none", Canonical: canon}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Register(tc.t); !errors.Is(err, ErrRegister) {
				t.Fatalf("Register: %v, want ErrRegister", err)
			}
		})
	}
	n := len(All())
	url := &Type{Name: "x-url", Aliases: []string{"x-link"}, Canonical: canon, Content: []Content{Text}}
	if err := Register(url); err != nil {
		t.Fatal(err)
	}
	if got, err := Lookup("x-link"); err != nil || got != url || len(All()) != n+1 {
		t.Errorf("after Register: %v, %v, %d types", got, err, len(All()))
	}
	Unregister(url)
	if _, err := Lookup("x-link"); err == nil || len(All()) != n {
		t.Errorf("after Unregister: %v, %d types", err, len(All()))
	}
}

// video is a vPDQ value of frames from to from+n-1 of a named video;
// frames of videos are about 128 bits apart.
func video(name string, from, n, quality int) []vpdq.Feature {
	var fs []vpdq.Feature
	for i := from; i < from+n; i++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", name, i))
		h, _ := pdq.ParseHash(hex.EncodeToString(sum[:]))
		fs = append(fs, vpdq.Feature{Frame: i, Quality: quality, Hash: h, Timestamp: float64(i)})
	}
	return fs
}

func value(t *testing.T, fs []vpdq.Feature) string {
	t.Helper()
	v, err := VPDQValue(fs)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCanonical(t *testing.T) {
	pdqHash := strings.Repeat("0f", 32)
	sig, _ := MinHash("نص قصير للتجربة")
	for _, tc := range []struct {
		typ, in, want string
		err           error
	}{
		{"md5", " D41D8CD98F00B204E9800998ECF8427E ", "d41d8cd98f00b204e9800998ecf8427e", nil},
		{"md5", "d41d8cd9", "", ErrBadValue},
		{"sha256", strings.Repeat("g", 64), "", ErrBadValue},
		{"pdq", strings.ToUpper(pdqHash), pdqHash, nil},
		{"text", "  txt:1f2e ", "txt:1f2e", nil},
		{"text", " ", "", ErrBadValue},
		{"minhash", strings.ToUpper(sig), sig, nil},
		{"minhash", sig[:100], "", ErrBadValue},
		{"vpdq", "0,90," + pdqHash + ",0\n1,80," + strings.ToUpper(pdqHash), "0,90," + pdqHash + ",0.000;1,80," + pdqHash + ",0.000", nil},
		{"vpdq", "0,90," + pdqHash + ",0;x", "", ErrBadValue},
		{"vpdq", "", "", ErrBadValue},
		{"sha1", "ab", "", ErrUnknown},
	} {
		t.Run(tc.typ+" "+tc.in, func(t *testing.T) {
			got, _, err := Canonical(tc.typ, tc.in)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Errorf("Canonical(%q, %q) = %q, %v; want %q, %v", tc.typ, tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

// TestVPDQAgreesWithReference checks the indexed video distance against
// vpdq.Match, the reference's brute-force matcher, on cuts, re-encodes
// (frames a few bits off), low-quality frames and unrelated videos.
func TestVPDQAgreesWithReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	noisy := func(fs []vpdq.Feature, bits int) []vpdq.Feature {
		out := make([]vpdq.Feature, len(fs))
		for i, f := range fs {
			for range bits {
				k := r.IntN(256)
				f.Hash[k/64] ^= 1 << (k % 64)
			}
			out[i] = f
		}
		return out
	}
	bank := [][]vpdq.Feature{video("a", 0, 20, 90), video("b", 0, 8, 90), append(video("c", 0, 10, 90), video("c-dark", 10, 10, 20)...)}
	ix := VPDQ.Index()
	for _, fs := range bank {
		if err := ix.Add(value(t, fs)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name  string
		query []vpdq.Feature
	}{
		{"same video", bank[0]},
		{"a cut of a", video("a", 5, 10, 90)},
		{"a re-encode of a", noisy(bank[0], 12)},
		{"a and b spliced", append(video("a", 0, 10, 90), video("b", 0, 8, 90)...)},
		{"c without its dark frames", video("c", 0, 10, 90)},
		{"too far off", noisy(bank[1], 40)},
		{"unrelated", video("z", 0, 10, 90)},
		{"only dark frames", video("a", 0, 10, 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits, err := ix.Query(value(t, tc.query), vpdqMax)
			if err != nil {
				t.Fatal(err)
			}
			got := map[int]int{}
			for _, h := range hits {
				got[h.ID] = h.Distance
			}
			for id, fs := range bank {
				q, b := vpdq.Match(tc.query, fs, vpdq.DefaultDistance, vpdq.DefaultQuality)
				d, found := got[id]
				if q == 0 && b == 0 {
					if found {
						t.Errorf("video %d: distance %d, but the reference finds no matching frame", id, d)
					}
					continue
				}
				if want := vpdqMax - int(min(q, b)+1e-9); !found || d != want {
					t.Errorf("video %d: distance %d (found %v), reference shares %.1f%% and %.1f%% give %d", id, d, found, q, b, want)
				}
			}
		})
	}
}

func TestDistances(t *testing.T) {
	base := strings.Repeat("0f", 32)
	flipped := "f" + base[1:] // 4 bits differ
	if d, err := PDQ.Distance(base, flipped); err != nil || d != 4 {
		t.Errorf("pdq distance %d, %v; want 4", d, err)
	}
	a, _ := MinHash("بيان من جنود الخلافة في الولاية إلى الإخوة الأنصار في كل مكان اثبتوا وانشروا الإصدار الجديد")
	b, _ := MinHash("عاجل بيان من جنود الخلافة في الولاية إلى الإخوة الأنصار في كل مكان اثبتوا وانشروا الإصدار الجديد")
	c, _ := MinHash("انتهت مباراة كرة القدم بفوز الفريق الأول بهدفين نظيفين في الملعب الكبير مساء أمس")
	if d, err := TextMinHash.Distance(a, b); err != nil || d > TextMinHash.Threshold {
		t.Errorf("near-duplicate texts at distance %d (%v), want at most %d", d, err, TextMinHash.Threshold)
	}
	if d, err := TextMinHash.Distance(a, c); err != nil || d <= TextMinHash.Threshold {
		t.Errorf("unrelated texts at distance %d (%v), want more than %d", d, err, TextMinHash.Threshold)
	}
	if _, ok := MinHash("!!! ..."); ok {
		t.Error("a text without words has a signature")
	}
	if got := PDQ.Score(64); got != 0.75 {
		t.Errorf("score %v", got)
	}
	if got := MD5.Score(0); got != 1 {
		t.Errorf("exact score %v", got)
	}
}

// FuzzCanonical feeds bank-file values to every type: a value accepted is
// stable under Canonical and has distance 0 to itself.
func FuzzCanonical(f *testing.F) {
	sig, _ := MinHash("نص قصير للتجربة")
	vp, _ := VPDQValue(video("a", 0, 3, 90))
	for _, t := range All() {
		for _, v := range []string{"", " ", strings.Repeat("ab", 16), strings.Repeat("AB", 32), sig, vp, vp + ";", "0,90,zz,1", "txt:1", strings.Repeat("0", 1025)} {
			f.Add(t.Name, v)
		}
	}
	f.Fuzz(func(t *testing.T, typ, v string) {
		c, tp, err := Canonical(typ, v)
		if err != nil {
			return
		}
		again, err := tp.Canonical(c)
		if err != nil || again != c {
			t.Fatalf("%s %q: canonical %q is not stable: %q, %v", typ, v, c, again, err)
		}
		if tp.Distance != nil {
			if d, err := tp.Distance(c, c); err != nil || (d != 0 && tp != VPDQ) {
				t.Fatalf("%s %q: distance to itself %d, %v", typ, v, d, err)
			}
		}
	})
}
