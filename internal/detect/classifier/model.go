// Package classifier is raqib's statistical text detector: a logistic
// regression over hashed word unigrams, bigrams and character 3-5-grams of
// the normalized text, plus dense stance features (the lexicon's category
// sums, quoted and unquoted apart, quotation and breaking-news format), so
// that how a post names the group, whether it quotes, and whether it reports
// carry weight rather than topic words. Text inside quotation marks is
// hashed apart from the same words outside them. Scoring does not allocate;
// training (AdaGrad with L2, class weights, early stopping, k-fold
// cross-validation) is deterministic for a seed. The shipped model is
// embedded (see model/README.md).
package classifier

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
)

// Model file errors.
var (
	ErrBadModel      = errors.New("not a raqib classifier model")
	ErrDenseMismatch = errors.New("dense feature names differ from the model's")
)

const (
	magic = "RQBC"
	// version 2 adds Abstain after Threshold, version 3 Bare after
	// Abstain; older files still read, with no abstain band and no bar of
	// their own for text without lexicon evidence.
	version = 3
)

// Builtin dense features computed by the tokenizer itself. They come first
// in Model.DenseNames, before the features of the DenseFunc.
var builtinDense = []string{"quoted_text", "news_bar"}

// DenseFunc writes dense (non-hashed) features of a normalized text into
// dst, which has one entry per name the function was registered with. The
// lexicon's per-category weight sums are the intended one: they carry
// stance (how the group is named, reporting verbs, outlets) rather than
// topic words.
type DenseFunc func(norm []byte, dst []float32)

// Model is a logistic regression over hashed n-gram features plus a few
// dense features. It is read-only after loading and safe for concurrent
// Score calls with one Scratch per goroutine.
type Model struct {
	Buckets   uint32  // power of two
	Seed      uint32  // hash seed
	Bias      float32 //
	Threshold float32 // probability at or above which a text is flagged
	// Abstain is the probability from which, below Threshold, a text is
	// unsure: sent to review without being flagged. 0 means no band.
	Abstain float32
	// Bare is the probability that a text without lexicon evidence of the
	// group's voice (lexicon.Evidence below lexicon.MinEvidence) needs to
	// be flagged; 0 means Threshold. Everyday text in the words of the
	// training tweets scores near the threshold picked for the posts that
	// carry evidence, so it gets a bar of its own, also picked out of fold.
	Bare float32
	W    []float32
	// DenseNames names the dense features: builtinDense then the names the
	// DenseFunc was registered with. DenseW holds their weights.
	DenseNames []string
	DenseW     []float32

	dense DenseFunc
	// known is the median magnitude of the trained (non-zero) weights: an
	// n-gram never seen in training lands in a random bucket and so
	// reaches it only about half as often as a seen one does.
	known float32
}

// setKnown computes known from W; models call it once their weights are
// final.
func (m *Model) setKnown() {
	var mags []float32
	for _, w := range m.W {
		if w != 0 {
			mags = append(mags, float32(math.Abs(float64(w))))
		}
	}
	if len(mags) == 0 {
		m.known = 0
		return
	}
	slices.Sort(mags)
	m.known = mags[len(mags)/2]
}

// Familiar returns the share of the hashed features of the text s last
// scored whose weight reaches the median trained weight: near 1 for text
// like the training data, about a third for text in words it never saw
// (the weather, shopping in English), whose score then means little.
func (m *Model) Familiar(s *Scratch) float32 {
	if len(s.feats) == 0 {
		return 0
	}
	return float32(s.familiar) / float32(len(s.feats))
}

// Scratch holds the per-goroutine buffers of Score. The zero value is
// ready to use; buffers grow to the largest post seen and are then reused.
type Scratch struct {
	runeOff [maxWordRunes + 1]int32
	feats   []feature
	dense   []float32
	spans   []spanWeight
	// familiar counts the features whose weight reaches known, found
	// while scoring: the weights are at hand then (see Familiar).
	familiar int
	quoted   bool
	bar      bool
}

// SetDense registers the dense feature function and the names of the
// features it writes. The names must equal the model's (after the builtin
// ones), so that a lexicon change that reorders categories fails loudly
// instead of scoring garbage.
func (m *Model) SetDense(names []string, fn DenseFunc) error {
	if err := m.CheckDense(names); err != nil {
		return err
	}
	m.dense = fn
	return nil
}

