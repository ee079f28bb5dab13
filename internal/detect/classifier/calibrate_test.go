package classifier

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/arabic"
)

// TestPlattFit draws labels from a known sigmoid(a·z+b) and checks that
// the fit recovers it.
func TestPlattFit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const a, b = 2.0, -1.0
	z := make([]float64, 20000)
	y := make([]bool, len(z))
	for i := range z {
		z[i] = rng.NormFloat64() * 2
		y[i] = rng.Float64() < 1/(1+math.Exp(-(a*z[i]+b)))
	}
	ga, gb := plattFit(z, y)
	if math.Abs(ga-a) > 0.15 || math.Abs(gb-b) > 0.15 {
		t.Errorf("fit a=%.3f b=%.3f, want %.1f %.1f", ga, gb, a, b)
	}
}

func TestPrecisionThreshold(t *testing.T) {
	p := []float32{0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3}
	y := []bool{true, true, false, true, true, false, false}
	none := make([]bool, len(p))
	tests := []struct {
		name   string
		hard   []bool
		target float64
		fpr    float64
		want   float32
	}{
		{"perfect precision stops before the first negative", none, 1, 1, 0.8},
		{"0.8 precision reaches the last positive", none, 0.8, 1, 0.5},
		{"unreachable precision flags nothing", []bool{false, false, false, false, false, false, false}, 1.01, 1, 1},
		// Row 0.7 is a hard negative: it counts against the false-positive
		// bound, not against precision.
		{"hard negatives bound the cut", []bool{false, false, true, false, false, false, false}, 0.97, 0, 0.8},
		{"hard negatives allowed", []bool{false, false, true, false, false, false, false}, 0.97, 1, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := precisionThreshold(p, y, tt.hard, tt.target, tt.fpr); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCalibratedTraining trains with calibration on the tiny set and checks
// that scores stay ordered, the thresholds are probabilities and survive a
// write/read round trip.
func TestCalibratedTraining(t *testing.T) {
	exs, err := Decode(strings.NewReader(tinyCSV), DataFile{Path: "tiny.csv", Format: FormatAlfifi}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig()
	m0, _, err := TrainExamples(cfg, exs, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Calibrate = 3
	m, rep, err := TrainExamples(cfg, exs, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Calibration
	if c == nil || c.A <= 0 || m.Threshold <= 0 || m.Threshold > 1 || m.Abstain > m.Threshold {
		t.Fatalf("calibration %+v, threshold %v abstain %v", c, m.Threshold, m.Abstain)
	}
	// Platt scaling is monotone: the ranking of the uncalibrated model
	// is kept.
	var s Scratch
	norm := func(i int) []byte { return arabic.AppendNormalize(nil, exs[i].Text) }
	for i := range exs {
		for j := range exs {
			a0, b0 := m0.Score(norm(i), &s), m0.Score(norm(j), &s)
			a1, b1 := m.Score(norm(i), &s), m.Score(norm(j), &s)
			if a0 > b0 && a1 < b1 {
				t.Errorf("rows %d and %d swap order after calibration", i, j)
			}
		}
	}
	var buf bytes.Buffer
	m.WriteTo(&buf)
	r, err := Read(buf.Bytes())
	if err != nil || r.Abstain != m.Abstain || r.Threshold != m.Threshold || r.Bare != m.Bare {
		t.Errorf("round trip: %v, abstain %v threshold %v bare %v", err, r.Abstain, r.Threshold, r.Bare)
	}
}

// TestBareThreshold checks that the texts without lexicon evidence get a
// bar of their own, picked among them alone, and that calibration never
// puts it below the threshold.
func TestBareThreshold(t *testing.T) {
	p := []float32{0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2}
	y := []bool{true, false, true, true, false, false, false, false}
	hard := []bool{false, true, false, false, true, true, false, false}
	bare := []bool{false, true, true, true, true, true, false, false}
	tests := []struct {
		name string
		fpr  float64
		want float32
	}{
		// The bare hard negatives are 0.8, 0.5 and 0.4: the one at 0.8 is
		// a third of them; the unbare row at 0.9 plays no part.
		{"no bare hard negative allowed flags nothing bare", 0, 1},
		{"a third of them reaches the bare positives", 0.34, 0.6},
		{"two thirds of them lower the bar", 0.67, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bareThreshold(p, y, hard, bare, 0.97, tt.fpr); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	exs, err := Decode(strings.NewReader(tinyCSV), DataFile{Path: "tiny.csv", Format: FormatAlfifi}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig()
	cfg.Calibrate = 3
	if err := WithLexicon(&cfg); err != nil {
		t.Fatal(err)
	}
	m, rep, err := TrainExamples(cfg, exs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Bare < m.Threshold || m.Bare > 1 || rep.Calibration.Bare != m.Bare {
		t.Errorf("bare %v, threshold %v, calibration %+v", m.Bare, m.Threshold, rep.Calibration)
	}
}

// TestReadVersion1 reads a model in the format before the abstain band
// and the bar for text without evidence.
func TestReadVersion1(t *testing.T) {
	le := binary.LittleEndian
	b := []byte(magic)
	for _, v := range []uint32{1, 4, 7, math.Float32bits(0.5), math.Float32bits(0.3), 2} {
		b = le.AppendUint32(b, v)
	}
	for _, n := range builtinDense {
		b = le.AppendUint16(b, uint16(len(n)))
		b = append(b, n...)
		b = le.AppendUint32(b, math.Float32bits(1))
	}
	for range 4 {
		b = le.AppendUint32(b, math.Float32bits(0.25))
	}
	b = le.AppendUint32(b, crc32.ChecksumIEEE(b))
	m, err := Read(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Threshold != 0.3 || m.Abstain != 0 || m.Bare != 0 || len(m.W) != 4 {
		t.Errorf("read %+v", m)
	}
}

// TestFamiliar checks that the shipped model knows the n-grams of an
// Arabic supporter post and not those of English small talk.
func TestFamiliar(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var s Scratch
	m.Score([]byte(arabic.Normalize("الدولة الإسلامية باقية وتتمدد رغم أنف الرافضة")), &s)
	known := m.Familiar(&s)
	m.Score([]byte(arabic.Normalize("The weather is nice today")), &s)
	unknown := m.Familiar(&s)
	// The rules ask for half of a post's n-grams to be familiar when it
	// has no lexicon evidence (rules.minFamiliar).
	if known < 0.55 || unknown >= 0.5 || known-unknown < 0.2 {
		t.Errorf("familiar: supporter post %.2f, small talk %.2f", known, unknown)
	}
}
