package classifier

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/raqib-project/raqib/internal/arabic"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"
)

// ErrNoData is returned when training has no examples of one class.
var ErrNoData = errors.New("training needs positive and negative examples")

// TrainConfig is everything `raqib train` can set. Zero fields take the
// defaults documented beside them.
type TrainConfig struct {
	Data []DataFile `json:"data"`
	// Seed drives the hash, the shuffles and the validation split: the same
	// data and seed give the same weights, bit for bit.
	Seed   uint64 `json:"seed"`
	Epochs int    `json:"epochs"` // maximum passes; default 30
	Bits   int    `json:"bits"`   // log2 of the hash buckets; default 18
	// LearningRate is AdaGrad's step; default 0.2.
	LearningRate float64 `json:"learning_rate"`
	L2           float64 `json:"l2"` // per-update L2 penalty; default 1e-5
	// Patience stops training after this many epochs without a better
	// validation loss; default 3.
	Patience int `json:"patience"`
	// Valid is the fraction of groups held out for early stopping;
	// default 0.1.
	Valid float64 `json:"valid"`
	// PositiveWeight multiplies positive examples; 0 balances the classes
	// (total positive weight equals total negative weight).
	PositiveWeight float64 `json:"positive_weight"`
	// Threshold is stored in the model as its flagging probability;
	// default 0.5. Calibrate replaces it.
	Threshold float64 `json:"threshold"`
	// Calibrate > 1 calibrates the scores: Platt scaling fitted on the
	// out-of-fold scores of a Calibrate-fold cross-validation of the
	// training data, folded into the weights so that Score returns the
	// calibrated probability. The threshold then becomes the lowest score
	// at which out-of-fold precision on the files with positives reaches
	// TargetPrecision while at most MaxHardFPR of the files without
	// positives (hard negatives) are flagged; the abstain band starts
	// where precision reaches AbstainPrecision and at most abstainHardFPR
	// more of the hard negatives are in it. Precision is measured where it is
	// reported: the hard negatives outnumber the labelled set twenty to
	// one, so precision over everything would be another, stricter goal.
	Calibrate        int     `json:"calibrate,omitempty"`
	TargetPrecision  float64 `json:"target_precision,omitempty"`  // default 0.97
	MaxHardFPR       float64 `json:"max_hard_fpr,omitempty"`      // default 0.005
	AbstainPrecision float64 `json:"abstain_precision,omitempty"` // default 0.5
	// MaxBareHardFPR is the share of the hard negatives without lexicon
	// evidence (Bare) that may score at least the model's Bare threshold
	// out of fold: the lowest score from the main threshold up at which
	// out-of-fold precision among the texts without evidence still reaches
	// TargetPrecision. Default 0.005.
	MaxBareHardFPR float64 `json:"max_bare_hard_fpr,omitempty"`
	// Bare reports, from the extra dense features of a text, that it
	// carries no lexicon evidence of the group's voice; with the lexicon's
	// features it is set to lexicon.Evidence below lexicon.MinEvidence.
	// Without it calibration sets no Bare threshold.
	Bare func(dense []float32) bool `json:"-"`
	// Out, when set, is where Train saves the model (and Out+".json", the
	// provenance report).
	Out string `json:"-"`
	// Folds > 1 also runs k-fold cross-validation and records it in the
	// report (k extra trainings).
	Folds int `json:"folds,omitempty"`
	// DenseNames and Dense are the extra dense features; they are stored in
	// and required by the model. Without them training uses the embedded
	// lexicon's category sums, unless NoLexicon is set.
	NoLexicon  bool      `json:"no_lexicon,omitempty"`
	DenseNames []string  `json:"dense_names,omitempty"`
	Dense      DenseFunc `json:"-"`
	// Normalize turns raw text into the normalized form the model scores
	// (default arabic.AppendNormalize).
	Normalize func(dst []byte, s string) []byte `json:"-"`
}