// CheckDense reports whether names are the model's dense feature names
// (after the builtin ones), as ScoreDense callers must provide. A model
// trained without extra dense features accepts any names and ignores them.
func (m *Model) CheckDense(names []string) error {
	if len(m.DenseNames) == len(builtinDense) {
		return nil
	}
	if !slices.Equal(m.DenseNames[len(builtinDense):], names) {
		return fmt.Errorf("%w: model has %v, got %v", ErrDenseMismatch, m.DenseNames[len(builtinDense):], names)
	}
	return nil
}

// Score returns the probability that the normalized text norm is
// violating. It does not allocate once s has grown to the post size.
func (m *Model) Score(norm []byte, s *Scratch) float32 {
	return sigmoid(m.logit(norm, nil, s))
}

// ScoreDense is Score for a caller that already computed the DenseFunc
// features of norm (the lexicon's, from hits it needs anyway), in the order
// of the names given to SetDense.
func (m *Model) ScoreDense(norm []byte, dense []float32, s *Scratch) float32 {
	return sigmoid(m.logit(norm, dense, s))
}

func (m *Model) logit(norm []byte, dense []float32, s *Scratch) float32 {
	extract(norm, m.Seed, s)
	m.denseFeatures(norm, dense, s)
	z := m.Bias
	s.familiar = 0
	if len(s.feats) > 0 {
		mask := m.Buckets - 1
		var sum float32
		familiar, known, weights := 0, m.known, m.W
		for _, f := range s.feats {
			w := weights[f.hash&mask]
			sum += w
			// |w| >= known, without a branch to mispredict.
			familiar += b2i(math.Float32frombits(math.Float32bits(w)&^(1<<31)) >= known)
		}
		s.familiar = familiar
		z += sum * featScale(len(s.feats))
	}
	for i, v := range s.dense {
		z += v * m.DenseW[i]
	}
	return z
}

// denseFeatures fills s.dense, from given when it is not nil; extract must
// have run first.
func (m *Model) denseFeatures(norm []byte, given []float32, s *Scratch) {
	n := len(m.DenseNames)
	if cap(s.dense) < n {
		s.dense = make([]float32, n)
	}
	s.dense = s.dense[:n]
	clear(s.dense)
	s.dense[0] = b2f(s.quoted)
	s.dense[1] = b2f(s.bar)
	switch {
	case n == len(builtinDense):
	case given != nil:
		copy(s.dense[len(builtinDense):], given)
	case m.dense != nil:
		m.dense(norm, s.dense[len(builtinDense):])
	}
}

// featScale normalizes the hashed part so that long posts do not score
// higher just for having more n-grams.
func featScale(n int) float32 {
	return float32(1 / math.Sqrt(float64(n)))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

func sigmoid(z float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(z))))
}

// Contribution is one word, word pair or dense feature and how much it
// moved the score (in logit units) for one post.
type Contribution struct {
	Text       string
	Weight     float32
	Start, End int // byte offsets into the normalized text; -1 for dense features
}

// Explain scores norm and returns the k features that pushed the score up
// the most, strongest first. Character n-grams are credited to their word.
// dense is as for ScoreDense, or nil. It is meant for the posts that are
// flagged: only the returned slice is allocated.
func (m *Model) Explain(norm []byte, dense []float32, s *Scratch, k int) (float32, []Contribution) {
	z := m.logit(norm, dense, s)
	return sigmoid(z), m.contributions(norm, s, k)
}

// contributions ranks the features left in s by the last scoring of norm.
func (m *Model) contributions(norm []byte, s *Scratch, k int) []Contribution {
	top := m.strongest(s, k)
	out := make([]Contribution, len(top))
	for i, a := range top {
		if a.start < 0 {
			out[i] = Contribution{Text: m.DenseNames[a.end], Weight: a.weight, Start: -1, End: -1}
			continue
		}
		out[i] = Contribution{Text: string(norm[a.start:a.end]), Weight: a.weight, Start: int(a.start), End: int(a.end)}
	}
	return out
}

// strongest returns the at most k spans whose features pushed the last
// score of s up the most, strongest first, in s's own storage.
func (m *Model) strongest(s *Scratch, k int) []spanWeight {
	mask := m.Buckets - 1
	scale := featScale(len(s.feats))
	// Features of one span are adjacent (a word, its bigram with the word
	// before, then its character n-grams), so merging into the last two
	// entries credits each span once without a map.
	acc := s.spans[:0]
	for _, f := range s.feats {
		w := m.W[f.hash&mask] * scale
		n := len(acc)
		switch {
		case n > 0 && acc[n-1].start == f.start && acc[n-1].end == f.end:
			acc[n-1].weight += w
		case n > 1 && acc[n-2].start == f.start && acc[n-2].end == f.end:
			acc[n-2].weight += w
		default:
			acc = append(acc, spanWeight{f.start, f.end, w})
		}
	}
	for i, v := range s.dense {
		if v != 0 {
			acc = append(acc, spanWeight{-1, int32(i), v * m.DenseW[i]})
		}
	}
	s.spans = acc
	// Selection of the k strongest: k is small, a full sort is not needed.
	n := 0
	for n < k && n < len(acc) {
		best := n
		for i := n + 1; i < len(acc); i++ {
			if acc[i].weight > acc[best].weight {
				best = i
			}
		}
		if acc[best].weight <= 0 {
			break
		}
		acc[n], acc[best] = acc[best], acc[n]
		n++
	}
	return acc[:n]
}

