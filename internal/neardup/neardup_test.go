package neardup

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

type fixture struct{ group, key, text string }

func loadReposts(t testing.TB) []fixture {
	f, err := os.Open("testdata/reposts.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []fixture
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		parts := strings.SplitN(s, "\t", 3)
		if len(parts) != 3 {
			t.Fatalf("reposts.txt:%d: want group<TAB>key<TAB>text", line)
		}
		out = append(out, fixture{parts[0], parts[1], parts[2]})
	}
	return out
}

func TestWords(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{name: "hashtag and emoji", in: "#دولة_الخلافة 🔥🔥", want: []string{"دولة", "الخلافة"}},
		{name: "diacritics and tatweel", in: "صَدَرَ حديثـــاً", want: []string{"صدر", "حديثا"}},
		{name: "punctuation and quotes", in: "«رسائل»، من: الثغور!!", want: []string{"رسائل", "من", "الثغور"}},
		{name: "zero width joiner inside emoji", in: "👨‍👩‍👧 نص", want: []string{"نص"}},
		{name: "latin case and digits", in: "Issue No.12", want: []string{"issue", "no", "12"}},
		{name: "nothing", in: "🔥 ... ###", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := words(tc.in); !slices.Equal(got, tc.want) {
				t.Fatalf("words(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSignStable(t *testing.T) {
	a, ok := Sign("صدر حديثا عن مؤسسة النور")
	b, _ := Sign("صدر حديثا عن مؤسسة النور")
	if !ok || a != b || Similarity(&a, &b) != 1 {
		t.Fatal("the same text gave different signatures")
	}
	if _, ok := Sign("🔥 ..."); ok {
		t.Fatal("a text without words got a signature")
	}
}

func TestRepostsMatchAndUnrelatedDoNot(t *testing.T) {
	fx := loadReposts(t)
	for i, x := range fx {
		for _, y := range fx[i+1:] {
			sx, okx := Sign(x.text)
			sy, oky := Sign(y.text)
			if !okx || !oky {
				continue
			}
			sim := Similarity(&sx, &sy)
			same := x.group != "-" && x.group == y.group
			t.Run(x.key+"-"+y.key, func(t *testing.T) {
				if same && sim < DefaultThreshold {
					t.Errorf("re-posts %s and %s: similarity %.2f, want >= %.2f", x.key, y.key, sim, DefaultThreshold)
				}
				if !same && sim >= DefaultThreshold {
					t.Errorf("unrelated %s and %s: similarity %.2f, want < %.2f", x.key, y.key, sim, DefaultThreshold)
				}
			})
		}
	}
}

func TestIndexQueryAndClusters(t *testing.T) {
	fx := loadReposts(t)
	ix := NewIndex(0)
	want := map[string][]string{}
	for _, x := range fx {
		_, err := ix.Add(x.key, x.text)
		if x.key == "u6" {
			if !errors.Is(err, ErrNoWords) {
				t.Fatalf("emoji-only text: err %v, want ErrNoWords", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if x.group != "-" {
			want[x.group] = append(want[x.group], x.key)
		}
	}
	if _, err := ix.Add("a0", "نص اخر"); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("duplicate key: %v", err)
	}
	for _, x := range fx {
		t.Run(x.key, func(t *testing.T) {
			var keys []string
			for _, c := range ix.Query(x.text) {
				if c.Similarity < DefaultThreshold || c.Similarity > 1 {
					t.Errorf("candidate %v outside [threshold, 1]", c)
				}
				keys = append(keys, c.Key)
			}
			slices.Sort(keys)
			var exp []string
			if x.group != "-" {
				exp = slices.Sorted(slices.Values(want[x.group]))
			} else if x.key != "u6" {
				exp = []string{x.key}
			}
			if !slices.Equal(keys, exp) {
				t.Fatalf("Query(%s) = %v, want %v", x.key, keys, exp)
			}
		})
	}
	got := ix.Clusters()
	exp := [][]string{want["a"], want["b"]}
	if fmt.Sprint(got) != fmt.Sprint(exp) {
		t.Fatalf("Clusters() = %v, want %v", got, exp)
	}
}

func TestClustersChain(t *testing.T) {
	// Each text drifts from the previous one by a word or two: the first and
	// the last are no longer similar, yet they are one recycled message.
	base := strings.Fields("واحد اثنان ثلاثة اربعة خمسة ستة سبعة ثمانية تسعة عشرة احد اثنا ثلاثة عشر اربعة عشر")
	ix := NewIndex(0)
	var keys []string
	for i := range 8 {
		ws := slices.Clone(base)
		for j := range i {
			ws[j] = fmt.Sprintf("كلمة%d", j)
		}
		key := fmt.Sprintf("t%d", i)
		keys = append(keys, key)
		if _, err := ix.Add(key, strings.Join(ws, " ")); err != nil {
			t.Fatal(err)
		}
	}
	first, _ := Sign(strings.Join(base, " "))
	last, _ := ix.sigs[len(ix.sigs)-1], 0
	if Similarity(&first, &last) >= DefaultThreshold {
		t.Fatal("the chain does not drift: the test proves nothing")
	}
	if got := ix.Clusters(); len(got) != 1 || !slices.Equal(got[0], keys) {
		t.Fatalf("Clusters() = %v, want one cluster %v", got, keys)
	}
}

func TestIndexConcurrent(t *testing.T) {
	ix := NewIndex(0)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				text := fmt.Sprintf("نص رقم %d من المجموعة %d للتجربة", i, g)
				if _, err := ix.Add(fmt.Sprintf("%d-%d", g, i), text); err != nil {
					t.Error(err)
				}
				ix.Query(text)
			}
		})
	}
	wg.Wait()
	if ix.Len() != 200 {
		t.Fatalf("Len() = %d, want 200", ix.Len())
	}
}

// synthetic returns n pseudo-tweets of 12-30 words from a 5,000-word
// vocabulary, deterministic for the benchmarks.
func synthetic(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	letters := []rune("ابتثجحخدذرزسشصضطظعغفقكلمنهوي")
	vocab := make([]string, 5000)
	for i := range vocab {
		w := make([]rune, 3+r.IntN(5))
		for j := range w {
			w[j] = letters[r.IntN(len(letters))]
		}
		vocab[i] = string(w)
	}
	out := make([]string, n)
	for i := range out {
		ws := make([]string, 12+r.IntN(19))
		for j := range ws {
			ws[j] = vocab[r.IntN(len(vocab))]
		}
		out[i] = strings.Join(ws, " ")
	}
	return out
}

func BenchmarkSign(b *testing.B) {
	texts := synthetic(256)
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		Sign(texts[i%len(texts)])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "sigs/s")
}