func (c *TrainConfig) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	deff := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Epochs, 30)
	def(&c.Bits, 18)
	def(&c.Patience, 3)
	deff(&c.LearningRate, 0.2)
	deff(&c.L2, 1e-5)
	deff(&c.Valid, 0.1)
	deff(&c.Threshold, 0.5)
	deff(&c.TargetPrecision, 0.97)
	deff(&c.MaxHardFPR, 0.005)
	deff(&c.AbstainPrecision, 0.5)
	deff(&c.MaxBareHardFPR, 0.005)
	if c.Normalize == nil {
		c.Normalize = arabic.AppendNormalize
	}
	if c.Bits > 24 {
		c.Bits = 24
	}
}

// FileInfo is the provenance of one training file.
type FileInfo struct {
	DataFile
	SHA256    string `json:"sha256"`
	Rows      int    `json:"rows"`
	Positives int    `json:"positives"`
	Skipped   int    `json:"skipped"`
}

// Metrics are binary classification counts and rates (positive =
// violating).
type Metrics struct {
	TP, FP, TN, FN int
	Precision      float64 `json:"precision"`
	Recall         float64 `json:"recall"`
	F1             float64 `json:"f1"`
	FPR            float64 `json:"fpr"`
}

// Add counts one prediction.
func (m *Metrics) Add(positive, flagged bool) {
	switch {
	case positive && flagged:
		m.TP++
	case positive:
		m.FN++
	case flagged:
		m.FP++
	default:
		m.TN++
	}
	m.Precision = ratio(m.TP, m.TP+m.FP)
	m.Recall = ratio(m.TP, m.TP+m.FN)
	m.F1 = 0
	if m.Precision+m.Recall > 0 {
		m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
	}
	m.FPR = ratio(m.FP, m.FP+m.TN)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Report is the provenance of a model, written beside it as JSON.
type Report struct {
	Created    time.Time   `json:"created"`
	Config     TrainConfig `json:"config"`
	Files      []FileInfo  `json:"files"`
	Examples   int         `json:"examples"`
	Epochs     int         `json:"epochs"` // epochs run before early stopping kept the best
	BestEpoch  int         `json:"best_epoch"`
	ValidLoss  float64     `json:"valid_loss"`
	Validation Metrics     `json:"validation"`
	// CV is the out-of-fold result per file when Config.Folds > 1.
	CV map[string]Metrics `json:"cv,omitempty"`
	// Calibration is how the scores were calibrated, when they were.
	Calibration *Calibration `json:"calibration,omitempty"`
}

// Calibration records Platt scaling and the thresholds picked on
// out-of-fold scores: p = sigmoid(A·z + B) of the uncalibrated logit z.
type Calibration struct {
	Folds     int     `json:"folds"`
	A         float64 `json:"a"`
	B         float64 `json:"b"`
	Threshold float32 `json:"threshold"`
	Abstain   float32 `json:"abstain"`
	Bare      float32 `json:"bare,omitempty"`
	// OutOfFold counts the out-of-fold verdicts at Threshold.
	OutOfFold Metrics `json:"out_of_fold"`
}

// Train loads cfg.Data and trains a model on all of it.
func Train(cfg TrainConfig, log io.Writer) (*Model, Report, error) {
	if log == nil {
		log = io.Discard
	}
	var (
		all []Example
		rep Report
	)
	for _, df := range cfg.Data {
		info := FileInfo{DataFile: df}
		b, err := os.ReadFile(df.Path)
		if err != nil {
			return nil, rep, fmt.Errorf("train: %w", err)
		}
		sum := sha256.Sum256(b)
		info.SHA256 = hex.EncodeToString(sum[:])
		exs, err := Load(df, func(e *RowError) {
			info.Skipped++
			fmt.Fprintf(log, "skip %v\n", e)
		})
		if err != nil {
			return nil, rep, fmt.Errorf("train: %w", err)
		}
		info.Rows = len(exs)
		for _, e := range exs {
			if e.Positive {
				info.Positives++
			}
		}
		fmt.Fprintf(log, "%s: %d rows, %d positive, %d skipped\n", df.Path, info.Rows, info.Positives, info.Skipped)
		rep.Files = append(rep.Files, info)
		all = append(all, exs...)
	}
	m, r, err := TrainExamples(cfg, all, log)
	if err != nil {
		return nil, rep, err
	}
	r.Files = rep.Files
	if cfg.Folds > 1 {
		flagged, err := CrossValidate(cfg, all, cfg.Folds, log)
		if err != nil {
			return nil, rep, err
		}
		r.CV = make(map[string]Metrics)
		for i, e := range all {
			file := fileOf(e.Where)
			mt := r.CV[file]
			mt.Add(e.Positive, flagged[i])
			r.CV[file] = mt
		}
	}
	if cfg.Out != "" {
		if err := Save(cfg.Out, m, r); err != nil {
			return nil, r, fmt.Errorf("train: %w", err)
		}
		fmt.Fprintf(log, "wrote %s and %s.json\n", cfg.Out, cfg.Out)
	}
	return m, r, nil
}

// trainRepeatWeight is the weight per visit of examples that must be
// learned (Example.Train).
const trainRepeatWeight = 10

// encoded is an example turned into bucket indices and dense values.
type encoded struct {
	idx    []uint32
	dense  []float32
	y      float32
	weight float32
}

// TrainExamples trains a model on in-memory examples.
func TrainExamples(cfg TrainConfig, exs []Example, log io.Writer) (*Model, Report, error) {
	cfg.defaults()
	rep := Report{Created: time.Now().UTC(), Config: cfg, Examples: len(exs)}
	if log == nil {
		log = io.Discard
	}
	if cfg.Dense == nil && !cfg.NoLexicon {
		if err := WithLexicon(&cfg); err != nil {
			return nil, rep, fmt.Errorf("train: %w", err)
		}
		rep.Config = cfg
	}
	m := &Model{
		Buckets:    1 << cfg.Bits,
		Seed:       uint32(cfg.Seed) ^ uint32(cfg.Seed>>32),
		Threshold:  float32(cfg.Threshold),
		DenseNames: append(append([]string(nil), builtinDense...), cfg.DenseNames...),
	}
	m.W = make([]float32, m.Buckets)
	m.DenseW = make([]float32, len(m.DenseNames))
	m.dense = cfg.Dense

	var train, valid []encoded
	var npos, nneg float64
	var s Scratch
	var norm []byte
	for _, e := range exs {
		norm = cfg.Normalize(norm[:0], e.Text)
		enc := m.encode(norm, &s)
		if e.Positive {
			enc.y = 1
		}
		enc.weight = float32(e.Weight)
		if enc.weight == 0 {
			enc.weight = 1
		}
		if !e.Train && inValid(e.Group, cfg.Seed, cfg.Valid) {
			valid = append(valid, enc)
			continue
		}
		// AdaGrad's step hardly grows with an example's weight: a heavy
		// example is visited as often as its weight is many times the
		// weight of a hand-made file's rows, so that it moves the model.
		reps := 1
		if e.Train {
			reps = max(1, int(enc.weight/trainRepeatWeight))
			enc.weight /= float32(reps)
		}
		for range reps {
			train = append(train, enc)
		}
		if e.Positive {
			npos += float64(enc.weight)
		} else {
			nneg += float64(enc.weight)
		}
	}
	if npos == 0 || nneg == 0 {
		return nil, rep, ErrNoData
	}
	pw := float32(cfg.PositiveWeight)
	if pw <= 0 {
		pw = float32(nneg / npos)
	}
	for _, set := range [][]encoded{train, valid} {
		for i := range set {
			if set[i].y == 1 {
				set[i].weight *= pw
			}
		}
	}

	g2 := make([]float32, m.Buckets)
	g2d := make([]float32, len(m.DenseW))
	var g2b float32
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	order := make([]int, len(train))
	for i := range order {
		order[i] = i
	}
	best := &Model{}
	bestLoss := math.Inf(1)
	lr, l2 := float32(cfg.LearningRate), float32(cfg.L2)
	const eps = 1e-8
	since := 0
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		rep.Epochs = epoch
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, k := range order {
			e := &train[k]
			p := sigmoid(m.logitEncoded(e))
			g := (p - e.y) * e.weight
			scale := featScale(len(e.idx))
			for _, j := range e.idx {
				gj := g*scale + l2*m.W[j]
				g2[j] += gj * gj
				m.W[j] -= lr * gj / float32(math.Sqrt(float64(g2[j])+eps))
			}
			for j, v := range e.dense {
				if v == 0 {
					continue
				}
				gj := g*v + l2*m.DenseW[j]
				g2d[j] += gj * gj
				m.DenseW[j] -= lr * gj / float32(math.Sqrt(float64(g2d[j])+eps))
			}
			g2b += g * g
			m.Bias -= lr * g / float32(math.Sqrt(float64(g2b)+eps))
		}
		loss := m.loss(valid)
		if len(valid) == 0 {
			loss = m.loss(train)
		}
		fmt.Fprintf(log, "epoch %d: validation loss %.4f\n", epoch, loss)
		if loss < bestLoss-1e-5 {
			bestLoss, since = loss, 0
			rep.BestEpoch = epoch
			best.copyFrom(m)
			continue
		}
		if since++; since >= cfg.Patience {
			break
		}
	}
	m.copyFrom(best)
	rep.ValidLoss = bestLoss
	if cfg.Calibrate > 1 {
		c, err := m.calibrate(cfg, exs)
		if err != nil {
			return nil, rep, err
		}
		rep.Calibration = &c
	}
	m.setKnown()
	for i := range valid {
		rep.Validation.Add(valid[i].y == 1, sigmoid(m.logitEncoded(&valid[i])) >= m.Threshold)
	}
	return m, rep, nil
}

