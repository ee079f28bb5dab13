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

// Errors of Index.Add.
var (
	ErrDuplicateKey = errors.New("duplicate key")
	ErrNoWords      = errors.New("text has no words")
)

// Candidate is an indexed text similar to a query.
type Candidate struct {
	Key        string
	Similarity float64
}

// Index holds signatures of texts for near-duplicate queries. It is safe
// for concurrent use.
type Index struct {
	mu        sync.RWMutex
	threshold float64
	keys      []string
	byKey     map[string]int32
	sigs      []Signature
	// LSH buckets as linked lists: heads maps a band key to the latest
	// entry (doc*Bands+band) in its bucket, next links to the previous one.
	// That costs 4 bytes per entry and no slice per bucket.
	heads  map[uint64]int32
	next   []int32
	parent []int32 // union-find over docs
	size   []int32
}

// NewIndex returns an empty index; a threshold outside (0,1] means
// DefaultThreshold.
func NewIndex(threshold float64) *Index {
	if threshold <= 0 || threshold > 1 {
		threshold = DefaultThreshold
	}
	return &Index{threshold: threshold, byKey: map[string]int32{}, heads: map[uint64]int32{}}
}

// Len returns the number of indexed texts.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.keys)
}

// Add indexes text under key and links it to the indexed texts it
// near-duplicates, for Clusters. It returns those texts.
func (ix *Index) Add(key, text string) ([]Candidate, error) {
	sig, ok := Sign(text)
	if !ok {
		return nil, fmt.Errorf("add %q: %w", key, ErrNoWords)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, dup := ix.byKey[key]; dup {
		return nil, fmt.Errorf("add %q: %w", key, ErrDuplicateKey)
	}
	found := ix.query(&sig)
	doc := ix.insert(key, &sig)
	for _, c := range found {
		ix.union(doc, ix.byKey[c.Key])
	}
	return found, nil
}

// insert adds a signature; ix.mu is held.
func (ix *Index) insert(key string, sig *Signature) int32 {
	doc := int32(len(ix.keys))
	ix.keys = append(ix.keys, key)
	ix.byKey[key] = doc
	ix.sigs = append(ix.sigs, *sig)
	ix.parent = append(ix.parent, doc)
	ix.size = append(ix.size, 1)
	for j := range Bands {
		k := bandKey(sig, j)
		prev, ok := ix.heads[k]
		if !ok {
			prev = -1
		}
		ix.next = append(ix.next, prev)
		ix.heads[k] = doc*Bands + int32(j)
	}
	return doc
}

// Query returns the indexed texts whose similarity to text reaches the
// threshold, most similar first.
func (ix *Index) Query(text string) []Candidate {
	sig, ok := Sign(text)
	if !ok {
		return nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.query(&sig)
}

func (ix *Index) query(sig *Signature) []Candidate {
	seen := map[int32]bool{}
	var out []Candidate
	for j := range Bands {
		e, ok := ix.heads[bandKey(sig, j)]
		for ; ok && e >= 0; e = ix.next[e] {
			doc := e / Bands
			if seen[doc] {
				continue
			}
			seen[doc] = true
			if s := Similarity(sig, &ix.sigs[doc]); s >= ix.threshold {
				out = append(out, Candidate{Key: ix.keys[doc], Similarity: s})
			}
		}
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		return cmp.Or(cmp.Compare(b.Similarity, a.Similarity), cmp.Compare(a.Key, b.Key))
	})
	return out
}

func (ix *Index) find(x int32) int32 {
	for ix.parent[x] != x {
		ix.parent[x] = ix.parent[ix.parent[x]]
		x = ix.parent[x]
	}
	return x
}

func (ix *Index) union(a, b int32) {
	a, b = ix.find(a), ix.find(b)
	if a == b {
		return
	}
	if ix.size[a] < ix.size[b] {
		a, b = b, a
	}
	ix.parent[b] = a
	ix.size[a] += ix.size[b]
}

// Clusters returns the groups of recycled texts: keys linked, directly or
// through other texts, by near-duplicate pairs. Texts without a duplicate
// are left out. Keys are in insertion order, groups by their first key.
func (ix *Index) Clusters() [][]string {
	ix.mu.Lock() // find compresses paths
	defer ix.mu.Unlock()
	groups := map[int32]int{}
	var out [][]string
	for doc := range int32(len(ix.keys)) {
		root := ix.find(doc)
		if ix.size[root] < 2 {
			continue
		}
		g, ok := groups[root]
		if !ok {
			g = len(out)
			groups[root] = g
			out = append(out, nil)
		}
		out[g] = append(out[g], ix.keys[doc])
	}
	return out
}
