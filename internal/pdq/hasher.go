package pdq

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// MaxSide is the side above which an image is first area-averaged down:
// the reference hashers shrink anything larger than 512 pixels before the
// tent filter, because filtering full-size photos is slow and costly in
// memory and gains nothing once the result is decimated to 64x64.
const MaxSide = 512

// ErrEmptyImage reports an image with no pixels.
var ErrEmptyImage = errors.New("pdq: image has no pixels")

// Luminance weights of the reference (Rec. 601 luma).
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

// Dihedral variants, in the order returned by Hasher.Dihedral and in the
// order of the reference's dihedral test images (bridge-1 .. bridge-8).
const (
	Original   = iota
	Rotate90   // turned 90 degrees counter-clockwise
	Rotate180  // turned upside down
	Rotate270  // turned 90 degrees clockwise
	FlipX      // mirrored top to bottom (about the x axis)
	FlipY      // mirrored left to right (about the y axis)
	FlipPlus1  // transposed (mirrored about the main diagonal)
	FlipMinus1 // mirrored about the anti-diagonal
)

// dihedral says how each variant's 16x16 DCT derives from the original one.
// DCT rows/columns hold frequencies 1..16, so reversing the image along an
// axis negates the odd frequencies along it (even indices here); rotations
// and diagonal flips also transpose.
var dihedral = [8]struct{ negEvenRows, negEvenCols, transpose bool }{
	Original:   {},
	Rotate90:   {negEvenCols: true, transpose: true},
	Rotate180:  {negEvenRows: true, negEvenCols: true},
	Rotate270:  {negEvenRows: true, transpose: true},
	FlipX:      {negEvenRows: true},
	FlipY:      {negEvenCols: true},
	FlipPlus1:  {transpose: true},
	FlipMinus1: {negEvenRows: true, negEvenCols: true, transpose: true},
}

// dctMatrix is the 16x64 DCT-II basis for frequencies 1..16 (the DC term is
// left out since the median threshold makes it useless).
var dctMatrix = func() (d [16 * 64]float32) {
	scale := math.Sqrt(2.0 / 64.0)
	for i := range 16 {
		for j := range 64 {
			d[i*64+j] = float32(scale * math.Cos(math.Pi/2/64*float64(i+1)*float64(2*j+1)))
		}
	}
	return d
}()

// Hasher computes PDQ hashes. It keeps its working buffers between calls so
// that hashing allocates nothing once the buffers fit the largest image seen.
// A Hasher is not safe for concurrent use; use one per goroutine.
type Hasher struct {
	// FullResolution skips the shrink to MaxSide and filters the whole
	// image, as the vPDQ reference does for video frames. It costs time
	// and two float32 buffers the size of the image.
	FullResolution bool

	luma, tmp []float32 // rows x cols, row-major
	sums      []float32 // one row of running column sums
	row       []float32 // one source row of luminance
	binCount  []float32 // source columns per target column when shrinking
	binOf     []int32   // target column of each source column
	src       source
	b64       [64 * 64]float32
	t16x64    [16 * 64]float32
	dct       [16 * 16]float32
	aux       [16 * 16]float32
	sel       [16 * 16]float32

	// Source and target size of the luminance being filled (startLuma).
	lumaW, lumaH, lumaRows, lumaCols int
}

// NewHasher returns a Hasher with empty buffers.
func NewHasher() *Hasher { return &Hasher{} }

// HashImage returns the PDQ hash of img and its quality (0-100; the
// reference suggests ignoring hashes of quality below 50).
func (h *Hasher) HashImage(img image.Image) (Hash, int, error) {
	if err := h.transform(img); err != nil {
		return Hash{}, 0, err
	}
	q := h.quality()
	return h.bits(&h.dct), q, nil
}

// Dihedral returns the hashes of img's eight rotations and flips (indexed by
// Original .. FlipMinus1) from a single DCT, and the quality.
func (h *Hasher) Dihedral(img image.Image) ([8]Hash, int, error) {
	var out [8]Hash
	if err := h.transform(img); err != nil {
		return out, 0, err
	}
	for v := range out {
		out[v] = h.variant(v)
	}
	return out, h.quality(), nil
}