var (
	bigOnce  sync.Once
	bigIndex *Index
	bigTexts []string
)

func BenchmarkQuery100k(b *testing.B) {
	if testing.Short() {
		b.Skip("indexes 100,000 texts; skipped under -short")
	}
	bigOnce.Do(func() {
		bigTexts = synthetic(100_000)
		bigIndex = NewIndex(0)
		for i, s := range bigTexts {
			if _, err := bigIndex.Add(fmt.Sprint(i), s); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Queries are indexed texts with a hashtag and an emoji added, so each
	// has a true neighbour to find.
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		bigIndex.Query(bigTexts[(i*7919)%len(bigTexts)] + " #انشر 🔥")
	}
}

// FuzzWords checks the shingler on arbitrary text: words hold only letters
// and digits, and decorations around a text do not change its signature.
func FuzzWords(f *testing.F) {
	for _, x := range loadReposts(f) {
		f.Add(x.text)
	}
	f.Add("\xff\xfe #_ ـ")
	f.Fuzz(func(t *testing.T, text string) {
		for _, w := range words(text) {
			if w == "" || strings.ContainsAny(w, "#_ \t\nـ") {
				t.Fatalf("words(%q) has %q", text, w)
			}
		}
		a, oka := Sign(text)
		b, okb := Sign("🔥 " + text + " !!")
		if oka != okb || a != b {
			t.Fatalf("emoji and punctuation around %q changed the signature", text)
		}
	})
}

// words returns the words tokenize finds in text.
func words(text string) []string {
	t := tokenize(text, tokens{})
	var out []string
	for i := range len(t.words) / 2 {
		out = append(out, string(t.word(i)))
	}
	return out
}

func TestSelectLargest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 60; n++ {
		for k := 0; k <= n; k++ {
			xs := make([]int64, n)
			for i, v := range r.Perm(n) {
				xs[i] = int64(v) * 7
			}
			selectLargest(xs, k)
			want := make([]int64, k)
			for i := range k {
				want[i] = int64(n-k+i) * 7
			}
			got := slices.Clone(xs[n-k:])
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d k=%d: last k %v, want %v", n, k, got, want)
			}
		}
	}
}