// calibrate fits Platt scaling on the out-of-fold logits of exs, folds it
// into m's weights and sets m's threshold and abstain band from the
// out-of-fold precision. The inner folds hash with another seed than any
// outer cross-validation, or one of them would be empty.
func (m *Model) calibrate(cfg TrainConfig, exs []Example) (Calibration, error) {
	inner := cfg
	inner.Calibrate = 0
	inner.Seed = cfg.Seed + 0x9e37
	models, folds, err := FoldModels(inner, exs, cfg.Calibrate)
	if err != nil {
		return Calibration{}, fmt.Errorf("calibrate: %w", err)
	}
	z := make([]float64, len(exs))
	y := make([]bool, len(exs))
	bare := make([]bool, len(exs))
	var s Scratch
	var norm []byte
	labelled := map[string]bool{} // files with positives
	for i, e := range exs {
		norm = cfg.Normalize(norm[:0], e.Text)
		z[i] = float64(models[folds[i]].logit(norm, nil, &s))
		bare[i] = cfg.Bare != nil && cfg.Bare(s.dense[len(builtinDense):])
		y[i] = e.Positive
		if e.Positive {
			labelled[fileOf(e.Where)] = true
		}
	}
	hard := make([]bool, len(exs))
	for i, e := range exs {
		hard[i] = !labelled[fileOf(e.Where)]
	}
	a, b := plattFit(z, y)
	if a <= 0 {
		// A model no better than chance out of fold: keep its scores
		// and flag nothing on them.
		a, b = 1, 0
	}
	c := Calibration{Folds: cfg.Calibrate, A: a, B: b}
	p := make([]float32, len(z))
	for i := range z {
		p[i] = sigmoid(float32(a*z[i] + b))
	}
	c.Threshold = precisionThreshold(p, y, hard, cfg.TargetPrecision, cfg.MaxHardFPR)
	c.Abstain = min(precisionThreshold(p, y, hard, cfg.AbstainPrecision, cfg.MaxHardFPR+abstainHardFPR), c.Threshold)
	if cfg.Bare != nil {
		c.Bare = max(bareThreshold(p, y, hard, bare, cfg.TargetPrecision, cfg.MaxBareHardFPR), c.Threshold)
	}
	for i := range p {
		c.OutOfFold.Add(y[i], p[i] >= c.Threshold && (!bare[i] || p[i] >= c.Bare))
	}
	m.scaleLogit(float32(a), float32(b))
	m.Threshold, m.Abstain, m.Bare = c.Threshold, c.Abstain, c.Bare
	return c, nil
}