// HashRGB hashes packed 8-bit RGB pixels (3 bytes a pixel, stride bytes a
// row), as delivered by video decoders, without building an image.Image.
func (h *Hasher) HashRGB(pix []byte, width, height, stride int) (Hash, int, error) {
	if width <= 0 || height <= 0 {
		return Hash{}, 0, ErrEmptyImage
	}
	if stride < 3*width || len(pix) < stride*(height-1)+3*width {
		return Hash{}, 0, fmt.Errorf("pdq: rgb buffer of %d bytes too short for %dx%d stride %d", len(pix), width, height, stride)
	}
	h.src = source{kind: kindRGB24, pix: pix, stride: stride, rect: image.Rect(0, 0, width, height)}
	h.fromSource()
	return h.bits(&h.dct), h.quality(), nil
}

func (h *Hasher) transform(img image.Image) error {
	if img == nil || img.Bounds().Empty() {
		return ErrEmptyImage
	}
	h.src.set(img)
	h.fromSource()
	return nil
}

// fromSource computes the 16x16 DCT of h.src into h.dct, leaving the 64x64
// decimated luminance in h.b64 for the quality score.
func (h *Hasher) fromSource() {
	rows, cols := h.fillLuma()
	h.src = source{} // drop the caller's image
	h.fromLuma(rows, cols)
}

// fromLuma filters and decimates the rows x cols luminance in h.luma and
// computes its DCT.
func (h *Hasher) fromLuma(rows, cols int) {
	h.jarosz(rows, cols)
	h.dct64To16()
}

// fillLuma writes the luminance of h.src into h.luma, area-averaged down to
// at most MaxSide x MaxSide, and returns its dimensions.
func (h *Hasher) fillLuma() (rows, cols int) {
	r := h.src.rect
	sw := r.Dx()
	rows, cols = h.startLuma(sw, r.Dy())
	h.row = grow(h.row, sw)
	for y := range r.Dy() {
		h.src.lumaRow(r.Min.Y+y, h.row[:sw])
		h.addLuma(y, 0, 1, h.row[:sw])
	}
	h.finishLuma()
	return rows, cols
}

// startLuma prepares h.luma for the luminance of a sw x sh image, which
// addLuma then receives in any order of rows and pixels, and returns the
// size it will have: at most MaxSide x MaxSide unless FullResolution.
// Callers never hold the image itself, only a row of it at a time.
func (h *Hasher) startLuma(sw, sh int) (rows, cols int) {
	cols, rows = sw, sh
	if !h.FullResolution {
		cols, rows = fitSize(sw, sh)
	}
	h.lumaW, h.lumaH, h.lumaRows, h.lumaCols = sw, sh, rows, cols
	h.luma = grow(h.luma, rows*cols)
	h.tmp = grow(h.tmp, rows*cols)
	if sw == cols && sh == rows {
		return rows, cols
	}
	h.binOf = growInt32(h.binOf, sw)
	h.binCount = grow(h.binCount, cols)
	clear(h.binCount)
	for x := range sw {
		b := x * cols / sw
		h.binOf[x] = int32(b)
		h.binCount[b]++
	}
	clear(h.luma[:rows*cols])
	return rows, cols
}

// addLuma adds the luminance of source pixels (x0, y), (x0+dx, y), ... in
// vals.
func (h *Hasher) addLuma(y, x0, dx int, vals []float32) {
	cols := h.lumaCols
	if h.lumaW == cols && h.lumaH == h.lumaRows {
		dst := h.luma[y*cols : (y+1)*cols]
		if dx == 1 {
			copy(dst[x0:], vals)
			return
		}
		for i, v := range vals {
			dst[x0+i*dx] = v
		}
		return
	}
	ty := y * h.lumaRows / h.lumaH
	dst := h.luma[ty*cols : (ty+1)*cols]
	if dx == 1 {
		for x, v := range vals {
			dst[h.binOf[x0+x]] += v
		}
		return
	}
	for i, v := range vals {
		dst[h.binOf[x0+i*dx]] += v
	}
}

