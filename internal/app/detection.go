package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/raqib-project/raqib/internal/detect"
	"github.com/raqib-project/raqib/internal/detect/classifier"
	"github.com/raqib-project/raqib/internal/detect/lexicon"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/rules"
)

// detection is the detect-and-decide stage: lexicon, known-content
// detectors, classifier and rules.
type detection struct {
	stack *rules.Stack
	lex   *lexicon.Holder
	log   *slog.Logger
}

// newDetection loads the lexicon and the model and assembles the stack
// with the given known-content detectors.
func newDetection(c *Config, log *slog.Logger, detectors ...detect.Detector) (*detection, error) {
	lex, err := lexicon.NewHolder(c.Lexicon)
	if err != nil {
		return nil, fmt.Errorf("lexicon: %w", err)
	}
	var model *classifier.Model
	if c.Model != "" {
		b, err := os.ReadFile(c.Model)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		if model, err = classifier.Read(b); err != nil {
			return nil, fmt.Errorf("model %s: %w", c.Model, err)
		}
	} else if model, err = classifier.Default(); err != nil {
		return nil, fmt.Errorf("built-in model: %w", err)
	}
	stack, err := rules.NewStack(rules.StackConfig{Lexicon: lex, Model: model, Detectors: detectors, Log: log,
		Lifecycle: rules.Lifecycle{NewAccountAge: c.NewAccountAge, DormantAfter: c.DormantAfter}})
	if err != nil {
		return nil, err
	}
	return &detection{stack: stack, lex: lex, log: log}, nil
}

// analyze fills p.Signals and p.Decision, for commands that store nothing
// (scan, bench): counters count nothing there and effects are dropped.
func (d *detection) analyze(p *post.Post) { d.stack.Check(p, nil) }

// watchLexicon reloads the analysts' lexicon directory when a file in it
// changes, so that edits take effect without a restart. A bad edit is logged
// and the lexicon in force stays.
func (d *detection) watchLexicon(ctx context.Context, period time.Duration) {
	dir := d.lex.Dir()
	if dir == "" {
		return
	}
	last := dirStamp(dir)
	every(ctx, period, func() {
		stamp := dirStamp(dir)
		if stamp == last {
			return
		}
		last = stamp
		if err := d.lex.Reload(); err != nil {
			d.log.Error("lexicon not reloaded; the previous one stays in force", "err", err)
			return
		}
		d.log.Info("lexicon reloaded", "dir", dir, "entries", d.lex.Lexicon().Len())
	})
}

// every calls fn each period until ctx ends.
func every(ctx context.Context, period time.Duration, fn func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// dirStamp summarizes the names, sizes and times of a directory's files.
func dirStamp(dir string) string {
	matches, _ := filepath.Glob(filepath.Join(dir, "*.tsv"))
	stamp := ""
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil {
			stamp += fmt.Sprintf("%s:%d:%d;", m, st.Size(), st.ModTime().UnixNano())
		}
	}
	return stamp
}
