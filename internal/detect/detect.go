// Package detect turns an enriched post into Signals. Each detector lives in
// a sub-package (detect/lexicon, detect/classifier, ...) behind the one
// Detector interface; Set runs them all in a fixed order.
package detect

import (
	"fmt"
	"log/slog"

	"github.com/raqib-project/raqib/internal/post"
)

// Detector finds signals in one post. p.Norm and p.Lang are already filled
// by the enrich stage. Detect appends its findings to out and returns it, so
// that a caller can reuse one slice across posts; it must be safe for
// concurrent use.
type Detector interface {
	Name() string
	Detect(p *post.Post, out []post.Signal) ([]post.Signal, error)
}

// Set runs detectors in order. One detector's error is logged and the others
// still run, so that a broken model never hides a lexicon hit.
type Set struct {
	Detectors []Detector
	Log       *slog.Logger
}

// Detect runs every detector on p and returns all signals.
func (s *Set) Detect(p *post.Post, out []post.Signal) []post.Signal {
	for _, d := range s.Detectors {
		var err error
		out, err = d.Detect(p, out)
		if err != nil && s.Log != nil {
			s.Log.Warn("detector failed", "detector", d.Name(), "post", p.Key(), "err", fmt.Sprint(err))
		}
	}
	return out
}
