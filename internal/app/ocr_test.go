package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/ocr"
	"github.com/raqib-project/raqib/internal/ocr/ocrtest"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
	"github.com/raqib-project/raqib/internal/store"
)

// Hand-made, fictional texts of the images of ocrExport: a claim in the
// group's wording and a news headline about it.
var (
	claimCard = []string{"بفضل الله تعالى تمكن جنود الخلافة من", "تدمير آلية للجيش الصفوي ولله الحمد"}
	newsCard  = []string{"عاجل: القوات الأمنية تحبط هجوما", "لتنظيم داعش الإرهابي شمال بغداد"}
)

// ocrExport writes a Telegram channel export whose photos carry text
// rendered by chromium: message 1 the claim card under a harmless
// caption, message 2 the news card, message 3 the claim card again, and
// with ffmpeg message 4 a video of the claim card. It skips the test without
// tesseract (with Arabic) or chromium.
func ocrExport(t testing.TB) string {
	t.Helper()
	if err := ocr.Ready(context.Background(), ""); err != nil {
		t.Skipf("text inside images cannot be read here: %v", err)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "photos"), 0o755); err != nil {
		t.Fatal(err)
	}
	ocrtest.Render(t, filepath.Join(dir, "photos", "claim.png"), 800, 160, claimCard)
	ocrtest.Render(t, filepath.Join(dir, "photos", "news.png"), 800, 160, newsCard)
	var ex telegramExport
	ex.add("صورة اليوم", map[string]any{"photo": "photos/claim.png"})
	ex.add("", map[string]any{"photo": "photos/news.png"})
	ex.add("منقول", map[string]any{"photo": "photos/claim.png"})
	// A two-second clip of the claim card: its keyframes are read. (A
	// clip of the news card and then the claim is news quoting the claim,
	// and is judged so.)
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		if err := os.Mkdir(filepath.Join(dir, "video_files"), 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-loop", "1", "-t", "2", "-i", filepath.Join(dir, "photos", "claim.png"),
			"-r", "5", "-g", "5", "-pix_fmt", "yuv420p", filepath.Join(dir, "video_files", "clip.mp4"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v: %s", err, out)
		}
		ex.add("", map[string]any{"file": "video_files/clip.mp4", "media_type": "video_file", "mime_type": "video/mp4", "duration_seconds": 2})
	}
	ex.write(t, dir)
	return dir
}

// telegramExport is a Telegram channel export (result.json) of photo and
// video posts, its fields in the order Telegram writes them (the format
// is recognized from the file's start).
type telegramExport struct {
	Name     string           `json:"name"`
	Type     string           `json:"type"`
	ID       int64            `json:"id"`
	Messages []map[string]any `json:"messages"`
}

// add appends a message with text and media fields (photo, file, ...) of
// an 800×160 picture, a minute after the previous one.
func (ex *telegramExport) add(text string, media map[string]any) {
	n := len(ex.Messages)
	at := time.Date(2026, 11, 1, 9, n, 0, 0, time.UTC)
	m := map[string]any{
		"id": n + 1, "type": "message", "date": at.Format("2006-01-02T15:04:05"), "date_unixtime": fmt.Sprint(at.Unix()),
		"from": "قناة مختلقة للاختبار", "from_id": "channel3000000003", "width": 800, "height": 160,
		"text": text, "text_entities": []map[string]string{{"type": "plain", "text": text}},
	}
	maps.Copy(m, media)
	ex.Messages = append(ex.Messages, m)
}

