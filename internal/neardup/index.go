package neardup

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// DefaultThreshold is the estimated Jaccard similarity from which two texts
// count as the same message.
const DefaultThreshold = 0.6

// Defaults of Options. An indexed text costs about 1.3 KB at most: its
// signature (512 bytes), its key, its links in the LSH buckets and, when
// its band values are unlike any other's, 32 bucket heads. DefaultCapacity
// texts thus keep the index under about 45 MB.
const (
	DefaultCapacity = 32_768
	// DefaultBucketWalk is how many entries of one LSH bucket a query
	// reads, newest first. Buckets of texts that share nothing but common
	// words grow with the corpus; a true near-duplicate shares about 20 of
	// the 32 bands with its original, and some of them are rare.
	DefaultBucketWalk = 8
	// DefaultVerify is how many candidates a query compares by signature,
	// those sharing the most bands first.
	DefaultVerify = 32
)

// Errors of Index.Add, Index.Index and Signature.UnmarshalBinary.
var (
	ErrDuplicateKey = errors.New("duplicate key")
	ErrNoWords      = errors.New("text has no words")
	ErrBadSignature = errors.New("bad signature encoding")
)

// Candidate is an indexed text similar to a query.
type Candidate struct {
	Key        string
	Similarity float64
}

// Options are the limits of an Index. Zero fields take the defaults.
type Options struct {
	// Threshold is the similarity from which a text is a candidate; outside
	// (0,1] it is DefaultThreshold.
	Threshold float64
	// Capacity is how many texts the index holds; adding one more evicts
	// the oldest, so memory stays bounded however long the stream.
	Capacity int
	// BucketWalk and Verify bound the cost of a query whatever the
	// duplication rate: entries read per LSH bucket and signatures compared.
	BucketWalk int
	Verify     int
}

// Index holds signatures of the newest texts for near-duplicate queries, in
// a ring of Options.Capacity slots. It is safe for concurrent use.
type Index struct {
	mu  sync.RWMutex
	opt Options
	// need is the fewest equal signature positions that reach the
	// threshold.
	need int
	// added counts the texts ever added; text number n (from 0) lives in
	// slot n % Capacity while it is among the newest Capacity.
	added int64
	seqs  []int64 // per slot: the number of the text in it
	keys  []string
	sigs  []Signature
	links [][]int64 // per slot: numbers of the older texts it near-duplicates
	byKey map[string]int32
	// LSH buckets as linked lists: heads maps a band key to the latest
	// entry (slot*Bands+band) in its bucket, next links to the previous one.
	// That costs 4 bytes per entry and no slice per bucket. A link into a
	// slot that was reused since is recognized by its text number, which is
	// then not older than the text linking to it.
	heads bandTable
	next  []int32
	pool  sync.Pool // *scratch
}

// scratch is the memory of one query.
type scratch struct {
	// bands counts, per slot, the bands a query shares with it; a count
	// is current when the slot's stamp is the query's gen, so that no
	// query clears or sorts more than the slots it read.
	gen    uint32
	stamp  []uint32
	bands  []int32
	walked []int32 // the slots read, once each
	ties   []int64 // text numbers of the slots at the Verify cut
}

// NewIndex returns an empty index with the default limits; a threshold
// outside (0,1] means DefaultThreshold.
func NewIndex(threshold float64) *Index {
	return New(Options{Threshold: threshold})
}

// New returns an empty index with the limits of o.
func New(o Options) *Index {
	if o.Threshold <= 0 || o.Threshold > 1 {
		o.Threshold = DefaultThreshold
	}
	o.Capacity = cmp.Or(max(o.Capacity, 0), DefaultCapacity)
	o.BucketWalk = cmp.Or(max(o.BucketWalk, 0), DefaultBucketWalk)
	o.Verify = cmp.Or(max(o.Verify, 0), DefaultVerify)
	need := 0
	for float64(need)/NumHashes < o.Threshold {
		need++
	}
	return &Index{
		opt: o, need: need, byKey: map[string]int32{},
		pool: sync.Pool{New: func() any { return &scratch{} }},
	}
}

// Len returns the number of indexed texts.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byKey)
}

// Capacity returns how many texts the index holds at most.
func (ix *Index) Capacity() int { return ix.opt.Capacity }