// bareThreshold is precisionThreshold among the texts without lexicon
// evidence (bare), with maxHardFPR a share of the bare hard negatives.
func bareThreshold(p []float32, y, hard, bare []bool, target, maxHardFPR float64) float32 {
	var bp []float32
	var by, bh []bool
	for i := range p {
		if bare[i] {
			bp, by, bh = append(bp, p[i]), append(by, y[i]), append(bh, hard[i])
		}
	}
	return precisionThreshold(bp, by, bh, target, maxHardFPR)
}

// scaleLogit makes the model's logit a·z + b: the weights are linear in
// it, so calibration costs nothing at scoring time.
func (m *Model) scaleLogit(a, b float32) {
	for i := range m.W {
		m.W[i] *= a
	}
	for i := range m.DenseW {
		m.DenseW[i] *= a
	}
	m.Bias = a*m.Bias + b
}

// plattFit returns a and b minimizing the log-loss of sigmoid(a·z+b)
// against y, with Platt's smoothed targets, by Newton's method.
func plattFit(z []float64, y []bool) (float64, float64) {
	var npos, nneg float64
	for _, v := range y {
		if v {
			npos++
		} else {
			nneg++
		}
	}
	hi, lo := (npos+1)/(npos+2), 1/(nneg+2)
	a, b := 1.0, 0.0
	for range 100 {
		var ga, gb, haa, hab, hbb float64
		for i, zi := range z {
			t := lo
			if y[i] {
				t = hi
			}
			p := 1 / (1 + math.Exp(-(a*zi + b)))
			d := p - t
			w := max(p*(1-p), 1e-12)
			ga += d * zi
			gb += d
			haa += w * zi * zi
			hab += w * zi
			hbb += w
		}
		haa += 1e-9
		hbb += 1e-9
		det := haa*hbb - hab*hab
		if det <= 0 {
			break
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		a -= da
		b -= db
		if math.Abs(da) < 1e-9 && math.Abs(db) < 1e-9 {
			break
		}
	}
	return a, b
}

// abstainHardFPR bounds the share of hard negatives the abstain band may
// send to review beside those flagged: analysts' time is the cost of the
// band.
const abstainHardFPR = 0.02

// fileOf returns the file of an Example.Where ("path:line").
func fileOf(where string) string {
	if j := strings.LastIndexByte(where, ':'); j >= 0 {
		return where[:j]
	}
	return where
}

// precisionThreshold returns the lowest score t such that the texts not
// hard scoring at least t have precision at least target and at most
// maxHardFPR of the hard ones score at least t: the most positives at that
// precision. It returns 1 when no cut reaches it.
func precisionThreshold(p []float32, y, hard []bool, target, maxHardFPR float64) float32 {
	idx := make([]int, len(p))
	nhard := 0
	for i := range idx {
		idx[i] = i
		if hard[i] {
			nhard++
		}
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(p[b], p[a]) })
	best := float32(1)
	tp, fp, hfp := 0, 0, 0
	for k, i := range idx {
		switch {
		case hard[i]:
			hfp++
		case y[i]:
			tp++
		default:
			fp++
		}
		// Cut only between distinct scores: equal scores go together.
		if k+1 < len(idx) && p[idx[k+1]] == p[i] {
			continue
		}
		if float64(hfp) > maxHardFPR*float64(nhard) {
			break
		}
		if tp > 0 && float64(tp) >= target*float64(tp+fp) {
			best = p[i]
		}
	}
	return best
}

