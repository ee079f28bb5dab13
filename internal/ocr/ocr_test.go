package ocr

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/detect/classifier"
	"github.com/raqib-project/raqib/internal/detect/lexicon"
	"github.com/raqib-project/raqib/internal/ocr/ocrtest"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/rules"
)

func needTesseract(t testing.TB) {
	t.Helper()
	if !Available() {
		t.Skip("tesseract is not on PATH; install tesseract-ocr and tesseract-ocr-ara to run the OCR tests")
	}
}

func stack(t testing.TB) *rules.Stack {
	t.Helper()
	lex, err := lexicon.NewHolder("")
	if err != nil {
		t.Fatal(err)
	}
	m, err := classifier.Default()
	if err != nil {
		t.Fatal(err)
	}
	s, err := rules.NewStack(rules.StackConfig{Lexicon: lex, Model: m})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFixtures reads the hand-made PNG fixtures (testdata/README.md) and
// runs their text through the stack: the claim is flagged with its spans
// boxed inside the image, the news and the counter-speech are not.
func TestFixtures(t *testing.T) {
	needTesseract(t)
	st := stack(t)
	var r Reader
	tests := []struct {
		file, want string
		violating  bool
	}{
		{"claim.png", "تمكن جنود الخلافة", true},
		{"news.png", "القوات الأمنية تحبط", false},
		{"counter.png", "فلا تصدقوهم", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			res, err := r.Image(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(res.Text, tt.want) {
				t.Fatalf("read %q, want it to contain %q", res.Text, tt.want)
			}
			p := Post(res, path)
			st.Check(&p, nil)
			if p.Decision.Violating != tt.violating {
				t.Fatalf("violating %v (%s, %v), want %v", p.Decision.Violating, p.Decision.Label, p.Decision.Reasons, tt.violating)
			}
			sig := Signal(&res, &p)
			if sig.Detector != Detector || sig.Label != p.Decision.Label {
				t.Errorf("signal %+v", sig)
			}
			if p.Media[0].Hash("ocr_text") == "" {
				t.Error("no OCR-text hash on the media")
			}
			if !tt.violating {
				return
			}
			if len(sig.Spans) == 0 {
				t.Fatalf("flagged without boxed spans: %+v", sig)
			}
			for _, sp := range sig.Spans {
				for _, b := range sp.Boxes {
					if b.W <= 0 || b.H <= 0 || b.X < 0 || b.Y < 0 || b.X+b.W > 800 || b.Y+b.H > 160 {
						t.Errorf("span %q box %+v outside the 800x160 image", sp.Text, b)
					}
				}
			}
		})
	}
}

// renderedLines are hand-made sentences of the styles the issue names:
// claim cards, news, everyday text, mixed Arabic and English.
var renderedLines = []string{
	"بفضل الله تعالى تمكن جنود الخلافة من تدمير آلية",
	"قال مصدر أمني إن القوات أحبطت هجوما في المدينة",
	"صباح الخير يا أصدقاء، الجو جميل اليوم",
	"اللهم اشف مرضانا ومرضى المسلمين",
	"مباراة الهلال والنصر مساء الخميس في الرياض",
	"ادعموا المجاهدين عبر المحفظة",
}

// TestRenderedAccuracy renders hand-made sentences with chromium, reads
// them back and reports the character accuracy and time per image; it
// fails below 90% accuracy.
func TestRenderedAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("renders images with chromium")
	}
	needTesseract(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "lines.png")
	ocrtest.Render(t, img, 900, 60+48*len(renderedLines), renderedLines)
	var r Reader
	start := time.Now()
	res, err := r.Image(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	truth := arabic.Normalize(strings.Join(renderedLines, "\n"))
	acc := CharAccuracy(truth, res.Norm)
	t.Logf("character accuracy %.3f, %d ms for a %d-line image; read:\n%s", acc, elapsed.Milliseconds(), len(renderedLines), res.Text)
	if acc < 0.9 {
		t.Errorf("character accuracy %.3f, want >= 0.9", acc)
	}
	if len(res.Words) < 20 {
		t.Errorf("%d words read", len(res.Words))
	}
}

