package rules

import (
	"reflect"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/cputime"
	"github.com/raqib-project/raqib/internal/detect/classifier"
	"github.com/raqib-project/raqib/internal/detect/lexicon"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/shareddata"
)

func TestStackFillsNorm(t *testing.T) {
	p := mkPost("n", "الدولةُ الإسلاميةُ")
	p.Title = "عنوان"
	newStack(t).Check(p, nil)
	if p.Norm == "" {
		t.Fatal("Check left Norm empty")
	}
}

func TestNewStackErrors(t *testing.T) {
	if _, err := NewStack(StackConfig{}); err == nil {
		t.Error("NewStack without a lexicon succeeded")
	}
	newStack(t) // loads the shared lexicon and model
	if _, err := NewStack(StackConfig{Lexicon: lexHolder, Model: &classifier.Model{DenseNames: []string{"quoted_text", "news_bar", "other"}}}); err == nil {
		t.Error("NewStack accepted a model trained on other dense features")
	}
}

// BenchmarkStack runs normalize, lexicon, classifier and rules over real
// Arabic tweets (the Alfifi development set, half of it propaganda). The
// target is per core, and the machines it runs on are shared, so beside
// ns/op it reports the process's CPU time per post and the posts per second
// one core does (see cputime).
func BenchmarkStack(b *testing.B) {
	posts := devPosts(b)
	s := newStack(b)
	b.ReportAllocs()
	cpu := cputime.Start()
	// One post reused: a fresh copy escaped to the heap per check, which
	// counted the benchmark's allocation (an 850-byte post.Post) as the
	// stack's.
	var p post.Post
	for i := 0; b.Loop(); i++ {
		p = posts[i%len(posts)]
		s.Check(&p, nil)
	}
	cpu.Report(b, "posts")
}

// devPosts returns the tweets of the Alfifi development set as posts, each
// with its line in the file as ID, digits as X's ids are; it skips tb
// without the shared data.
func devPosts(tb testing.TB) []post.Post {
	path := shareddata.Need(tb, "alfifi-dev", "alfifi_dev.csv")
	exs, err := classifier.Load(classifier.DataFile{Path: path, Format: classifier.FormatAlfifi}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	posts := make([]post.Post, len(exs))
	for i, e := range exs {
		line := e.Where[strings.LastIndexByte(e.Where, ':')+1:]
		posts[i] = post.Post{Platform: post.X, ID: line, Kind: post.Message, Text: e.Text}
	}
	return posts
}

func TestStackConcurrent(t *testing.T) {
	s := newStack(t)
	texts := []string{"الدولة الإسلامية باقية وتتمدد رغم أنف الرافضة", "عاجل | قال مصدر أمني إن تنظيم داعش هاجم نقطة تفتيش", Canary}
	want := make([]post.Decision, len(texts))
	for i, txt := range texts {
		p := mkPost("w", txt)
		s.Check(p, nil)
		want[i] = p.Decision
	}
	done := make(chan bool)
	for g := range 4 {
		go func() {
			ok := true
			for i := range 50 {
				k := (g + i) % len(texts)
				p := mkPost("w", texts[k])
				s.Check(p, nil)
				v := p.Decision
				ok = ok && v.Label == want[k].Label && v.Violating == want[k].Violating
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("concurrent checks disagree with sequential ones")
		}
	}
}

// TestStackExplains checks that a flagged post's verdict carries the
// lexicon's own signals, as its Detector makes them in a pass of its own,
// and classifier spans pointing into Norm: the stack reuses its hits
// instead of matching again, and the UI highlights the spans. The posts are
// hand-made.
func TestStackExplains(t *testing.T) {
	s := newStack(t)
	lexDet := lexicon.NewDetector(lexHolder)
	tests := []struct{ name, text string }{
		{"official claim", "بفضل الله تعالى تمكن جنود الخلافة من تفجير عبوة ناسفة على آلية للمرتدين ولله الحمد"},
		{"financing", "جهزوا غزاة في سبيل الله، للتبرع بعملة مونيرو راسلوا المشرف"},
		{"quoted and repeated", "الدولة الإسلامية باقية وتتمدد، \"باقية\" رغم أنف الرافضة، الدولة الإسلامية"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mkPost(tt.name, tt.text)
			s.Check(p, nil)
			if !p.Decision.Violating {
				t.Fatalf("not flagged: %+v", p.Decision)
			}
			want, err := lexDet.Detect(p, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []post.Signal
			classifierSpans := 0
			for _, sig := range p.Signals {
				switch sig.Detector {
				case "lexicon":
					got = append(got, sig)
				case "classifier":
					for _, sp := range sig.Spans {
						if p.Norm[sp.Start:sp.End] != sp.Text || sp.Why == "" {
							t.Errorf("classifier span %+v does not point into Norm", sp)
						}
						classifierSpans++
					}
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("stack's lexicon signals\n%+v\ndiffer from the detector's\n%+v", got, want)
			}
			if len(got) == 0 || len(got[0].Spans) == 0 {
				t.Errorf("no lexicon spans: %+v", got)
			}
			if classifierSpans == 0 {
				t.Errorf("no classifier spans in %+v", p.Signals)
			}
		})
	}
}

func TestHasWords(t *testing.T) {
	for _, tt := range []struct {
		norm string
		n    int
		want bool
	}{
		{"", 1, false},
		{"", 0, true},
		{"واحد", 1, true},
		{"a b c", 4, false},
		{"a b c d", 4, true},
		{"  a \n b\tc\rd  ", 4, true},
		{"a  b   c ", 4, false},
	} {
		if got := hasWords(tt.norm, tt.n); got != tt.want {
			t.Errorf("hasWords(%q, %d) = %v, want %v", tt.norm, tt.n, got, tt.want)
		}
	}
}
