package mih

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"

	"github.com/raqib-project/raqib/internal/pdq"
)

// Layouts of the multi-index. A segment's 256 bits are cut into m chunks;
// two hashes within radius r have at least one chunk within r/m bits
// (pigeonhole), so a query probes, per chunk, every value within r/m bits
// of the query's chunk. Each chunk has an offsets table with one entry per
// chunk value into postings sorted by chunk value, so a probe is two loads.
// Postings hold positions inside a segment of at most 2^24 hashes, so each
// takes 3 bytes instead of 4.
//
// Small segments use 16 chunks of 16 bits: 17 probes per chunk at radius
// 31 and 4 MB of offsets tables. Large ones (from 2^22 hashes) use 12
// chunks of 21-22 bits: 232-254 probes per chunk at radius 31 but buckets
// 32 times smaller, so about three times fewer candidates to fetch and
// verify, which is what a query's time goes to (one cache miss each). Their
// 128 MB of offsets tables are paid back by the four postings lists fewer.
// Other layouts lose: 8 chunks of 32 bits need radius 3 per chunk (5,489
// probes each, and a 2^32 table cannot be direct); 11 chunks of 23-24 bits
// need 64 MB per offsets table.
//
// Measured on 10,000,000 random hashes, radius 31, queries with a planted
// neighbour (BenchmarkQuery10M, a 2-core VM shared with other jobs): 16x16
// bits gave a 2.5-3.0 ms median, 806 MB and a 3.6-12 s build; 12x21-22
// bits gives 1.4-2.0 ms, 816 MB and a build about twice as long. Both
// indexes queried in turn in one process under heavy load: 15.1 ms against
// 6.0 ms median.
const (
	// maxSegment keeps positions within a segment in 24 bits.
	maxSegment = 1 << 24
	// bigSegment is the size from which the 12-chunk layout is used.
	bigSegment = 1 << 22
	// defaultFlush is the size of the unindexed tail at which it becomes a
	// segment: a linear scan of 65,536 hashes costs about 0.1 ms.
	defaultFlush = 1 << 16
	// maxChunkRadius bounds the per-chunk probe enumeration (254 probes for
	// 22 bits at radius 2); beyond it, i.e. for query radii from 36 or 48,
	// a linear scan is cheaper than the probes.
	maxChunkRadius = 2
)

type layout struct {
	start, width []int        // bit offset from the first hex digit, width
	masks        [][][]uint32 // [chunk][chunk radius] probe masks, lightest first
	tables       []int        // offset of each chunk's table in segment.offsets
	tableLen     int
}

var (
	smallLayout = newLayout(slices.Repeat([]int{16}, 16))
	bigLayout   = newLayout(append(slices.Repeat([]int{22}, 4), slices.Repeat([]int{21}, 8)...))
)

func newLayout(widths []int) *layout {
	l := &layout{width: widths}
	at := 0
	for _, w := range widths {
		l.start = append(l.start, at)
		l.tables = append(l.tables, l.tableLen)
		l.tableLen += 1<<w + 1
		at += w
		var ms [][]uint32
		for s := range maxChunkRadius + 1 {
			ms = append(ms, masksWithin(w, s))
		}
		l.masks = append(l.masks, ms)
	}
	return l
}

// masksWithin lists the w-bit masks of weight at most s (s <= 2).
func masksWithin(w, s int) []uint32 {
	m := []uint32{0}
	for i := 0; i < w && s >= 1; i++ {
		m = append(m, 1<<i)
	}
	for i := 0; i < w && s >= 2; i++ {
		for j := i + 1; j < w; j++ {
			m = append(m, 1<<i|1<<j)
		}
	}
	return m
}

func (l *layout) chunk(h *pdq.Hash, c int) uint32 {
	o := l.start[c]
	i, sh := o>>6, o&63
	x := h[i] << sh
	if sh != 0 && i < 3 {
		x |= h[i+1] >> (64 - sh)
	}
	return uint32(x >> (64 - l.width[c]))
}

// ErrNoID reports an id that the index never handed out.
var ErrNoID = errors.New("no such id")

