// Package eval measures how well raqib's text stack (lexicon, classifier
// and rules) separates violating posts from the rest: precision, recall,
// F1 and false-positive rates on labelled files, false-positive rates on
// plain text (news articles, hard negatives), the worst mistakes with their
// text, and honest figures by k-fold cross-validation.
package eval

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/detect/classifier"
	"github.com/raqib-project/raqib/internal/detect/lexicon"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/rules"
)

// ErrNoData is returned when there is nothing to evaluate.
var ErrNoData = errors.New("no evaluation data")

// Config is everything `raqib eval` can set.
type Config struct {
	// Data are the files to evaluate. In cross-validation they are also the
	// training data, fold by fold.
	Data []classifier.DataFile
	// Holdout files are evaluated but never trained on (seed articles,
	// held-out hand-made news).
	Holdout []classifier.DataFile
	// Model scores when Folds < 2; nil means the embedded model.
	Model *classifier.Model
	// Folds > 1 runs k-fold cross-validation: each fold of Data is scored
	// by a model trained on the other folds with Train's hyper-parameters;
	// Holdout files are scored by a model trained on all of Data. Text
	// files of Data are also read whole, as one article each, by that model.
	Folds int
	Train classifier.TrainConfig
	// Worst is how many false positives and false negatives to list;
	// default 10.
	Worst int
	JSON  bool
}

// Mistake is one wrongly decided text.
type Mistake struct {
	Where string     `json:"where"`
	Score float64    `json:"score"`
	Label post.Label `json:"label"`
	Why   []string   `json:"why,omitempty"`
	Text  string     `json:"text"`
}

// FileResult is the outcome on one file.
type FileResult struct {
	Path    string             `json:"path"`
	Format  classifier.Format  `json:"format"`
	Holdout bool               `json:"holdout,omitempty"`
	Metrics classifier.Metrics `json:"metrics"`
	// Review counts the texts not flagged but sent to review: the
	// classifier's abstain band.
	Review int `json:"review"`
	// Document is set for plain text files: whether the whole file, read
	// as one post, was flagged.
	Document *bool `json:"document_flagged,omitempty"`
}

// Result is the whole evaluation.
type Result struct {
	Mode      string             `json:"mode"` // "model" or "cv-K"
	Threshold float32            `json:"threshold"`
	Files     []FileResult       `json:"files"`
	Overall   classifier.Metrics `json:"overall"` // files with positives
	// ByLanguage splits every scored text by its language
	// (arabic.Language): Arabic, English and mixed posts apart.
	ByLanguage map[string]classifier.Metrics `json:"by_language"`
	// ByLabel counts, per label the stack gave, the texts given it and how
	// many of them were positive.
	ByLabel        map[post.Label]LabelCount `json:"by_label"`
	FalsePositives []Mistake                 `json:"false_positives"`
	FalseNegatives []Mistake                 `json:"false_negatives"`
}

// LabelCount is how often the stack gave a label, and to how many
// positives.
type LabelCount struct {
	Texts     int `json:"texts"`
	Positives int `json:"positives"`
}

// scored is one example's verdict.
type scored struct {
	ex      classifier.Example
	file    int
	verdict post.Decision
	review  bool // a case proposed without a violating label
}