// Add indexes text under key and links it to the indexed texts it
// near-duplicates, for Clusters. It returns those texts.
func (ix *Index) Add(key, text string) ([]Candidate, error) {
	sig, ok := Sign(text)
	if !ok {
		return nil, fmt.Errorf("add %q: %w", key, ErrNoWords)
	}
	return ix.Index(key, sig)
}

// Index indexes a known signature under key, as Add does a text: a worker
// fills its index with the signatures a store keeps.
func (ix *Index) Index(key string, sig Signature) ([]Candidate, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, dup := ix.byKey[key]; dup {
		return nil, fmt.Errorf("add %q: %w", key, ErrDuplicateKey)
	}
	found, slots := ix.query(&sig)
	links := make([]int64, len(slots))
	for i, s := range slots {
		links[i] = ix.seqs[s]
	}
	ix.put(key, &sig, links)
	return found, nil
}

// Insert indexes a known signature under key without looking for the
// texts it near-duplicates: for a caller that needs queries, not Clusters,
// it costs no query.
func (ix *Index) Insert(key string, sig Signature) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, dup := ix.byKey[key]; dup {
		return fmt.Errorf("add %q: %w", key, ErrDuplicateKey)
	}
	ix.put(key, &sig, nil)
	return nil
}

// put stores sig in the next slot of the ring; ix.mu is held.
func (ix *Index) put(key string, sig *Signature, links []int64) {
	slot := int32(ix.added % int64(ix.opt.Capacity))
	if int(slot) == len(ix.keys) {
		ix.seqs = append(ix.seqs, 0)
		ix.keys = append(ix.keys, "")
		ix.sigs = append(ix.sigs, Signature{})
		ix.links = append(ix.links, nil)
		ix.next = append(ix.next, make([]int32, Bands)...)
	} else {
		ix.evict(slot)
	}
	ix.seqs[slot] = ix.added
	ix.added++
	ix.keys[slot] = key
	ix.byKey[key] = slot
	ix.sigs[slot] = *sig
	ix.links[slot] = links
	for j := range Bands {
		k := bandKey(sig, j)
		prev, ok := ix.heads.get(k)
		if !ok {
			prev = -1
		}
		e := slot*Bands + int32(j)
		ix.next[e] = prev
		ix.heads.set(k, e)
	}
}

// evict forgets the text in slot, the oldest indexed. Its bucket entries
// are the last of their lists: a bucket whose head it is holds nothing else
// and is deleted, so the heads stay bounded too.
func (ix *Index) evict(slot int32) {
	for j := range Bands {
		k := bandKey(&ix.sigs[slot], j)
		if e, ok := ix.heads.get(k); ok && e == slot*Bands+int32(j) {
			ix.heads.del(k)
		}
	}
	delete(ix.byKey, ix.keys[slot])
}

// Query returns the indexed texts whose similarity to text reaches the
// threshold, most similar first.
func (ix *Index) Query(text string) []Candidate {
	sig, ok := Sign(text)
	if !ok {
		return nil
	}
	return ix.QuerySignature(&sig)
}

// QuerySignature is Query of a signed text: a caller that queries and then
// indexes a text signs it once.
func (ix *Index) QuerySignature(sig *Signature) []Candidate {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out, _ := ix.query(sig)
	return out
}

