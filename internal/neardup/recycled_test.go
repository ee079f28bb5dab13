package neardup

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/arabic"
)

// recycledVocab is the vocabulary of ../shared/bench/gen_recycled_tweets.py
// and of `raqib bench ingest --texts recycled`: every text drawn from it
// shares most of its character 4-grams with every other, so LSH buckets are
// as crowded as in a propaganda campaign's re-posts.
var recycledVocab = strings.Fields("الدولة الإسلامية باقية وتتمدد أخبار عاجل بغداد الموصل هجوم اعتقال خلية الأمن الجيش الشرطة المدينة الله أكبر " +
	"الخلافة جنود مباراة الطقس السوق الخبز العيد مبروك داعش تنظيم إرهابي مصدر قال أعلن وزارة الداخلية")

func recycledText(r *rand.Rand, minWords, maxWords int) []string {
	ws := make([]string, minWords+r.IntN(maxWords-minWords+1))
	for i := range ws {
		ws[i] = recycledVocab[r.IntN(len(recycledVocab))]
	}
	return ws
}

// plantedCorpus is a stream of recycled noise with originals planted at
// random places, and for each original a re-post edited as re-posters do.
type plantedCorpus struct {
	stream   []string // noise and originals, in insertion order
	original []int    // stream index of original i
	repost   []string // the edited re-post of original i
	// truth[i] tells whether repost i near-duplicates its original by the
	// signatures themselves, what an exhaustive scan would report: the
	// ground truth that recall is measured against.
	truth []bool
}

func newPlantedCorpus(noise, planted int) *plantedCorpus {
	r := rand.New(rand.NewPCG(3, 8))
	c := &plantedCorpus{}
	at := map[int]bool{}
	for len(at) < planted {
		at[r.IntN(noise+planted)] = true
	}
	for i := range noise + planted {
		if !at[i] {
			c.stream = append(c.stream, arabic.Normalize(strings.Join(recycledText(r, 6, 30), " ")))
			continue
		}
		ws := recycledText(r, 12, 30)
		c.original = append(c.original, len(c.stream))
		c.stream = append(c.stream, arabic.Normalize(strings.Join(ws, " ")))
		edited := slices.Clone(ws)
		word := func() string { return recycledVocab[r.IntN(len(recycledVocab))] }
		// Edits from the mildest to ones that leave a re-post near the
		// threshold.
		switch len(c.repost) % 5 {
		case 0: // hashtags and emoji around it
			edited = append([]string{"🔥", "#عاجل"}, append(edited, "#انشر", "⚔️")...)
		case 1: // a word changed
			edited[r.IntN(len(edited))] = word()
		case 2: // a word dropped, another added
			k := r.IntN(len(edited))
			edited = slices.Insert(slices.Delete(edited, k, k+1), r.IntN(len(edited)-1), word())
		case 3: // three words changed
			for range 3 {
				edited[r.IntN(len(edited))] = word()
			}
		case 4: // the start cut, a tail added
			edited = append(edited[3:], word(), word())
		}
		c.repost = append(c.repost, arabic.Normalize(strings.Join(edited, " ")))
	}
	for i, o := range c.original {
		a, _ := Sign(c.stream[o])
		b, _ := Sign(c.repost[i])
		c.truth = append(c.truth, Similarity(&a, &b) >= DefaultThreshold)
	}
	return c
}

// index adds the stream to ix and returns the time it took.
func (c *plantedCorpus) index(tb testing.TB, ix *Index) time.Duration {
	start := time.Now()
	for i, s := range c.stream {
		if _, err := ix.Add(fmt.Sprint(i), s); err != nil {
			tb.Fatal(err)
		}
	}
	return time.Since(start)
}

// recall is the fraction of the true near-duplicate re-posts whose query
// finds their original.
func (c *plantedCorpus) recall(ix *Index) (recall float64, truths int) {
	found := 0
	for i, o := range c.original {
		if !c.truth[i] {
			continue
		}
		truths++
		want := fmt.Sprint(o)
		if slices.ContainsFunc(ix.Query(c.repost[i]), func(x Candidate) bool { return x.Key == want }) {
			found++
		}
	}
	return float64(found) / float64(truths), truths
}

// BenchmarkRecycled indexes 30,000 texts of recycled noise with 1,000
// originals planted among them, then queries with edited re-posts of the
// originals. It reports the time per query, the rate of adds, the recall
// of the true near-duplicates (by their signatures) and the heap the index
// takes per text.
func BenchmarkRecycled(b *testing.B) {
	if testing.Short() {
		b.Skip("indexes 31,000 texts; skipped under -short")
	}
	c := newPlantedCorpus(30_000, 1_000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix := NewIndex(0)
	took := c.index(b, ix)
	runtime.GC()
	runtime.ReadMemStats(&after)
	rec, truths := c.recall(ix)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ix.Query(c.repost[i%len(c.repost)])
	}
	b.ReportMetric(float64(len(c.stream))/took.Seconds(), "adds/s")
	b.ReportMetric(rec, "recall")
	b.ReportMetric(float64(truths), "true-pairs")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(ix.Len()), "heap-B/text")
}

// TestRecallOnRecycledText checks that the bounded query still finds the
// originals of edited re-posts hidden among recycled noise, where LSH
// buckets grow with the corpus.
func TestRecallOnRecycledText(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes 10,500 texts; skipped under -short")
	}
	c := newPlantedCorpus(10_000, 500)
	ix := NewIndex(0)
	c.index(t, ix)
	rec, truths := c.recall(ix)
	if truths < 450 {
		t.Fatalf("only %d of 500 re-posts near-duplicate their original: the corpus tests too little", truths)
	}
	if rec < 0.97 {
		t.Errorf("recall %.3f of %d true near-duplicates, want >= 0.97", rec, truths)
	}
}

// BenchmarkSignRecycled signs texts of the recycled vocabulary, whose words
// and 4-grams recur within a text.
func BenchmarkSignRecycled(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 9))
	texts := make([]string, 256)
	for i := range texts {
		texts[i] = arabic.Normalize(strings.Join(recycledText(r, 6, 30), " "))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Sign(texts[i%len(texts)])
	}
}