func (m *Model) copyFrom(o *Model) {
	m.W = append(m.W[:0], o.W...)
	m.DenseW = append(m.DenseW[:0], o.DenseW...)
	m.Bias = o.Bias
}

// encode extracts the features of norm into a training example.
func (m *Model) encode(norm []byte, s *Scratch) encoded {
	extract(norm, m.Seed, s)
	m.denseFeatures(norm, nil, s)
	mask := m.Buckets - 1
	e := encoded{idx: make([]uint32, len(s.feats)), dense: append([]float32(nil), s.dense...)}
	for i, f := range s.feats {
		e.idx[i] = f.hash & mask
	}
	return e
}

func (m *Model) logitEncoded(e *encoded) float32 {
	z := m.Bias
	if len(e.idx) > 0 {
		var sum float32
		for _, j := range e.idx {
			sum += m.W[j]
		}
		z += sum * featScale(len(e.idx))
	}
	for j, v := range e.dense {
		z += v * m.DenseW[j]
	}
	return z
}

// loss is the weighted mean log-loss.
func (m *Model) loss(set []encoded) float64 {
	var sum, wsum float64
	for i := range set {
		p := float64(sigmoid(m.logitEncoded(&set[i])))
		p = min(max(p, 1e-7), 1-1e-7)
		l := -math.Log(1 - p)
		if set[i].y == 1 {
			l = -math.Log(p)
		}
		sum += l * float64(set[i].weight)
		wsum += float64(set[i].weight)
	}
	if wsum == 0 {
		return 0
	}
	return sum / wsum
}

