package classifier

import (
	"math"
	"strconv"
	"sync"

	"github.com/raqib-project/raqib/internal/detect"
	"github.com/raqib-project/raqib/internal/effect"
	"github.com/raqib-project/raqib/internal/post"
)

// explainTop is how many contributing words an explanation lists.
const explainTop = 5

// Detector emits a propaganda signal for posts the model scores at or above
// its threshold, explained by the words and word pairs that weighed most.
type Detector struct {
	m    *Model
	pool sync.Pool
}

var _ detect.Detector = (*Detector)(nil)

// NewDetector returns a detector scoring with m.
func NewDetector(m *Model) *Detector {
	return &Detector{m: m, pool: sync.Pool{New: func() any { return new(Scratch) }}}
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "classifier" }

// Detect implements detect.Detector.
func (d *Detector) Detect(p *post.Post, out []post.Signal, _ *effect.Set) ([]post.Signal, error) {
	if p.Kind == post.Service || p.Norm == "" {
		return out, nil
	}
	s := d.pool.Get().(*Scratch)
	defer d.pool.Put(s)
	norm := []byte(p.Norm)
	if d.m.Score(norm, s) < d.m.Threshold {
		return out, nil
	}
	return append(out, d.m.Signal(norm, nil, s)), nil
}

// Signal scores norm and describes the result as a classifier signal with
// the top contributions as explanation and spans; dense is as for
// ScoreDense, or nil. It allocates; call it for posts that were flagged.
func (m *Model) Signal(norm []byte, dense []float32, s *Scratch) post.Signal {
	score := sigmoid(m.logit(norm, dense, s))
	return m.signal(norm, score, m.strongest(s, explainTop))
}

// SignalScored is Signal for the text that s was last used to score, with
// that score: it skips scoring again.
func (m *Model) SignalScored(norm []byte, score float32, s *Scratch) post.Signal {
	return m.signal(norm, score, m.strongest(s, explainTop))
}

// signal writes the explanation of score from the top spans of norm. The
// explanation and every span's text and reason are cut from one string:
// three allocations per signal instead of three per span.
func (m *Model) signal(norm []byte, score float32, top []spanWeight) post.Signal {
	sig := post.Signal{Detector: "classifier", Label: post.Propaganda, Score: float64(score)}
	if score < m.Threshold {
		sig.Label = post.Unrelated
	}
	type cut struct{ start, end, text, textEnd, why, whyEnd int }
	cuts := make([]cut, 0, explainTop)
	var buf [64 + 56*explainTop]byte // on the stack: only all is kept
	b := buf[:0]
	b = append(b, "classifier score "...)
	b = appendFixed2(b, score)
	b = append(b, " (threshold "...)
	b = appendFixed2(b, m.Threshold)
	b = append(b, "); strongest features: "...)
	for i, c := range top {
		if i > 0 {
			b = append(b, ", "...)
		}
		if c.start < 0 {
			b = append(b, "feature:"...) // a dense feature, not a word of the post
			b = append(b, m.DenseNames[c.end]...)
		} else {
			t := len(b)
			b = append(b, norm[c.start:c.end]...)
			cuts = append(cuts, cut{start: int(c.start), end: int(c.end), text: t, textEnd: len(b)})
		}
		b = append(b, " ("...)
		b = appendFixed2(b, c.weight)
		b = append(b, ')')
	}
	explanation := len(b)
	j := 0
	for _, c := range top {
		if c.start < 0 {
			continue
		}
		cuts[j].why = len(b)
		b = append(b, "n-gram weight "...)
		b = appendFixed2(b, c.weight)
		cuts[j].whyEnd = len(b)
		j++
	}
	all := string(b)
	sig.Explanation = all[:explanation]
	if len(cuts) > 0 {
		sig.Spans = make([]post.Span, len(cuts))
		for i, c := range cuts {
			sig.Spans[i] = post.Span{Start: c.start, End: c.end, Text: all[c.text:c.textEnd], Why: all[c.why:c.whyEnd]}
		}
	}
	return sig
}

// appendFixed2 appends x as strconv.AppendFloat(b, float64(x), 'f', 2, 32)
// does, in a tenth of the time: an explanation writes a dozen numbers.
// x*100 is exact in float64 (24 significant bits times 7), so rounding it
// half to even, as strconv rounds the exact decimal, gives the same digits.
func appendFixed2(b []byte, x float32) []byte {
	y := float64(x) * 100
	if math.IsNaN(y) || math.Abs(y) >= 1<<53 {
		return strconv.AppendFloat(b, float64(x), 'f', 2, 32)
	}
	if math.Signbit(y) {
		b = append(b, '-')
	}
	q := uint64(math.Abs(math.RoundToEven(y)))
	b = strconv.AppendUint(b, q/100, 10)
	return append(b, '.', byte('0'+q%100/10), byte('0'+q%10))
}
