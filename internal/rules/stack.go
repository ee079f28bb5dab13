package rules

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/detect"
	"github.com/raqib-project/raqib/internal/detect/classifier"
	"github.com/raqib-project/raqib/internal/detect/lexicon"
	"github.com/raqib-project/raqib/internal/post"
)

// ErrNoLexicon is returned by NewStack without a lexicon.
var ErrNoLexicon = errors.New("stack needs a lexicon")

// Stack runs the text detectors and the rules on one post: normalize (when
// p.Norm is empty), lexicon, classifier, rules. It is safe for concurrent
// use; per-post buffers come from a pool.
type Stack struct {
	lex    *lexicon.Holder
	lexDet *lexicon.Detector
	model  *classifier.Model
	engine *Engine
	// Now gives the time of a check (tests pin it); default time.Now.
	Now func() time.Time
	// Known are known-content detectors (hash banks, near-duplicates): they
	// run before the rules, which read their signals.
	Known []detect.Detector
	log   *slog.Logger
	pool  sync.Pool
}

// stackScratch is the per-goroutine state of Check.
type stackScratch struct {
	norm  []byte
	hits  []lexicon.Hit
	dense [lexicon.NumFeatures]float32
	cs    classifier.Scratch
	ctx   Context
}

// NewStack assembles a stack. model may be nil (rules then use the lexicon
// alone); counters may be nil (no per-author rules).
func NewStack(lex *lexicon.Holder, model *classifier.Model, counters Counters, log *slog.Logger) (*Stack, error) {
	if lex == nil {
		return nil, ErrNoLexicon
	}
	if model != nil {
		if err := model.CheckDense(lexicon.FeatureNames); err != nil {
			return nil, fmt.Errorf("stack: %w", err)
		}
	}
	s := &Stack{lex: lex, lexDet: lexicon.NewDetector(lex), model: model, engine: NewEngine(counters, log), Now: time.Now, log: log}
	s.pool.New = func() any { return new(stackScratch) }
	return s, nil
}

// Check decides about p, filling p.Norm when it is empty. For posts not
// found unrelated, the verdict's signals are the lexicon's, the
// classifier's (when it flagged the post or the post is violating) and the
// rules'.
func (s *Stack) Check(p *post.Post) Verdict {
	if p.Kind == post.Service {
		return Verdict{Label: post.Unrelated}
	}
	if p.Norm == "" {
		text := p.Text
		if p.Title != "" {
			text = p.Title + "\n" + p.Text
		}
		p.Norm = arabic.Normalize(text)
	}
	sc := s.pool.Get().(*stackScratch)
	defer s.pool.Put(sc)
	sc.norm = append(sc.norm[:0], p.Norm...)
	sc.hits = sc.hits[:0]
	s.lex.Lexicon().Match(sc.norm, func(h lexicon.Hit) { sc.hits = append(sc.hits, h) })
	sumHits(&sc.dense, sc.hits)
	c := &sc.ctx
	*c = Context{Post: p, Hits: sc.hits, Now: s.Now(), effects: c.effects[:0], cases: c.cases[:0]}
	var known []post.Signal
	for _, d := range s.Known {
		var err error
		if known, err = d.Detect(p, known); err != nil && s.log != nil {
			s.log.Warn("detector failed", "detector", d.Name(), "post", p.Key(), "err", err)
		}
	}
	c.Signals = known
	if s.model != nil {
		c.Threshold = s.model.Threshold
		c.Score = s.model.ScoreDense(sc.norm, sc.dense[:], &sc.cs)
	}
	v := s.engine.Run(c)
	if v.Label != post.Unrelated {
		// The detectors' own signals explain the verdict, with spans. They
		// allocate, so they are only made for posts worth explaining, from
		// the hits already found rather than a second lexicon pass.
		signals := s.lexDet.Signals(p.Norm, sc.hits, make([]post.Signal, 0, 3+len(v.Signals)))
		if s.model != nil && (c.Score >= c.Threshold || v.Violating) {
			signals = append(signals, s.model.SignalScored(sc.norm, c.Score, &sc.cs))
		}
		for _, sig := range signals {
			if sig.Label == v.Label && sig.Score > v.Score {
				v.Score = sig.Score
			}
		}
		if v.Case != nil {
			v.Case.Score = v.Score
		}
		v.Signals = append(signals, v.Signals...)
	}
	c.Post, c.Hits, c.Signals = nil, nil, nil
	return v
}