// fold assigns a group to one of k folds, the same way for every run with
// one seed, so that an author's posts never straddle train and test.
func fold(group string, seed uint64, k int) int {
	return int(hashBytes(uint32(seed)^0x5bd1e995, []byte(group)) % uint32(k))
}

func inValid(group string, seed uint64, frac float64) bool {
	h := hashBytes(uint32(seed>>32)^0x27d4eb2f, []byte(group))
	return float64(h%10000) < frac*10000
}

// CrossValidate trains k models, each on k-1 folds of exs (split by
// Example.Group), and returns whether the model that did not see an example
// scored it at or above its threshold (its own: calibration picks one per
// model).
func CrossValidate(cfg TrainConfig, exs []Example, k int, log io.Writer) ([]bool, error) {
	if log == nil {
		log = io.Discard
	}
	cfg.defaults()
	models, folds, err := FoldModels(cfg, exs, k)
	if err != nil {
		return nil, err
	}
	flagged := make([]bool, len(exs))
	var norm []byte
	var s Scratch
	for i, e := range exs {
		norm = cfg.Normalize(norm[:0], e.Text)
		m := models[folds[i]]
		flagged[i] = m.Score(norm, &s) >= m.Threshold
	}
	fmt.Fprintf(log, "cross-validated %d examples in %d folds\n", len(exs), k)
	return flagged, nil
}

// Save writes the model to path and its provenance to path+".json".
func Save(path string, m *Model, rep Report) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	if _, err := m.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("save model: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("save model report: %w", err)
	}
	if err := os.WriteFile(path+".json", append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("save model report: %w", err)
	}
	return nil
}

// FoldModels trains k models, model f on every fold of exs but f (folds
// split by Example.Group), and returns them with each example's fold.
func FoldModels(cfg TrainConfig, exs []Example, k int) ([]*Model, []int, error) {
	if k < 2 {
		return nil, nil, fmt.Errorf("cross-validate: %d folds, need at least 2", k)
	}
	folds := make([]int, len(exs))
	for i, e := range exs {
		folds[i] = fold(e.Group, cfg.Seed, k)
	}
	models := make([]*Model, k)
	for f := range k {
		var train []Example
		for i, e := range exs {
			if folds[i] != f {
				train = append(train, e)
			}
		}
		m, _, err := TrainExamples(cfg, train, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("cross-validate fold %d: %w", f+1, err)
		}
		models[f] = m
	}
	return models, folds, nil
}