// Hit is one hash found by a query.
type Hit struct {
	ID       uint32
	Distance int
}

// Index answers Hamming-radius queries over 256-bit hashes. Ids are the
// order of insertion, from 0. Queries may run concurrently with each other;
// Add and SetEnabled need exclusive access (Matcher provides it).
type Index struct {
	hashes   []pdq.Hash
	segments []*segment
	indexed  int      // hashes[:indexed] are in segments, the rest is scanned
	disabled []uint64 // tombstone bitset by id
	flushAt  int
	big      int // segments from this size use bigLayout
}

type segment struct {
	base, n  int
	layout   *layout
	offsets  []uint32 // one table per chunk, at layout.tables[c]
	postings [][]byte
}

// NewIndex indexes hashes, whose ids are their positions. The index keeps
// the slice (it does not copy 320 MB for ten million hashes): the caller
// must not modify it afterwards.
func NewIndex(hashes []pdq.Hash) *Index {
	return newIndex(hashes, defaultFlush, bigSegment)
}

func newIndex(hashes []pdq.Hash, flushAt, big int) *Index {
	ix := &Index{hashes: hashes, flushAt: flushAt, big: big}
	for ix.indexed < len(hashes) {
		n := min(len(hashes)-ix.indexed, maxSegment)
		ix.segments = append(ix.segments, ix.buildSegment(hashes[ix.indexed:ix.indexed+n], ix.indexed))
		ix.indexed += n
	}
	ix.disabled = make([]uint64, (len(hashes)+63)/64)
	return ix
}

// Len returns the number of hashes, disabled ones included.
func (ix *Index) Len() int { return len(ix.hashes) }

// Hash returns the hash with the given id.
func (ix *Index) Hash(id uint32) (pdq.Hash, error) {
	if int(id) >= len(ix.hashes) {
		return pdq.Hash{}, fmt.Errorf("hash %d: %w", id, ErrNoID)
	}
	return ix.hashes[id], nil
}

// Add appends a hash and returns its id. It is searched linearly until the
// tail reaches the flush size; then the tail becomes a segment, and
// segments of similar size are merged so that their number stays
// logarithmic.
func (ix *Index) Add(h pdq.Hash) uint32 {
	id := uint32(len(ix.hashes))
	ix.hashes = append(ix.hashes, h)
	if len(ix.disabled)*64 < len(ix.hashes) {
		ix.disabled = append(ix.disabled, 0)
	}
	if len(ix.hashes)-ix.indexed >= ix.flushAt {
		ix.flush()
	}
	return id
}

func (ix *Index) flush() {
	ix.segments = append(ix.segments, ix.buildSegment(ix.hashes[ix.indexed:], ix.indexed))
	ix.indexed = len(ix.hashes)
	for k := len(ix.segments); k >= 2; k = len(ix.segments) {
		a, b := ix.segments[k-2], ix.segments[k-1]
		if a.n > 2*b.n || a.n+b.n > maxSegment {
			break
		}
		ix.segments[k-2] = ix.buildSegment(ix.hashes[a.base:b.base+b.n], a.base)
		ix.segments = ix.segments[:k-1]
	}
}

// SetEnabled disables (tombstones) or re-enables a hash; disabled hashes are
// skipped by queries.
func (ix *Index) SetEnabled(id uint32, on bool) error {
	if int(id) >= len(ix.hashes) {
		return fmt.Errorf("hash %d: %w", id, ErrNoID)
	}
	if on {
		ix.disabled[id/64] &^= 1 << (id % 64)
	} else {
		ix.disabled[id/64] |= 1 << (id % 64)
	}
	return nil
}

func (ix *Index) isDisabled(id int) bool { return ix.disabled[id/64]&(1<<(id%64)) != 0 }

// Bytes estimates the memory held by the index, hashes included.
func (ix *Index) Bytes() int {
	n := cap(ix.hashes)*32 + cap(ix.disabled)*8
	for _, s := range ix.segments {
		n += cap(s.offsets) * 4
		for _, p := range s.postings {
			n += cap(p)
		}
	}
	return n
}

