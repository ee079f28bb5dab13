package eval

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/detect/classifier"
	"github.com/raqib-project/raqib/internal/detect/lexicon"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/rules"
	"github.com/raqib-project/raqib/internal/shareddata"
)

const (
	newsHeldout      = "../detect/classifier/testdata/news_heldout.txt"
	religiousHeldout = "../detect/classifier/testdata/religious_heldout.txt"
	// generic is hand-made short everyday text, never trained on.
	generic = "../detect/classifier/testdata/generic.txt"
	// counterHeldout is hand-made counter-speech written apart from the
	// trained set and never trained on: the unseen counter-speech figure.
	counterHeldout = "../detect/classifier/testdata/counter_speech_heldout.txt"
)

func seeds(t *testing.T) []classifier.DataFile {
	dir := filepath.Join(filepath.Dir(shareddata.Need(t, "alfifi-dev")), "..", "seeds")
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) != 5 {
		t.Fatalf("want 5 seed articles in %s, got %v (%v)", dir, files, err)
	}
	var out []classifier.DataFile
	for _, f := range files {
		out = append(out, classifier.DataFile{Path: f, Format: classifier.FormatText})
	}
	return out
}

// TestShippedModel checks the embedded model against the targets that do
// not need retraining: the seed articles and the held-out hand-made news
// (never trained on), and the alfifi figures (trained on, so optimistic;
// the honest ones are in TestCrossValidation).
func TestShippedModel(t *testing.T) {
	alfifi := shareddata.Need(t, "alfifi-dev", "alfifi_dev.csv")
	cfg := Config{
		Data: []classifier.DataFile{{Path: alfifi, Format: classifier.FormatAlfifi}},
		Holdout: append(seeds(t),
			classifier.DataFile{Path: newsHeldout, Format: classifier.FormatText},
			classifier.DataFile{Path: religiousHeldout, Format: classifier.FormatText},
			classifier.DataFile{Path: generic, Format: classifier.FormatLines},
			classifier.DataFile{Path: counterHeldout, Format: classifier.FormatLines}),
	}
	var out bytes.Buffer
	res, err := Run(cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	paras := 0
	for _, f := range res.Files {
		switch {
		case strings.Contains(f.Path, "seeds"):
			paras += f.Metrics.FP
			if *f.Document {
				t.Errorf("seed article %s flagged as a whole", f.Path)
			}
		case f.Path == newsHeldout:
			if *f.Document || f.Metrics.FPR > 0.1 {
				t.Errorf("held-out hand-made news: %d of %d flagged, whole file flagged %v", f.Metrics.FP, f.Metrics.FP+f.Metrics.TN, *f.Document)
			}
		case f.Path == generic:
			if f.Metrics.FP > 0 {
				t.Errorf("hand-made generic sentences: %d of %d flagged, want none", f.Metrics.FP, f.Metrics.FP+f.Metrics.TN)
			}
		case f.Path == religiousHeldout:
			// Posts, not the file as one document: forty unrelated
			// supplications and verses read together are not a post.
			t.Logf("held-out hand-made religious speech: %d of %d flagged", f.Metrics.FP, f.Metrics.FP+f.Metrics.TN)
			if f.Metrics.FPR > 0.1 {
				t.Errorf("held-out hand-made religious speech: %d of %d flagged, want at most 10%%", f.Metrics.FP, f.Metrics.FP+f.Metrics.TN)
			}
		}
	}
	if paras > 2 {
		t.Errorf("%d seed paragraphs flagged, want at most 2", paras)
	}
	if res.Overall.F1 < 0.93 || res.Overall.Precision < 0.95 {
		t.Errorf("alfifi (trained on): F1 %.3f precision %.3f", res.Overall.F1, res.Overall.Precision)
	}
}

// TestCrossValidation gives the honest figures: 5-fold cross-validation
// over alfifi, the hard negatives and the hand-made news, with the shipped
// model's hyper-parameters.
func TestCrossValidation(t *testing.T) {
	if testing.Short() {
		t.Skip("trains six models")
	}
	alfifi := shareddata.Need(t, "alfifi-dev", "alfifi_dev.csv")
	root := filepath.Dir(filepath.Dir(alfifi))
	tc := classifier.ShippedConfig(root, "../detect/classifier/testdata")
	holdout := append([]classifier.DataFile{{Path: newsHeldout, Format: classifier.FormatText},
		{Path: religiousHeldout, Format: classifier.FormatText},
		{Path: generic, Format: classifier.FormatLines},
		{Path: counterHeldout, Format: classifier.FormatLines}}, seeds(t)...)
	cfg := Config{Data: tc.Data, Folds: 5, Train: tc, Holdout: holdout, Worst: 25}
	var out bytes.Buffer
	res, err := Run(cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	// The goal is F1 0.95 at precision 0.97 and at most 2% of the
	// counter-speech flagged; the bars below are what the stack reaches
	// (README, Detection), so that a change that loses ground fails.
	seedLines := 0
	for _, f := range res.Files {
		switch {
		case f.Format == classifier.FormatAlfifi:
			if f.Metrics.F1 < 0.91 || f.Metrics.Precision < 0.97 {
				t.Errorf("alfifi 5-fold: F1 %.3f precision %.3f, want >= 0.91 and >= 0.97", f.Metrics.F1, f.Metrics.Precision)
			}
		case f.Format == classifier.FormatASTD, f.Format == classifier.FormatOSACT:
			if f.Metrics.FPR > 0.01 {
				t.Errorf("%s 5-fold: %.2f%% flagged, want <= 1%%", f.Path, 100*f.Metrics.FPR)
			}
		case strings.HasSuffix(f.Path, "counter_speech.txt"):
			if f.Metrics.FPR > 0.12 {
				t.Errorf("hand-made counter-speech 5-fold: %.1f%% flagged, want <= 12%%", 100*f.Metrics.FPR)
			}
		case f.Path == counterHeldout:
			// Reported, not gated: the 2% is not reached, and a
			// bar set from this file's own figure would tune to it.
			t.Logf("hand-made counter-speech never trained on: %d of %d flagged", f.Metrics.FP, f.Metrics.FP+f.Metrics.TN)
		case f.Path == generic:
			if f.Metrics.FP > 0 {
				t.Errorf("hand-made generic sentences: %d flagged, want none", f.Metrics.FP)
			}
		case strings.Contains(f.Path, "seeds"):
			seedLines += f.Metrics.FP
			if *f.Document {
				t.Errorf("seed article %s flagged as a whole", f.Path)
			}
		}
	}
	if seedLines > 1 {
		t.Errorf("%d seed paragraphs flagged, want at most 1", seedLines)
	}
}

func TestRunTiny(t *testing.T) {
	cfg := Config{Data: []classifier.DataFile{{Path: "testdata/tiny.csv", Format: classifier.FormatCSV, Positive: []string{"pro"}}}, JSON: true, Worst: 1}
	var out bytes.Buffer
	res, err := Run(cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Files[0].Metrics
	if m.TP+m.FP+m.TN+m.FN != 4 || !strings.Contains(out.String(), `"overall"`) {
		t.Errorf("metrics %+v, output %s", m, out.String())
	}
	if m.TP != 2 || m.FP != 0 {
		t.Errorf("hand-made supporter posts: %+v", m)
	}
	if _, err := Run(Config{}, &out); err == nil {
		t.Error("Run without data succeeded")
	}
}

// TestAnalystFeedback retrains the shipped recipe with a hand-made file of
// analysts' decisions (testdata/decisions-handmade.csv, the format of
// `raqib export decisions`): the false positives they dismissed stop being
// flagged, the posts they confirmed still are.
func TestAnalystFeedback(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the shipped model")
	}
	alfifi := shareddata.Need(t, "alfifi-dev", "alfifi_dev.csv")
	root := filepath.Dir(filepath.Dir(alfifi))
	decisions, err := classifier.ParseDataFlag("testdata/decisions-handmade.csv")
	if err != nil || decisions.Format != classifier.FormatDecisions {
		t.Fatalf("format of the decisions file: %v %v", decisions.Format, err)
	}
	exs, err := classifier.Load(decisions, nil)
	if err != nil || len(exs) != 4 {
		t.Fatalf("%d decisions, %v", len(exs), err)
	}
	lex, err := lexicon.NewHolder("")
	if err != nil {
		t.Fatal(err)
	}
	verdicts := func(m *classifier.Model) []bool {
		st, err := rules.NewStack(rules.StackConfig{Lexicon: lex, Model: m})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]bool, len(exs))
		for i, e := range exs {
			p := &post.Post{Platform: "eval", ID: e.Where, Kind: post.Message, Text: e.Text}
			st.Check(p, nil)
			out[i] = p.Decision.Violating
			t.Logf("%s: %v %.3f (threshold %.3f) %v", e.Where, p.Decision.Violating, p.Decision.Score, m.Threshold, p.Decision.Reasons)
		}
		return out
	}
	shipped, err := classifier.Default()
	if err != nil {
		t.Fatal(err)
	}
	before := verdicts(shipped)
	for i, e := range exs {
		if !before[i] {
			t.Fatalf("%s is not flagged by the shipped model: the test needs a flagged post for each decision", e.Where)
		}
	}
	tc := classifier.ShippedConfig(root, "../detect/classifier/testdata")
	tc.Data = append(tc.Data, decisions)
	m, _, err := classifier.Train(tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	after := verdicts(m)
	for i, e := range exs {
		if after[i] != e.Positive {
			t.Errorf("%s (%s) flagged %v after retraining, want %v", e.Where, e.Text, after[i], e.Positive)
		}
	}
}