// spanWeight is the summed contribution of the features of one span; for a
// dense feature start is -1 and end its index.
type spanWeight struct {
	start, end int32
	weight     float32
}

// WriteTo writes the model in its binary format: a header, the dense
// feature names and weights, the hashed weights as float32, and a CRC-32 of
// everything before it.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	buf.WriteString(magic)
	le := binary.LittleEndian
	for _, v := range []uint32{version, m.Buckets, m.Seed, math.Float32bits(m.Bias), math.Float32bits(m.Threshold), math.Float32bits(m.Abstain), math.Float32bits(m.Bare), uint32(len(m.DenseNames))} {
		buf.Write(le.AppendUint32(nil, v))
	}
	for i, name := range m.DenseNames {
		buf.Write(le.AppendUint16(nil, uint16(len(name))))
		buf.WriteString(name)
		buf.Write(le.AppendUint32(nil, math.Float32bits(m.DenseW[i])))
	}
	b := buf.Bytes()
	for _, v := range m.W {
		b = le.AppendUint32(b, math.Float32bits(v))
	}
	b = le.AppendUint32(b, crc32.ChecksumIEEE(b))
	n, err := w.Write(b)
	if err != nil {
		return int64(n), fmt.Errorf("write model: %w", err)
	}
	return int64(n), nil
}

// Read parses a model written by WriteTo.
func Read(b []byte) (*Model, error) {
	le := binary.LittleEndian
	if len(b) < len(magic)+6*4+4 || string(b[:len(magic)]) != magic {
		return nil, ErrBadModel
	}
	body, sum := b[:len(b)-4], le.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrBadModel)
	}
	p := body[len(magic):]
	u32 := func() uint32 { v := le.Uint32(p); p = p[4:]; return v }
	v := u32()
	if v < 1 || v > version {
		return nil, fmt.Errorf("%w: version %d, want 1 to %d", ErrBadModel, v, version)
	}
	m := &Model{Buckets: u32(), Seed: u32(), Bias: math.Float32frombits(u32()), Threshold: math.Float32frombits(u32())}
	if v >= 2 {
		if len(p) < 8 {
			return nil, fmt.Errorf("%w: truncated header", ErrBadModel)
		}
		m.Abstain = math.Float32frombits(u32())
	}
	if v >= 3 {
		if len(p) < 8 {
			return nil, fmt.Errorf("%w: truncated header", ErrBadModel)
		}
		m.Bare = math.Float32frombits(u32())
	}
	nd := u32()
	if m.Buckets == 0 || m.Buckets&(m.Buckets-1) != 0 || m.Buckets > 1<<26 {
		return nil, fmt.Errorf("%w: bucket count %d is not a power of two", ErrBadModel, m.Buckets)
	}
	if nd < uint32(len(builtinDense)) || nd > 1024 {
		return nil, fmt.Errorf("%w: %d dense features", ErrBadModel, nd)
	}
	for range nd {
		if len(p) < 2 {
			return nil, fmt.Errorf("%w: truncated dense features", ErrBadModel)
		}
		l := int(le.Uint16(p))
		if len(p) < 2+l+4 {
			return nil, fmt.Errorf("%w: truncated dense features", ErrBadModel)
		}
		m.DenseNames = append(m.DenseNames, string(p[2:2+l]))
		m.DenseW = append(m.DenseW, math.Float32frombits(le.Uint32(p[2+l:])))
		p = p[2+l+4:]
	}
	if len(p) != int(m.Buckets)*4 {
		return nil, fmt.Errorf("%w: %d weight bytes for %d buckets", ErrBadModel, len(p), m.Buckets)
	}
	m.W = make([]float32, m.Buckets)
	for i := range m.W {
		m.W[i] = math.Float32frombits(le.Uint32(p[4*i:]))
	}
	m.setKnown()
	return m, nil
}