// write writes the export's result.json into dir.
func (ex *telegramExport) write(t testing.TB, dir string) {
	t.Helper()
	ex.Name, ex.Type, ex.ID = "قناة مختلقة للاختبار", "public_channel", 3000000003
	b, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "result.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIngestReadsTextInImages is issue 13's end-to-end test of text inside
// images: a Telegram export whose photo carries a claim under a harmless
// caption is imported; the post is flagged by the OCR-text signal with its
// spans boxed in the image and has a case, the news card's post is not
// flagged, the claim card posted twice is read once, the video showing
// the claim card is flagged from its keyframes, and with --ocr off the
// same export flags nothing.
func TestIngestReadsTextInImages(t *testing.T) {
	if testing.Short() {
		t.Skip("renders and reads images")
	}
	ctx := context.Background()
	export := ocrExport(t)
	c := testConfig(t, "ingest", "--progress", "never", "--ocr", "on")
	sys, err := openSystem(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sys.importFiles(ctx, []string{export}, nil)
	read := ocrMetric(t, sys, "read")
	sys.close()
	if err != nil {
		t.Fatalf("%v\n%s", err, c.Stderr)
	}
	s, err := openStore(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ps, err := s.Posts(ctx, store.Query{Channel: "3000000003"})
	if err != nil {
		t.Fatal(err)
	}
	want := 3
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		want++ // the video
	}
	if len(ps) != want {
		t.Fatalf("%d posts stored, want %d", len(ps), want)
	}
	if read != float64(want-1) {
		t.Errorf("raqib_ocr_media_total{result=read} = %v, want %d: every file once", read, want-1)
	}
	slices.SortFunc(ps, func(a, b post.Post) int { return strings.Compare(a.ID, b.ID) })
	var shas []string
	for _, p := range ps {
		i := slices.IndexFunc(p.Signals, func(s post.Signal) bool { return s.Detector == ocr.Detector })
		if i < 0 {
			t.Fatalf("post %s has no OCR-text signal: %+v", p.ID, p.Signals)
		}
		sig := p.Signals[i]
		claim := p.ID != "2"
		if p.Decision.Violating != claim || sig.Label.Violating() != claim {
			t.Errorf("post %s: decision %+v, OCR signal %s", p.ID, p.Decision, sig.Label)
		}
		if sig.Ref != p.Media[0].Hash(signaltype.SHA256.Name) || p.Media[0].Hash(signaltype.OCRText.Name) == "" {
			t.Errorf("post %s: signal ref %q, media %+v", p.ID, sig.Ref, p.Media[0].Hashes)
		}
		shas = append(shas, sig.Ref)
		if !claim {
			continue
		}
		if !slices.ContainsFunc(p.Decision.Reasons, func(r string) bool { return strings.HasPrefix(r, "ocr_text:") }) {
			t.Errorf("post %s: reasons %v lack the OCR-text rule", p.ID, p.Decision.Reasons)
		}
		boxes := 0
		for _, sp := range sig.Spans {
			for _, b := range sp.Boxes {
				boxes++
				if b.W <= 0 || b.H <= 0 || b.X < 0 || b.Y < 0 || b.X+b.W > 800 || b.Y+b.H > 160 {
					t.Errorf("post %s: span %q box %+v outside the 800x160 image", p.ID, sp.Text, b)
				}
			}
		}
		if boxes == 0 {
			t.Errorf("post %s: no span box in %+v", p.ID, sig)
		}
		if !inCase(t, s, p.Key()) {
			t.Errorf("post %s is in no case", p.ID)
		}
	}
	readings, err := s.(store.OCRTexts).OCRTexts(ctx, []string{shas[0] + "/" + ocr.Languages, shas[1] + "/" + ocr.Languages})
	if err != nil || len(readings) != 2 || shas[0] != shas[2] {
		t.Errorf("readings kept %d (%v), shas %v: want the two images read, the claim once", len(readings), err, shas)
	}

	off := testConfig(t, "ingest", "--progress", "never", "--ocr", "off")
	off.Args = []string{export}
	if err := Run(ctx, "ingest", off); err != nil {
		t.Fatal(err)
	}
	s2, err := openStore(ctx, off)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if ps, err := s2.Posts(ctx, store.Query{Violating: true}); err != nil || len(ps) != 0 {
		t.Errorf("with --ocr off: %d violating posts (%v), want none: the captions are harmless", len(ps), err)
	}
}

// ocrMetric is the value of raqib_ocr_media_total{result=...} of s.
func ocrMetric(t testing.TB, s *system, result string) float64 {
	t.Helper()
	mfs, err := s.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "raqib_ocr_media_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no raqib_ocr_media_total{result=%q}", result)
	return 0
}

// inCase reports whether the post with key is in an open case.
func inCase(t testing.TB, s store.Store, key string) bool {
	t.Helper()
	cases, err := s.Cases(context.Background(), post.CaseOpen, 100)
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(cases, func(cs post.Case) bool {
		keys, err := s.CasePosts(context.Background(), cs.ID, 100)
		return err == nil && slices.Contains(keys, key)
	})
}

// benchCards are hand-made, fictional cards for the ingest benchmark: the
// claim, the news headline and two everyday notices.
var benchCards = [][]string{claimCard, newsCard,
	{"إعلان: تغلق المكتبة العامة أبوابها يوم الجمعة", "وتفتح صباح السبت في التاسعة"},
	{"مباراة الهلال والنصر مساء الخميس في الرياض", "التذاكر متوفرة في شباك الملعب"}}

// benchExport writes a Telegram export of n photo posts with n distinct
// images: the rendered cards, each copy with one corner pixel changed, so
// that every file has its own hash and costs OCR a full read.
func benchExport(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "photos"), 0o755); err != nil {
		b.Fatal(err)
	}
	cards := make([]image.Image, len(benchCards))
	for i, lines := range benchCards {
		path := filepath.Join(b.TempDir(), "card.png")
		ocrtest.Render(b, path, 800, 160, lines)
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		cards[i] = img
	}
	var ex telegramExport
	for i := range n {
		src := cards[i%len(cards)]
		img := image.NewNRGBA(src.Bounds())
		draw.Draw(img, img.Bounds(), src, image.Point{}, draw.Src)
		img.Set(0, 0, color.NRGBA{R: uint8(i), G: uint8(i >> 8), B: 0xff, A: 0xff})
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("photos/card_%d.png", i)
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		ex.add("", map[string]any{"photo": name})
	}
	ex.write(b, dir)
	return dir
}