// query returns the candidates and their slots. It reads at most
// BucketWalk entries of each bucket and compares the Verify texts that
// share the most bands with sig, newest first among equals: a true
// near-duplicate shares many, a text that only shares common words few.
func (ix *Index) query(sig *Signature) ([]Candidate, []int32) {
	sc := ix.pool.Get().(*scratch)
	defer ix.pool.Put(sc)
	if n := len(ix.keys); len(sc.stamp) < n {
		sc.stamp = append(sc.stamp, make([]uint32, n-len(sc.stamp))...)
		sc.bands = append(sc.bands, make([]int32, n-len(sc.bands))...)
	}
	if sc.gen++; sc.gen == 0 {
		clear(sc.stamp)
		sc.gen = 1
	}
	sc.walked = sc.walked[:0]
	for j := range Bands {
		e, ok := ix.heads.get(bandKey(sig, j))
		newer := ix.added
		for n := 0; ok && e >= 0 && n < ix.opt.BucketWalk; n++ {
			slot := e / Bands
			if ix.seqs[slot] >= newer {
				break // the slot was reused: the rest of the list is gone
			}
			newer = ix.seqs[slot]
			if sc.stamp[slot] != sc.gen {
				sc.stamp[slot], sc.bands[slot] = sc.gen, 0
				sc.walked = append(sc.walked, slot)
			}
			sc.bands[slot]++
			e = ix.next[e]
		}
	}
	var (
		out   []Candidate
		slots []int32
	)
	verify := func(slot int32) {
		if same, ok := ix.similar(sig, &ix.sigs[slot]); ok {
			out = append(out, Candidate{Key: ix.keys[slot], Similarity: float64(same) / NumHashes})
			slots = append(slots, slot)
		}
	}
	if len(sc.walked) <= ix.opt.Verify {
		for _, slot := range sc.walked {
			verify(slot)
		}
	} else {
		// The Verify texts sharing the most bands: all of those above the
		// count where the Verify-th falls, and the newest at that count.
		var perCount [Bands + 1]int
		for _, slot := range sc.walked {
			perCount[sc.bands[slot]]++
		}
		cut, above := int32(Bands), 0
		for ; above+perCount[cut] < ix.opt.Verify; cut-- {
			above += perCount[cut]
		}
		sc.ties = sc.ties[:0]
		for _, slot := range sc.walked {
			switch b := sc.bands[slot]; {
			case b > cut:
				verify(slot)
			case b == cut:
				sc.ties = append(sc.ties, ix.seqs[slot])
			}
		}
		// The newest of the ties are selected by their text numbers, which
		// locate their slots; their order does not matter (out is sorted).
		// Sorting all the ties took a tenth of a query on recycled text.
		k := ix.opt.Verify - above
		selectLargest(sc.ties, k)
		for _, seq := range sc.ties[len(sc.ties)-k:] {
			verify(int32(seq % int64(ix.opt.Capacity)))
		}
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		return cmp.Or(cmp.Compare(b.Similarity, a.Similarity), cmp.Compare(a.Key, b.Key))
	})
	return out, slots
}

// similar counts the equal positions of two signatures, giving up as soon
// as they cannot reach ix.need: most candidates of a query share only
// common words with it.
func (ix *Index) similar(a, b *Signature) (same int, ok bool) {
	miss := NumHashes - ix.need
	for i := 0; i < NumHashes; i += 16 {
		for k := i; k < i+16; k++ {
			if a[k] != b[k] {
				miss--
			}
		}
		if miss < 0 {
			return 0, false
		}
	}
	return ix.need + miss, true
}

// Clusters returns the groups of recycled texts among the indexed ones:
// keys linked, directly or through other indexed texts, by near-duplicate
// pairs. Texts without a duplicate are left out. Keys are in insertion
// order, groups by their first key.
func (ix *Index) Clusters() [][]string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := len(ix.keys)
	first := ix.added - int64(n) // the oldest text still indexed
	slotOf := func(seq int64) int32 { return int32(seq % int64(ix.opt.Capacity)) }
	parent := make([]int32, n)
	size := make([]int32, n)
	for i := range parent {
		parent[i], size[i] = int32(i), 1
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for s := range int32(n) {
		for _, l := range ix.links[s] {
			if l < first {
				continue // evicted
			}
			a, b := find(s), find(slotOf(l))
			if a == b {
				continue
			}
			if size[a] < size[b] {
				a, b = b, a
			}
			parent[b] = a
			size[a] += size[b]
		}
	}
	groups := map[int32]int{}
	var out [][]string
	for seq := first; seq < ix.added; seq++ {
		s := slotOf(seq)
		root := find(s)
		if size[root] < 2 {
			continue
		}
		g, ok := groups[root]
		if !ok {
			g = len(out)
			groups[root] = g
			out = append(out, nil)
		}
		out[g] = append(out[g], ix.keys[s])
	}
	return out
}

// selectLargest reorders xs, whose values are distinct, so that its last k
// are its k largest (quickselect).
func selectLargest(xs []int64, k int) {
	lo, hi, want := 0, len(xs)-1, len(xs)-k
	for lo < hi {
		// Median of three as the pivot, moved to hi.
		mid := lo + (hi-lo)/2
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[mid] < xs[hi] {
			xs[mid], xs[hi] = xs[hi], xs[mid]
		}
		pivot, store := xs[hi], lo
		for i := lo; i < hi; i++ {
			if xs[i] < pivot {
				xs[i], xs[store] = xs[store], xs[i]
				store++
			}
		}
		xs[store], xs[hi] = xs[hi], xs[store]
		switch {
		case store == want:
			return
		case store < want:
			lo = store + 1
		default:
			hi = store - 1
		}
	}
}
