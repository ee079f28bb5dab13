// Package detect turns an enriched post into Signals. Each detector lives in
// a sub-package (detect/lexicon, detect/classifier, detect/bankmatch,
// detect/recycled) behind the one Detector interface; rules.Stack runs the
// detectors it is given before the rules read their signals.
package detect

import "github.com/raqib-project/raqib/internal/post"

// Detector finds signals in one post. p.Norm and p.Lang are already filled
// by the enrich stage. Detect appends its findings to out and returns it, so
// that a caller can reuse one slice across posts; it must be safe for
// concurrent use.
type Detector interface {
	Name() string
	Detect(p *post.Post, out []post.Signal) ([]post.Signal, error)
}