// Run evaluates and writes a report (text, or JSON with cfg.JSON) to w.
func Run(cfg Config, w io.Writer) (Result, error) {
	var res Result
	if len(cfg.Data)+len(cfg.Holdout) == 0 {
		return res, ErrNoData
	}
	if cfg.Worst <= 0 {
		cfg.Worst = 10
	}
	lex, err := lexicon.NewHolder("")
	if err != nil {
		return res, fmt.Errorf("eval: %w", err)
	}
	files := append(slices.Clone(cfg.Data), cfg.Holdout...)
	exs := make([][]classifier.Example, len(files))
	for i, df := range files {
		if exs[i], err = classifier.Load(df, nil); err != nil {
			return res, fmt.Errorf("eval: %w", err)
		}
	}
	var all []classifier.Example
	var owner []int
	for i := range cfg.Data {
		all = append(all, exs[i]...)
		for range exs[i] {
			owner = append(owner, i)
		}
	}

	var results []scored
	stacks := map[*classifier.Model]*rules.Stack{}
	stackFor := func(m *classifier.Model) (*rules.Stack, error) {
		if st := stacks[m]; st != nil {
			return st, nil
		}
		st, err := rules.NewStack(rules.StackConfig{Lexicon: lex, Model: m})
		if err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		stacks[m] = st
		return st, nil
	}
	check := func(m *classifier.Model, ex classifier.Example, file int) error {
		st, err := stackFor(m)
		if err != nil {
			return err
		}
		p := &post.Post{Platform: "eval", ID: ex.Where, Kind: post.Message, Text: ex.Text}
		set := st.Check(p, nil)
		results = append(results, scored{ex, file, p.Decision, len(set.Cases) > 0 && !p.Decision.Violating})
		return nil
	}
	holdoutModel := cfg.Model
	if holdoutModel == nil {
		if holdoutModel, err = classifier.Default(); err != nil {
			return res, fmt.Errorf("eval: %w", err)
		}
	}
	if cfg.Folds > 1 {
		res.Mode = fmt.Sprintf("cv-%d", cfg.Folds)
		tc := cfg.Train
		models, folds, err := classifier.FoldModels(tc, all, cfg.Folds)
		if err != nil {
			return res, fmt.Errorf("eval: %w", err)
		}
		for i, ex := range all {
			if err := check(models[folds[i]], ex, owner[i]); err != nil {
				return res, err
			}
		}
		// Holdout files and whole documents are scored by a model trained
		// on all of Data, which never saw them.
		if holdoutModel, _, err = classifier.TrainExamples(tc, all, nil); err != nil {
			return res, fmt.Errorf("eval: %w", err)
		}
	} else {
		res.Mode = "model"
		for i, ex := range all {
			if err := check(holdoutModel, ex, owner[i]); err != nil {
				return res, err
			}
		}
	}
	for j := range cfg.Holdout {
		i := len(cfg.Data) + j
		for _, ex := range exs[i] {
			if err := check(holdoutModel, ex, i); err != nil {
				return res, err
			}
		}
	}
	res.Threshold = holdoutModel.Threshold

	res.Files = make([]FileResult, len(files))
	for i, df := range files {
		res.Files[i] = FileResult{Path: df.Path, Format: df.Format, Holdout: i >= len(cfg.Data)}
	}
	var fps, fns []Mistake
	res.ByLanguage = map[string]classifier.Metrics{}
	res.ByLabel = map[post.Label]LabelCount{}
	for _, r := range results {
		v := r.verdict
		res.Files[r.file].Metrics.Add(r.ex.Positive, v.Violating)
		lang := arabic.Language(r.ex.Text)
		m := res.ByLanguage[lang]
		m.Add(r.ex.Positive, v.Violating)
		res.ByLanguage[lang] = m
		lc := res.ByLabel[v.Label]
		lc.Texts++
		if r.ex.Positive {
			lc.Positives++
		}
		res.ByLabel[v.Label] = lc
		if r.review {
			res.Files[r.file].Review++
		}
		mk := Mistake{Where: r.ex.Where, Score: v.Score, Label: v.Label, Why: v.Reasons, Text: r.ex.Text}
		switch {
		case v.Violating && !r.ex.Positive:
			fps = append(fps, mk)
		case !v.Violating && r.ex.Positive:
			mk.Score = 1 - v.Score
			fns = append(fns, mk)
		}
	}
	for i := range res.Files {
		if res.Files[i].Metrics.TP+res.Files[i].Metrics.FN > 0 {
			m := &res.Overall
			f := res.Files[i].Metrics
			for range f.TP {
				m.Add(true, true)
			}
			for range f.FN {
				m.Add(true, false)
			}
			for range f.FP {
				m.Add(false, true)
			}
			for range f.TN {
				m.Add(false, false)
			}
		}
	}
	// Whole documents: a plain text file read as one post, as a feed
	// importer would present an article.
	for i, df := range files {
		if df.Format != classifier.FormatText {
			continue
		}
		b, err := os.ReadFile(df.Path)
		if err != nil {
			return res, fmt.Errorf("eval: %w", err)
		}
		st, err := stackFor(holdoutModel)
		if err != nil {
			return res, err
		}
		p := &post.Post{Platform: "eval", ID: df.Path, Kind: post.Article, Text: string(b)}
		st.Check(p, nil)
		flagged := p.Decision.Violating
		res.Files[i].Document = &flagged
	}
	slices.SortFunc(fps, func(a, b Mistake) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.Where, b.Where))
	})
	slices.SortFunc(fns, func(a, b Mistake) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.Where, b.Where))
	})
	res.FalsePositives = fps[:min(len(fps), cfg.Worst)]
	res.FalseNegatives = fns[:min(len(fns), cfg.Worst)]
	if cfg.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return res, enc.Encode(res)
	}
	return res, writeText(w, res)
}