// finishLuma turns the sums of a shrunk image into means.
func (h *Hasher) finishLuma() {
	rows, cols, sh := h.lumaRows, h.lumaCols, h.lumaH
	if h.lumaW == cols && sh == rows {
		return
	}
	for ty := range rows {
		// Source rows per target row, from the same floor mapping as addLuma.
		n := float32(ceilDiv((ty+1)*sh, rows) - ceilDiv(ty*sh, rows))
		dst := h.luma[ty*cols : (ty+1)*cols]
		for x := range dst {
			dst[x] /= n * h.binCount[x]
		}
	}
}

// fitSize returns the size an image of w x h pixels is area-averaged down
// to before filtering: the largest that fits in MaxSide x MaxSide with the
// same aspect ratio, as the Python reference's thumbnail step does. Keeping
// the aspect ratio (rather than squashing to a square like the C++ tool)
// sets the tent filter's width in each direction as that reference does,
// and agrees better with both reference tables.
func fitSize(w, h int) (int, int) {
	switch {
	case w <= MaxSide && h <= MaxSide:
		return w, h
	case w >= h:
		return MaxSide, max(1, (h*MaxSide+w/2)/w)
	default:
		return max(1, (w*MaxSide+h/2)/h), MaxSide
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// jaroszWindow is the reference's per-pass box size: two passes of half a
// 64th of the side make a tent over one decimation cell.
func jaroszWindow(side int) int { return (side + 2*64 - 1) / (2 * 64) }

// jarosz applies two rounds of horizontal then vertical box filters, which
// approximate a tent filter (Jarosz, "Fast image convolutions", 2001), and
// decimates the result to 64x64. The first round covers the whole image;
// the second is only evaluated where decimation samples it, where the two
// box passes reduce to the mean of one rectangle.
func (h *Hasher) jarosz(rows, cols int) {
	wr, wc := jaroszWindow(cols), jaroszWindow(rows)
	h.sums = grow(h.sums, cols)
	for y := range rows {
		boxRow(h.luma[y*cols:(y+1)*cols], h.tmp[y*cols:(y+1)*cols], wr)
	}
	boxCols(h.tmp[:rows*cols], h.luma[:rows*cols], rows, cols, wc, h.sums[:cols])

	xb, xa := boxSpan(wr)
	yb, ya := boxSpan(wc)
	for i := range 64 {
		y := decimationIndex(i, rows)
		y0, y1 := max(0, y-yb), min(rows-1, y+ya)
		for j := range 64 {
			x := decimationIndex(j, cols)
			x0, x1 := max(0, x-xb), min(cols-1, x+xa)
			var s float32
			for r := y0; r <= y1; r++ {
				for _, v := range h.luma[r*cols+x0 : r*cols+x1+1] {
					s += v
				}
			}
			h.b64[i*64+j] = s / float32((y1-y0+1)*(x1-x0+1))
		}
	}
}

// decimationIndex is the pixel that decimation samples for output cell i
// of 64 along a side of n pixels (the cell's centre, rounded down).
func decimationIndex(i, n int) int {
	return int((float64(i) + 0.5) * float64(n) / 64)
}

// boxSpan returns how far a box of the given full size reaches behind and
// ahead of its output sample, matching the reference's off-centre windows
// for even sizes.
func boxSpan(full int) (behind, ahead int) {
	half := (full + 2) / 2
	return full - half, half - 1
}

// boxRow writes to out the mean of in over the box around each sample,
// clipped at the ends. Windows are at most a few samples wide (the image
// is at most MaxSide wide), so the interior adds shifted copies of the row
// instead of keeping a running sum, whose serial dependency would be
// several times slower.
func boxRow(in, out []float32, full int) {
	n := len(in)
	behind, ahead := boxSpan(full)
	lo, hi := behind, n-ahead // samples in [lo, hi) see a whole window
	if lo >= hi {
		lo, hi = n, n // all clipped
	}
	for o := range lo {
		out[o] = clippedMean(in, o-behind, o+ahead)
	}
	for o := hi; o < n; o++ {
		out[o] = clippedMean(in, o-behind, o+ahead)
	}
	if lo == hi {
		return
	}
	mid := out[lo:hi]
	copy(mid, in[:hi-lo])
	for d := 1; d < full; d++ {
		src := in[d : d+hi-lo]
		for i := range mid {
			mid[i] += src[i]
		}
	}
	inv := 1 / float32(full)
	for i := range mid {
		mid[i] *= inv
	}
}

// clippedMean returns the mean of in[a..b] after clipping to in's range.
func clippedMean(in []float32, a, b int) float32 {
	a, b = max(0, a), min(len(in)-1, b)
	var s float32
	for _, v := range in[a : b+1] {
		s += v
	}
	return s / float32(b-a+1)
}

// boxCols is boxRow down every column at once, keeping memory access
// sequential.
func boxCols(in, out []float32, rows, cols, full int, sums []float32) {
	behind, ahead := boxSpan(full)
	clear(sums)
	for r := 0; r < ahead && r < rows; r++ {
		addTo(sums, in[r*cols:(r+1)*cols])
	}
	for o := range rows {
		if r := o + ahead; r < rows {
			addTo(sums, in[r*cols:(r+1)*cols])
		}
		if l := o - behind - 1; l >= 0 {
			subFrom(sums, in[l*cols:(l+1)*cols])
		}
		n := min(o+ahead, rows-1) - max(o-behind, 0) + 1
		inv := 1 / float32(n)
		dst := out[o*cols : (o+1)*cols]
		for c, s := range sums {
			dst[c] = s * inv
		}
	}
}

func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

func subFrom(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] -= src[i]
	}
}

