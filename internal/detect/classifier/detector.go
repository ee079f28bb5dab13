package classifier

import (
	"strconv"
	"sync"

	"github.com/raqib-project/raqib/internal/detect"
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
func (d *Detector) Detect(p *post.Post, out []post.Signal) ([]post.Signal, error) {
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
	score, top := m.Explain(norm, dense, s, explainTop)
	return m.signal(score, top)
}

// SignalScored is Signal for the text that s was last used to score, with
// that score: it skips scoring again.
func (m *Model) SignalScored(norm []byte, score float32, s *Scratch) post.Signal {
	return m.signal(score, m.contributions(norm, s, explainTop))
}

func (m *Model) signal(score float32, top []Contribution) post.Signal {
	sig := post.Signal{Detector: "classifier", Label: post.Propaganda, Score: float64(score)}
	if score < m.Threshold {
		sig.Label = post.Unrelated
	}
	b := make([]byte, 0, 160)
	b = append(b, "classifier score "...)
	b = strconv.AppendFloat(b, float64(score), 'f', 2, 32)
	b = append(b, " (threshold "...)
	b = strconv.AppendFloat(b, float64(m.Threshold), 'f', 2, 32)
	b = append(b, "); strongest features: "...)
	for i, c := range top {
		if i > 0 {
			b = append(b, ", "...)
		}
		if c.Start < 0 {
			b = append(b, "feature:"...) // a dense feature, not a word of the post
		}
		b = append(b, c.Text...)
		b = append(b, " ("...)
		b = strconv.AppendFloat(b, float64(c.Weight), 'f', 2, 32)
		b = append(b, ')')
		if c.Start >= 0 {
			sig.Spans = append(sig.Spans, post.Span{Start: c.Start, End: c.End, Text: c.Text, Why: "n-gram weight " + strconv.FormatFloat(float64(c.Weight), 'f', 2, 32)})
		}
	}
	sig.Explanation = string(b)
	return sig
}