func writeText(w io.Writer, res Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "mode %s, threshold %.2f\n\n", res.Mode, res.Threshold)
	fmt.Fprintln(tw, "file\trows\tTP\tFP\tTN\tFN\tprecision\trecall\tF1\tFPR\treview\tdocument")
	for _, f := range res.Files {
		m := f.Metrics
		doc := ""
		if f.Document != nil {
			doc = "not flagged"
			if *f.Document {
				doc = "FLAGGED"
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.4f\t%d\t%s\n", f.Path, m.TP+m.FP+m.TN+m.FN, m.TP, m.FP, m.TN, m.FN, m.Precision, m.Recall, m.F1, m.FPR, f.Review, doc)
	}
	o := res.Overall
	fmt.Fprintf(tw, "\nconfusion (files with positives)\tpredicted violating\tpredicted not\n")
	fmt.Fprintf(tw, "violating\t%d\t%d\n", o.TP, o.FN)
	fmt.Fprintf(tw, "not violating\t%d\t%d\n", o.FP, o.TN)
	fmt.Fprintf(tw, "precision %.3f  recall %.3f  F1 %.3f  FPR %.4f\n", o.Precision, o.Recall, o.F1, o.FPR)
	fmt.Fprintf(tw, "\nlanguage\ttexts\tTP\tFP\tTN\tFN\tprecision\trecall\tF1\tFPR\n")
	for _, lang := range slices.Sorted(maps.Keys(res.ByLanguage)) {
		m := res.ByLanguage[lang]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.4f\n", lang, m.TP+m.FP+m.TN+m.FN, m.TP, m.FP, m.TN, m.FN, m.Precision, m.Recall, m.F1, m.FPR)
	}
	fmt.Fprintf(tw, "\nlabel given\ttexts\tof them positive\n")
	for _, l := range slices.Sorted(maps.Keys(res.ByLabel)) {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", l, res.ByLabel[l].Texts, res.ByLabel[l].Positives)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("eval report: %w", err)
	}
	for _, sec := range []struct {
		title string
		ms    []Mistake
	}{{"highest-scoring false positives", res.FalsePositives}, {"lowest-scoring false negatives", res.FalseNegatives}} {
		fmt.Fprintf(w, "\n%s:\n", sec.title)
		for _, m := range sec.ms {
			fmt.Fprintf(w, "  %.3f %s %s [%s]\n      %s\n", m.Score, m.Where, m.Label, strings.Join(m.Why, "; "), oneLine(m.Text, 200))
		}
	}
	return nil
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