// BenchmarkIngestOCR imports an export of 40 photo posts, each with an
// image of its own, with --ocr off and on (cold cache: a new data
// directory each time), alternating in every iteration so that both see
// the same load; and on once more into the same data directory (warm:
// every image read before). Reported: milliseconds per import of each and
// images read per second.
func BenchmarkIngestOCR(b *testing.B) {
	if err := ocr.Ready(context.Background(), ""); err != nil {
		b.Skipf("text inside images cannot be read here: %v", err)
	}
	const n = 40
	export := benchExport(b, n)
	for _, workers := range []string{"1", "2"} {
		b.Run("ocr-workers="+workers, func(b *testing.B) {
			// The claim cards open a case only when their text is read.
			ingest := func(mode string, data string) time.Duration {
				var out bytes.Buffer
				_, c, err := Parse([]string{"ingest", "--progress", "never", "--ocr", mode, "--ocr-workers", workers, "--ocr-budget", "0", export},
					env("RAQIB_DATA", data, "RAQIB_LOG_LEVEL", "error"), nil, &out, &out)
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if err := Run(context.Background(), "ingest", c); err != nil {
					b.Fatalf("%v\n%s", err, out.String())
				}
				took := time.Since(start)
				if read := !strings.Contains(out.String(), " 0 cases opened"); read != (mode == "on") && !strings.Contains(out.String(), " 40 duplicates") {
					b.Fatalf("--ocr %s: %s", mode, out.String())
				}
				return took
			}
			var off, on, warm time.Duration
			for b.Loop() {
				off += ingest("off", b.TempDir())
				data := b.TempDir()
				on += ingest("on", data)
				warm += ingest("on", data)
			}
			ms := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(b.N) }
			b.ReportMetric(ms(off), "ms-off/import")
			b.ReportMetric(ms(on), "ms-on/import")
			b.ReportMetric(ms(warm), "ms-warm/import")
			b.ReportMetric(float64(n*b.N)/(on-off).Seconds(), "images/s")
			b.ReportMetric((on-off).Seconds()*1000/float64(n*b.N), "ms/image")
		})
	}
}