func (ix *Index) buildSegment(hashes []pdq.Hash, base int) *segment {
	l := smallLayout
	if len(hashes) >= ix.big {
		l = bigLayout
	}
	s := &segment{base: base, n: len(hashes), layout: l, offsets: make([]uint32, l.tableLen)}
	var cursor []uint32
	for c, w := range l.width {
		space := 1 << w
		off := s.offsets[l.tables[c] : l.tables[c]+space+1]
		for i := range hashes {
			off[l.chunk(&hashes[i], c)+1]++
		}
		for v := 1; v <= space; v++ {
			off[v] += off[v-1]
		}
		cursor = append(cursor[:0], off[:space]...)
		post := make([]byte, 3*len(hashes))
		for i := range hashes {
			v := l.chunk(&hashes[i], c)
			p := 3 * cursor[v]
			cursor[v]++
			post[p], post[p+1], post[p+2] = byte(i), byte(i>>8), byte(i>>16)
		}
		s.postings = append(s.postings, post)
	}
	return s
}

// Query returns the enabled hashes within radius of h, nearest first (ties
// by id). Candidates are not deduplicated through a per-query stamp array:
// a hash found through chunk c is kept only if no earlier chunk was also
// within the chunk radius, i.e. if c is the first chunk that finds it. That
// costs nothing for the vast majority of candidates (they fail the distance
// check first), keeps no 40 MB side array in cache, and leaves Query free
// of shared scratch so concurrent readers need no lock between them.
func (ix *Index) Query(h pdq.Hash, radius int) []Hit {
	if radius < 0 {
		return nil
	}
	var out []Hit
	for _, seg := range ix.segments {
		out = ix.querySegment(seg, &h, radius, out)
	}
	out = ix.scan(h, radius, ix.indexed, len(ix.hashes), out)
	sortResults(out)
	return out
}

func (ix *Index) querySegment(seg *segment, h *pdq.Hash, radius int, out []Hit) []Hit {
	l := seg.layout
	s := radius / len(l.width)
	if s > maxChunkRadius {
		return ix.scan(*h, radius, seg.base, seg.base+seg.n, out)
	}
	for c := range l.width {
		q := l.chunk(h, c)
		off := seg.offsets[l.tables[c]:]
		post := seg.postings[c]
		for _, m := range l.masks[c][s] {
			v := q ^ m
			for p := 3 * off[v]; p < 3*off[v+1]; p += 3 {
				id := seg.base + (int(post[p]) | int(post[p+1])<<8 | int(post[p+2])<<16)
				x := &ix.hashes[id]
				d := x.Distance(*h)
				if d > radius || ix.isDisabled(id) || l.foundEarlier(x, h, c, s) {
					continue
				}
				out = append(out, Hit{ID: uint32(id), Distance: d})
			}
		}
	}
	return out
}

func (l *layout) foundEarlier(x, h *pdq.Hash, c, s int) bool {
	for j := range c {
		if bits.OnesCount32(l.chunk(x, j)^l.chunk(h, j)) <= s {
			return true
		}
	}
	return false
}

func (ix *Index) scan(h pdq.Hash, radius, from, to int, out []Hit) []Hit {
	for id := from; id < to; id++ {
		if d := ix.hashes[id].Distance(h); d <= radius && !ix.isDisabled(id) {
			out = append(out, Hit{ID: uint32(id), Distance: d})
		}
	}
	return out
}

func sortResults(r []Hit) {
	slices.SortFunc(r, func(a, b Hit) int {
		if a.Distance != b.Distance {
			return a.Distance - b.Distance
		}
		return int(a.ID) - int(b.ID)
	})
}

// BruteForce is the reference search: every hash within radius of h, in
// the order Query uses. Ids are positions in hashes.
func BruteForce(hashes []pdq.Hash, h pdq.Hash, radius int) []Hit {
	var out []Hit
	for id, x := range hashes {
		if d := x.Distance(h); d <= radius {
			out = append(out, Hit{ID: uint32(id), Distance: d})
		}
	}
	sortResults(out)
	return out
}