// TestVideoKeyframes builds a short video from two fixture images with
// ffmpeg and reads the text of both keyframes, each word at its place in
// the normalized text.
func TestVideoKeyframes(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes a video")
	}
	needTesseract(t)
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not on PATH; install it to run the video OCR test")
	}
	video := filepath.Join(t.TempDir(), "clip.mp4")
	cmd := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error",
		"-loop", "1", "-t", "1", "-i", "testdata/news.png", "-loop", "1", "-t", "1", "-i", "testdata/claim.png",
		"-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-r", "5", "-g", "5", "-pix_fmt", "yuv420p", video)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	var r Reader
	res, err := r.Read(context.Background(), video)
	if err != nil {
		t.Fatal(err)
	}
	// Tesseract's layout analysis drops a line of a compressed frame now
	// and then; one line of each keyframe must be there.
	if !strings.Contains(res.Text, "القوات الأمنية") || !strings.Contains(res.Text, "للجيش الصفوي") {
		t.Fatalf("video text %q lacks a keyframe's text", res.Text)
	}
	frames := map[int]bool{}
	for _, w := range res.Words {
		frames[w.Box.Frame] = true
		if res.Norm[w.Start:w.End] != arabic.Normalize(w.Text) {
			t.Errorf("word %q at %d:%d of Norm reads %q", w.Text, w.Start, w.End, res.Norm[w.Start:w.End])
		}
	}
	if len(frames) < 2 {
		t.Errorf("words from %d keyframes, want 2", len(frames))
	}
	if p := Post(res, video); p.Media[0].Kind != "video" {
		t.Errorf("media kind %q", p.Media[0].Kind)
	}
}

func TestParseTSV(t *testing.T) {
	in := "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n" +
		"4\t1\t1\t1\t1\t0\t10\t10\t300\t40\t-1\t\n" +
		"5\t1\t1\t1\t1\t1\t200\t10\t100\t40\t95.1\tجنودُ\n" +
		"5\t1\t1\t1\t1\t2\t90\t12\t100\t38\t91\tالخلافة\n" +
		"5\t1\t1\t1\t1\t3\t5\t12\t10\t10\t12\t~\n" +
		"5\t1\t1\t1\t2\t1\t150\t60\t150\t40\t88\tباقية\n"
	var res Result
	if err := parseTSV([]byte(in), 0, &res); err != nil {
		t.Fatal(err)
	}
	if res.Text != "جنودُ الخلافة\nباقية" || res.Norm != "جنود الخلافه\nباقيه" || len(res.Words) != 3 {
		t.Fatalf("text %q norm %q words %+v", res.Text, res.Norm, res.Words)
	}
	boxes := res.Boxes(0, len("جنود الخلافه"))
	if len(boxes) != 1 || boxes[0] != (post.Box{X: 90, Y: 10, W: 210, H: 40}) {
		t.Errorf("boxes of the first line %+v", boxes)
	}
	for _, bad := range []string{"5\t1\t1\n", "5\t1\t1\t1\t1\t1\tx\t0\t1\t1\t90\tنص\n", "5\t1\t1\t1\t1\t1\t0\t0\t1\t1\tconf\tنص\n"} {
		if err := parseTSV([]byte(bad), 0, &Result{}); err == nil {
			t.Errorf("parseTSV accepted %q", bad)
		}
	}
}

func FuzzParseTSV(f *testing.F) {
	f.Add("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n5\t1\t1\t1\t1\t1\t0\t0\t5\t5\t90\tنص\n")
	f.Add("5\t1\t1\t1\t1\t1\t-3\t0\t5\t5\t90.5\tword\n5\t1\t1\t1\t2\t1\t0\t9\t5\t5\t40\tسطر\n")
	f.Add("\n\t\t\n")
	f.Fuzz(func(t *testing.T, in string) {
		var res Result
		if err := parseTSV([]byte(in), 0, &res); err != nil {
			return
		}
		for _, w := range res.Words {
			if w.Start < 0 || w.End > len(res.Norm) || w.Start > w.End {
				t.Fatalf("word %+v outside Norm of %d bytes", w, len(res.Norm))
			}
		}
	})
}

func TestCharAccuracy(t *testing.T) {
	tests := []struct {
		truth, got string
		want       float64
	}{
		{"abcd", "abcd", 1},
		{"abcd", "abed", 0.75},
		{"abcd", "", 0},
		{"", "", 1},
		{"جنود", "جنو", 0.75},
	}
	for _, tt := range tests {
		if got := CharAccuracy(tt.truth, tt.got); got != tt.want {
			t.Errorf("CharAccuracy(%q, %q) = %v, want %v", tt.truth, tt.got, got, tt.want)
		}
	}
}

// BenchmarkImage reads a fixture: images per second of one Tesseract
// process at a time (OMP_THREAD_LIMIT=1).
func BenchmarkImage(b *testing.B) {
	needTesseract(b)
	var r Reader
	for b.Loop() {
		if _, err := r.Image(context.Background(), "testdata/claim.png"); err != nil {
			b.Fatal(err)
		}
	}
}
