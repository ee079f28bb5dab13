// Package detect turns an enriched post into Signals. Each detector lives in
// a sub-package (detect/lexicon, detect/classifier, detect/bankmatch,
// detect/recycled) behind the one Detector interface; rules.Stack runs the
// detectors it is given before the rules read their signals.
package detect

import (
	"github.com/raqib-project/raqib/internal/effect"
	"github.com/raqib-project/raqib/internal/post"
)

// Detector finds signals in one post. p.Norm and p.Lang are already filled
// by the enrich stage. Detect appends its findings to out and returns it, so
// that a caller can reuse one slice across posts; it must be safe for
// concurrent use. What a detector derives from the post that the worker
// persists with the post's effects (the signature of its text, which the
// worker indexes when the text starts a cluster of recycled text) goes
// into fx, so that nothing is computed twice; fx is nil when the caller
// persists nothing.
type Detector interface {
	Name() string
	Detect(p *post.Post, out []post.Signal, fx *effect.Set) ([]post.Signal, error)
}