// quality is the reference's heuristic: the sum of quantised absolute
// neighbour differences on the 64x64 image, scaled so that 100 means
// plenty of detail.
func (h *Hasher) quality() int {
	sum := 0
	b := &h.b64
	for i := range 63 {
		for j := range 64 {
			sum += absInt(int((b[i*64+j] - b[(i+1)*64+j]) * 100 / 255))
		}
	}
	for i := range 64 {
		for j := range 63 {
			sum += absInt(int((b[i*64+j] - b[i*64+j+1]) * 100 / 255))
		}
	}
	return min(sum/90, 100)
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// dct64To16 computes D * A * D^T for the 64x64 image A, keeping only
// frequencies 1..16 in each direction.
func (h *Hasher) dct64To16() {
	t := &h.t16x64
	for i := range 16 {
		ti := t[i*64 : (i+1)*64]
		clear(ti)
		for k := range 64 {
			d := dctMatrix[i*64+k]
			ak := h.b64[k*64 : (k+1)*64]
			for j := range ti {
				ti[j] += d * ak[j]
			}
		}
	}
	for i := range 16 {
		ti := t[i*64 : (i+1)*64]
		for j := range 16 {
			dj := dctMatrix[j*64 : (j+1)*64]
			var s float32
			for k := range ti {
				s += ti[k] * dj[k]
			}
			h.dct[i*16+j] = s
		}
	}
}

// variant returns the hash of dihedral variant v of the last DCT.
func (h *Hasher) variant(v int) Hash {
	if v == Original {
		return h.bits(&h.dct)
	}
	d := dihedral[v]
	for i := range 16 {
		for j := range 16 {
			x := h.dct[i*16+j]
			if (d.negEvenRows && i%2 == 0) != (d.negEvenCols && j%2 == 0) {
				x = -x
			}
			if d.transpose {
				h.aux[j*16+i] = x
			} else {
				h.aux[i*16+j] = x
			}
		}
	}
	return h.bits(&h.aux)
}

// bits sets bit i*16+j when coefficient (i,j) exceeds the median; the
// median is the 128th smallest value, as the reference's Torben selection
// returns.
func (h *Hasher) bits(c *[256]float32) Hash {
	h.sel = *c
	m := selectKth(h.sel[:], 127)
	var out Hash
	for k, v := range c {
		if v > m {
			out.setBit(k)
		}
	}
	return out
}

// selectKth returns the k-th smallest element (0-based) of a, reordering a
// (Hoare's quickselect with a median-of-three pivot).
func selectKth(a []float32, k int) float32 {
	lo, hi := 0, len(a)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		p := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < p {
				i++
			}
			for a[j] > p {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return a[k]
		}
	}
	return a[k]
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

func growInt32(b []int32, n int) []int32 {
	if cap(b) < n {
		return make([]int32, n)
	}
	return b[:n]
}
