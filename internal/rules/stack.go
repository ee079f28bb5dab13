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
	"github.com/raqib-project/raqib/internal/effect"
	"github.com/raqib-project/raqib/internal/post"
)

// ErrNoLexicon is returned by NewStack without a lexicon.
var ErrNoLexicon = errors.New("stack needs a lexicon")

// StackConfig says what a Stack runs.
type StackConfig struct {
	Lexicon *lexicon.Holder
	// Model may be nil: the rules then use the lexicon alone.
	Model *classifier.Model
	// Detectors are the known-content detectors (hash banks, recycled
	// text): they run before the rules, which read their signals.
	Detectors []detect.Detector
	// Rules is the rule set; nil means All.
	Rules []Rule
	Log   *slog.Logger
	// Now gives the time of a check (tests pin it); nil means time.Now.
	Now func() time.Time
	// Lifecycle holds the account lifecycle settings; zero fields take
	// DefaultLifecycle's.
	Lifecycle Lifecycle
}

// Stack runs the detectors and the rules on one post: normalize (when
// p.Norm is empty), lexicon, known-content detectors, classifier, rules. It
// is safe for concurrent use; per-post buffers come from a pool.
type Stack struct {
	lex       *lexicon.Holder
	lexDet    *lexicon.Detector
	model     *classifier.Model
	detectors []detect.Detector
	engine    *Engine
	now       func() time.Time
	log       *slog.Logger
	pool      sync.Pool
}

// stackScratch is the per-goroutine state of Check.
type stackScratch struct {
	norm  []byte
	hits  []lexicon.Hit
	dense [lexicon.NumFeatures]float32
	cs    classifier.Scratch
	ctx   Context
}

// NewStack assembles a stack.
func NewStack(cfg StackConfig) (*Stack, error) {
	if cfg.Lexicon == nil {
		return nil, ErrNoLexicon
	}
	if cfg.Model != nil {
		if err := cfg.Model.CheckDense(lexicon.FeatureNames); err != nil {
			return nil, fmt.Errorf("stack: %w", err)
		}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s := &Stack{lex: cfg.Lexicon, lexDet: lexicon.NewDetector(cfg.Lexicon), model: cfg.Model, detectors: cfg.Detectors,
		engine: NewEngine(cfg.Rules, cfg.Log), now: now, log: cfg.Log}
	if cfg.Lifecycle.NewAccountAge > 0 {
		s.engine.Lifecycle.NewAccountAge = cfg.Lifecycle.NewAccountAge
	}
	if cfg.Lifecycle.DormantAfter > 0 {
		s.engine.Lifecycle.DormantAfter = cfg.Lifecycle.DormantAfter
	}
	s.pool.New = func() any { return new(stackScratch) }
	return s, nil
}

// Check decides about p: it fills p.Norm when it is empty, p.Signals and
// p.Decision, and returns the effects to persist once p is stored. t
// answers the rules' counter queries (nil counts nothing). For posts not
// found unrelated, the signals are the lexicon's, the classifier's (when
// it flagged the post or the post is violating), the known-content
// detectors' and the rules'.
func (s *Stack) Check(p *post.Post, t Tally) effect.Set {
	if p.Kind == post.Service {
		p.Signals, p.Decision = nil, post.Decision{Label: post.Unrelated}
		return effect.Set{}
	}
	sc := s.pool.Get().(*stackScratch)
	defer s.pool.Put(sc)
	if p.Norm == "" {
		text := p.Text
		if p.Title != "" {
			text = p.Title + "\n" + p.Text
		}
		// Normalized into the scratch buffer, which the detectors read, and
		// copied once into the post.
		sc.norm = arabic.AppendNormalize(sc.norm[:0], text)
		p.Norm = string(sc.norm)
	} else {
		sc.norm = append(sc.norm[:0], p.Norm...)
	}
	sc.hits = sc.hits[:0]
	s.lex.Lexicon().Match(sc.norm, func(h lexicon.Hit) { sc.hits = append(sc.hits, h) })
	lexicon.MarkRejected(sc.norm, sc.hits)
	sumHits(&sc.dense, sc.hits)
	c := &sc.ctx
	c.Post, c.Hits, c.Now, c.Score, c.Threshold, c.Abstain, c.Bare, c.Familiar, c.Derived = p, sc.hits, s.now(), 0, 0, 0, 0, 0, effect.Set{}
	var known []post.Signal
	for _, d := range s.detectors {
		var err error
		if known, err = d.Detect(p, known, &c.Derived); err != nil && s.log != nil {
			s.log.Warn("detector failed", "detector", d.Name(), "post", p.Key(), "err", err)
		}
	}
	c.Signals = known
	if s.model != nil {
		c.Threshold, c.Abstain, c.Bare = s.model.Threshold, s.model.Abstain, max(s.model.Bare, s.model.Threshold)
		c.Score = s.model.ScoreDense(sc.norm, sc.dense[:], &sc.cs)
		if c.Score >= min(c.Abstain, c.Threshold) {
			c.Familiar = s.model.Familiar(&sc.cs)
		}
	}
	set := s.engine.Run(c, t)
	if d := &p.Decision; d.Label != post.Unrelated {
		// The detectors' own signals explain the decision, with spans.
		// They allocate, so they are only made for posts worth explaining,
		// from the hits already found rather than a second lexicon pass.
		signals := s.lexDet.Signals(p.Norm, sc.hits, make([]post.Signal, 0, 3+len(p.Signals)))
		if s.model != nil && (c.Score >= c.Threshold || d.Violating) {
			signals = append(signals, s.model.SignalScored(sc.norm, c.Score, &sc.cs))
		}
		for _, sig := range signals {
			if sig.Label == d.Label && sig.Score > d.Score {
				d.Score = sig.Score
			}
		}
		for i := range set.Cases {
			set.Cases[i].Score = d.Score
		}
		p.Signals = append(signals, p.Signals...)
	}
	c.Post, c.Hits, c.Signals, c.Derived = nil, nil, nil, effect.Set{}
	return set
}
