package classifier

import (
	"bytes"
	"errors"
	"flag"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/cputime"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/shareddata"
)

var regenerate = flag.Bool("regenerate", false, "retrain the shipped model (model/raqib.model) from ../shared/data")

// TestRegenerateModel rebuilds the embedded model; it only runs with
// -regenerate.
func TestRegenerateModel(t *testing.T) {
	if !*regenerate {
		t.Skip("run with -regenerate to retrain the shipped model")
	}
	root := filepath.Dir(shareddata.Need(t, "alfifi-dev", "alfifi_dev.csv"))
	cfg := ShippedConfig(filepath.Dir(root), "testdata")
	cfg.Normalize = arabic.AppendNormalize
	cfg.Folds = 5
	m, rep, err := Train(cfg, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	// Provenance names files as the repository sees them, not by this
	// machine's absolute paths.
	rel := func(p string) string { return strings.Replace(p, filepath.Dir(root), "../shared/data", 1) }
	for i := range rep.Files {
		rep.Files[i].Path = rel(rep.Files[i].Path)
	}
	for i := range rep.Config.Data {
		rep.Config.Data[i].Path = rel(rep.Config.Data[i].Path)
	}
	cv := make(map[string]Metrics)
	for k, v := range rep.CV {
		cv[rel(k)] = v
	}
	rep.CV = cv
	if err := Save(DefaultModelPath, m, rep); err != nil {
		t.Fatal(err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// tinyCSV is hand-made: supporter-voice lines (positive) against news and
// chit-chat lines (negative).
const tinyCSV = `id,label,text
1,ISIS,جنود الخلافة يتقدمون بفضل الله والدولة الإسلامية باقية وتتمدد
2,ISIS,تقبل الله الاستشهادي من جنود الخلافة في ولاية سيناء
3,ISIS,باقية وتتمدد رغم أنف الرافضة والصليبيين
4,ISIS,أسود الخلافة يدكون حصون المرتدين بفضل الله
5,ISIS,الدولة الإسلامية باقية والخلافة قائمة بإذن الله
6,ISIS,نصر الله جنود الخلافة على الطواغيت
7,NOT,قال مصدر أمني إن تنظيم داعش هاجم نقطة تفتيش
8,NOT,عاجل | مقتل جنود في هجوم لداعش شمال بغداد
9,NOT,مباراة الهلال والنصر اليوم في الرياض
10,NOT,أفادت وكالة الأنباء بأن القوات أحبطت هجوما لداعش
11,NOT,تابعني أتابعك رتويت فولو باك
12,NOT,الجو جميل اليوم والقهوة لذيذة
`

func tinyConfig() TrainConfig {
	return TrainConfig{Seed: 7, Bits: 12, Epochs: 40, Patience: 40, Valid: 0.01, Normalize: arabic.AppendNormalize}
}

func TestTrainTiny(t *testing.T) {
	exs, err := Decode(strings.NewReader(tinyCSV), DataFile{Path: "tiny.csv", Format: FormatAlfifi}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m1, _, err := TrainExamples(tinyConfig(), exs, nil)
	if err != nil {
		t.Fatal(err)
	}
	m2, _, err := TrainExamples(tinyConfig(), exs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m1.W, m2.W) || m1.Bias != m2.Bias {
		t.Error("same data and seed gave different weights")
	}
	var s Scratch
	for _, e := range exs {
		t.Run(e.Where, func(t *testing.T) {
			got := m1.Score(arabic.AppendNormalize(nil, e.Text), &s)
			if (got >= 0.5) != e.Positive {
				t.Errorf("score %.3f for %q, positive=%v", got, e.Text, e.Positive)
			}
		})
	}
	var buf bytes.Buffer
	if _, err := m1.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	m3, err := Read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m1.W, m3.W) || m1.Threshold != m3.Threshold || !slices.Equal(m1.DenseNames, m3.DenseNames) {
		t.Error("model changed in a write/read round trip")
	}
	b := buf.Bytes()
	b[len(b)/2] ^= 1
	if _, err := Read(b); err == nil {
		t.Error("Read accepted a corrupted model")
	}
}

func TestExplainAndSignal(t *testing.T) {
	exs, _ := Decode(strings.NewReader(tinyCSV), DataFile{Path: "tiny.csv", Format: FormatAlfifi}, nil)
	m, _, err := TrainExamples(tinyConfig(), exs, nil)
	if err != nil {
		t.Fatal(err)
	}
	norm := []byte(arabic.Normalize("جنود الخلافة باقية وتتمدد"))
	sig := m.Signal(norm, nil, &Scratch{})
	if sig.Label != "propaganda" || len(sig.Spans) == 0 {
		t.Fatalf("signal %+v", sig)
	}
	for _, sp := range sig.Spans {
		if string(norm[sp.Start:sp.End]) != sp.Text || !strings.HasPrefix(sp.Why, "n-gram weight ") {
			t.Errorf("span %+v does not match the text", sp)
		}
	}
	// The signal's spans are Explain's word contributions, in its order.
	_, top := m.Explain(norm, nil, &Scratch{}, explainTop)
	var words []Contribution
	for _, c := range top {
		if c.Start >= 0 {
			words = append(words, c)
		}
	}
	if len(words) != len(sig.Spans) {
		t.Fatalf("%d spans, %d word contributions", len(sig.Spans), len(words))
	}
	for i, c := range words {
		if sp := sig.Spans[i]; sp.Start != c.Start || sp.End != c.End || sp.Text != c.Text {
			t.Errorf("span %d %+v, contribution %+v", i, sp, c)
		}
	}
	if strings.Contains(sig.Explanation, "n-gram weight") {
		t.Errorf("explanation %q runs into the spans' reasons", sig.Explanation)
	}
	if !strings.Contains(sig.Explanation, arabic.Normalize("الخلافة")) {
		t.Errorf("explanation %q does not name the strongest word", sig.Explanation)
	}
}

func TestDetector(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	d := NewDetector(m)
	tests := []struct {
		name, text string
		want       int
	}{
		{"supporter", "بفضل الله تعالى تمكن جنود الخلافة من تفجير عبوة ناسفة على آلية للمرتدين ولله الحمد", 1},
		{"chit-chat", "مباراة الهلال والنصر اليوم في الرياض والجو جميل", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &post.Post{Kind: post.Message, Text: tt.text, Norm: arabic.Normalize(tt.text)}
			out, err := d.Detect(p, nil, nil)
			if err != nil || len(out) != tt.want {
				t.Fatalf("got %+v, %v; want %d signals", out, err, tt.want)
			}
			if tt.want == 1 && (out[0].Detector != "classifier" || out[0].Label != post.Propaganda || out[0].Explanation == "") {
				t.Errorf("signal %+v", out[0])
			}
		})
	}
}

func TestQuotedNamespace(t *testing.T) {
	var a, b Scratch
	extract([]byte("الدولة الاسلامية"), 1, &a)
	extract([]byte(`"الدولة الاسلامية"`), 1, &b)
	if len(a.feats) != len(b.feats) || a.feats[0].hash == b.feats[0].hash || !b.quoted || a.quoted {
		t.Errorf("quoted text should hash apart: %d vs %d features", len(a.feats), len(b.feats))
	}
}

func TestScoreAllocs(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	norm := []byte(arabic.Normalize("بفضل الله تعالى تمكن جنود الخلافة من تفجير عبوة ناسفة على آلية للمرتدين ولله الحمد"))
	var s Scratch
	m.Score(norm, &s)
	if n := testing.AllocsPerRun(100, func() { m.Score(norm, &s) }); n != 0 {
		t.Errorf("Score allocates %v times per post", n)
	}
}

func TestLoadBadRows(t *testing.T) {
	tests := []struct {
		name    string
		df      DataFile
		in      string
		rows    int
		bad     []int // lines reported
		wantPos int
	}{
		{"csv", DataFile{Path: "a.csv", Format: FormatCSV, Positive: []string{"pro"}}, "id,label,text\n1,pro,نص\n2,con\n3,con,نص آخر\n4,PRO,\"\"\n", 2, []int{3, 5}, 1},
		{"astd", DataFile{Path: "t.txt", Format: FormatASTD}, "نص\tOBJ\nبلا تسمية\n\n\tNEG\n", 1, []int{2, 4}, 0},
		{"osact", DataFile{Path: "o.txt", Format: FormatOSACT}, "1\tنص\tOFF\n2\tنص\n", 1, []int{2}, 0},
		{"text", DataFile{Path: "p.txt", Format: FormatText}, "# hand-made\nفقرة أولى\nتكملة\n\nفقرة ثانية\n", 2, nil, 0},
		{"lines", DataFile{Path: "l.txt", Format: FormatLines}, "# hand-made\nجملة أولى\n\n# comment\nجملة ثانية\n", 2, nil, 0},
		{"decisions", DataFile{Path: "d.csv", Format: FormatDecisions},
			"id,author,decision,label,reason,text\nx:1,a,confirmed,propaganda,claim,نص\nx:2,a,dismissed,,news,نص آخر\nx:3,b,maybe,,,نص\nx:4,b,DISMISSED,,,\"\"\n", 2, []int{4, 5}, 1},
		{"decisions without the text column", DataFile{Path: "d.csv", Format: FormatDecisions}, "id,author,decision\nx:1,a,confirmed\n", 0, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines []int
			exs, err := Decode(strings.NewReader(tt.in), tt.df, func(e *RowError) {
				if e.File != tt.df.Path {
					t.Errorf("error names file %q", e.File)
				}
				lines = append(lines, e.Line)
			})
			if err != nil {
				if tt.rows == 0 && errors.Is(err, ErrNoColumn) {
					return
				}
				t.Fatal(err)
			}
			pos := 0
			for _, e := range exs {
				if e.Positive {
					pos++
				}
			}
			if len(exs) != tt.rows || pos != tt.wantPos || !slices.Equal(lines, tt.bad) {
				t.Errorf("got %d rows (%d positive), bad lines %v; want %d (%d), %v", len(exs), pos, lines, tt.rows, tt.wantPos, tt.bad)
			}
		})
	}
}

func TestParseDataFlag(t *testing.T) {
	tests := []struct {
		in   string
		want Format
		err  bool
	}{
		{"text:/x/a.md", FormatText, false},
		{"/d/alfifi_dev.csv", FormatAlfifi, false},
		{"/d/Tweets.txt", FormatASTD, false},
		{"OSACT2022-sharedTask-train.txt", FormatOSACT, false},
		{"mine.csv", FormatCSV, false},
		{"seed.txt", FormatText, false},
		{"/x/decisions-2026-12.csv", FormatDecisions, false},
		{"lines:/x/counter.txt", FormatLines, false},
		{"data.bin", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			df, err := ParseDataFlag(tt.in)
			if (err != nil) != tt.err || df.Format != tt.want {
				t.Errorf("got %+v, %v", df, err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("id,label,text\n1,ISIS,\"a\"\"b\"\n", 0)
	f.Add("نص\tOBJ\n\t\n", 1)
	f.Add("1\tنص\tOFF\tNOT_HS\n", 2)
	f.Add("# x\n\nفقرة\n\n\n", 3)
	f.Add("id,label,text\n\"unterminated,ISIS,x\n2,ISIS,y\n", 0)
	f.Add("# x\nسطر\n\n#\n", 4)
	f.Add("id,author,decision,label,reason,text\n1,a,confirmed,propaganda,,نص\n2,,dismissed,,,\"x\"\"\n", 5)
	f.Fuzz(func(t *testing.T, in string, k int) {
		formats := []Format{FormatAlfifi, FormatASTD, FormatOSACT, FormatText, FormatLines, FormatDecisions}
		df := DataFile{Path: "fuzz", Format: formats[uint(k)%uint(len(formats))]}
		exs, _ := Decode(strings.NewReader(in), df, func(e *RowError) {
			if e.Line < 0 {
				t.Errorf("negative line %d", e.Line)
			}
		})
		for _, e := range exs {
			if strings.TrimSpace(e.Text) == "" {
				t.Error("empty example text")
			}
		}
	})
}

func FuzzRead(f *testing.F) {
	exs, _ := Decode(strings.NewReader(tinyCSV), DataFile{Path: "tiny.csv", Format: FormatAlfifi}, nil)
	cfg := tinyConfig()
	cfg.Bits = 4
	cfg.Epochs = 1
	m, _, _ := TrainExamples(cfg, exs, nil)
	var buf bytes.Buffer
	m.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte("RQBC"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Read(b)
		if err == nil && len(m.W) != int(m.Buckets) {
			t.Errorf("%d weights for %d buckets", len(m.W), m.Buckets)
		}
	})
}

// BenchmarkScore scores real Arabic tweets; like BenchmarkStack it reports
// CPU time per post, which a shared machine does not inflate the way it
// does ns/op.
func BenchmarkScore(b *testing.B) {
	path := shareddata.Need(b, "alfifi-dev", "alfifi_dev.csv")
	exs, err := Load(DataFile{Path: path, Format: FormatAlfifi}, nil)
	if err != nil {
		b.Fatal(err)
	}
	m, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	norms := make([][]byte, len(exs))
	for i, e := range exs {
		norms[i] = []byte(arabic.Normalize(e.Text))
	}
	var s Scratch
	b.ReportAllocs()
	cpu := cputime.Start()
	for i := 0; b.Loop(); i++ {
		m.Score(norms[i%len(norms)], &s)
	}
	cpu.Report(b, "posts")
}