// TestWorkerReadsTextInImages imports the OCR export through external
// NATS into PostgreSQL, stored by a separate `raqib worker` on the same
// data directory (whose media folder the import fills): the worker reads
// the claim card and flags its post, and the readings are in PostgreSQL.
func TestWorkerReadsTextInImages(t *testing.T) {
	pg, nats := os.Getenv("RAQIB_TEST_PG"), os.Getenv("RAQIB_TEST_NATS")
	if pg == "" || nats == "" {
		t.Skip("RAQIB_TEST_PG and RAQIB_TEST_NATS are not both set; skipping the scale-out OCR test")
	}
	if testing.Short() {
		t.Skip("renders and reads images")
	}
	export := ocrExport(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	url := pgTestSchema(t, ctx, pg)
	var b [4]byte
	rand.Read(b[:])
	args := []string{"--store", url, "--nats", nats, "--nats-namespace", "ocr" + hex.EncodeToString(b[:]), "--workers", "1", "--ocr", "on"}
	w := testConfig(t, append([]string{"worker"}, args...)...)
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- Run(wctx, "worker", w) }()
	c := testConfig(t, append([]string{"ingest", "--progress", "never"}, args...)...)
	c.Data = w.Data
	c.Args = []string{export}
	err := Run(ctx, "ingest", c)
	stop()
	if werr := <-done; werr != nil {
		t.Errorf("worker: %v", werr)
	}
	if err != nil {
		t.Fatalf("ingest: %v\n%s", err, c.Stderr)
	}
	st, err := openStore(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ps, err := st.Posts(ctx, store.Query{Violating: true})
	if err != nil {
		t.Fatal(err)
	}
	var shas []string
	for _, p := range ps {
		for _, s := range p.Signals {
			if s.Detector == ocr.Detector && s.Label.Violating() && len(s.Spans) > 0 && len(s.Spans[0].Boxes) > 0 {
				shas = append(shas, s.Ref+"/"+ocr.Languages)
			}
		}
	}
	if len(shas) < 2 {
		t.Fatalf("%d posts flagged by boxed OCR-text signals, want the claim card's two (and the video's): %+v", len(shas), ps)
	}
	if got, err := st.(store.OCRTexts).OCRTexts(ctx, shas); err != nil || len(got) == 0 {
		t.Errorf("readings in PostgreSQL: %d, %v", len(got), err)
	}
}

func TestOCRSettings(t *testing.T) {
	tests := []struct {
		args []string
		env  []string
		want string // "" when valid
	}{
		{[]string{"--ocr", "off", "--ocr-workers", "2", "--ocr-budget", "0"}, nil, ""},
		{[]string{"--ocr", "sometimes"}, nil, "--ocr must be auto, on or off"},
		{[]string{"--ocr-workers", "0"}, nil, "--ocr-workers must be at least 1"},
		{nil, []string{"RAQIB_OCR_BUDGET", "-1s"}, "--ocr-budget must not be negative"},
		{nil, []string{"RAQIB_OCR_WORKERS", "many"}, "RAQIB_OCR_WORKERS"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append(tt.args, tt.env...), " "), func(t *testing.T) {
			var out bytes.Buffer
			_, c, err := Parse(append([]string{"worker"}, tt.args...), env(append([]string{"RAQIB_DATA", t.TempDir()}, tt.env...)...), nil, &out, &out)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tt.want == "" && (c.OCR != "off" || c.OCRWorkers != 2 || c.OCRBudget != 0):
				t.Errorf("parsed %q %d %v", c.OCR, c.OCRWorkers, c.OCRBudget)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err %v, want one saying %q", err, tt.want)
			}
		})
	}
}
