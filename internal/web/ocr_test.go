package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/ocr"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// ocrFixture is a post whose photo, the OCR package's hand-made claim card
// (800×160), was read and flagged, as the ingest enricher leaves it: the
// reading kept in the store and the OCR-text signal on the post.
type ocrFixture struct {
	h      http.Handler
	key    string
	caseID int64
	boxes  []post.Box
}

func newOCRFixture(t testing.TB) ocrFixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	media := t.TempDir()
	img, err := os.ReadFile(filepath.Join("..", "ocr", "testdata", "claim.png"))
	if err != nil {
		t.Fatal(err)
	}
	sha := keepImage(t, media, img)

	// Hand-made reading of two words, at the boxes Tesseract 5 gave them
	// in claim.png.
	w1, w2 := arabic.Normalize("جنود"), arabic.Normalize("الخلافة")
	res := ocr.Result{Text: "جنود الخلافة", Norm: w1 + " " + w2, Words: []ocr.Word{
		{Text: "جنود", Box: post.Box{X: 438, Y: 15, W: 54, H: 50}, Conf: 93, Start: 0, End: len(w1)},
		{Text: "الخلافة", Box: post.Box{X: 341, Y: 32, W: 83, H: 28}, Conf: 92, Start: len(w1) + 1, End: len(w1) + 1 + len(w2)},
	}}
	data, err := res.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveOCRTexts(ctx, []store.OCRText{{Key: (&ocr.Reader{}).CacheKey(sha), Data: data}}); err != nil {
		t.Fatal(err)
	}
	boxes := res.Boxes(len(w1)+1, len(res.Norm))
	p := post.Post{
		Platform: post.Telegram, ID: "77", Kind: post.Message, PostedAt: testNow, CollectedAt: testNow,
		Channel: post.Channel{Platform: post.Telegram, ID: "-100777", Name: "قناة الصور"},
		Text:    "صورة اليوم من قناة الإصدارات",
		Media:   []post.Media{{Kind: "photo", Width: 800, Height: 160, Hashes: []post.Hash{{Type: "sha256", Value: sha}}}},
		Decision: post.Decision{Label: post.Propaganda, Tier: post.TierOfficial, Violating: true, Score: 0.9,
			Reasons: []string{"ocr_text: violating text inside an image"}},
		Signals: []post.Signal{{Detector: ocr.Detector, Label: post.Propaganda, Tier: post.TierOfficial, Score: 0.9, Ref: sha,
			Explanation: "text inside the image: 2 words read, mean confidence 92%",
			Spans:       []post.Span{{Start: len(w1) + 1, End: len(res.Norm), Text: w2, Why: "lexicon: supporter naming", Boxes: boxes}}}},
	}
	p.Norm = arabic.Normalize(p.Text)
	if _, err := st.SavePosts(ctx, []post.Post{p}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ProposeCases(ctx, []post.CaseProposal{{PostKey: p.Key(), Label: post.Propaganda, Tier: post.TierOfficial,
		Score: 0.9, Reason: "ocr_text: violating text inside an image", At: testNow}}); err != nil {
		t.Fatal(err)
	}
	cases, err := st.Cases(ctx, post.CaseOpen, 10)
	if err != nil || len(cases) != 1 {
		t.Fatalf("cases %+v, %v", cases, err)
	}
	h := New(Options{Authenticate: asAdmin, Store: st, MediaDir: media, Version: "test", Now: func() time.Time { return testNow }})
	return ocrFixture{h: h, key: p.Key(), caseID: cases[0].ID, boxes: boxes}
}

// TestPostShowsTextInImages checks the post page's panel in both
// languages: the image with one box per flagged span in the image's own
// pixels, the text read with the span marked, and the post's own text
// left unmarked by the OCR spans; and the boxes on the case page.
func TestPostShowsTextInImages(t *testing.T) {
	f := newOCRFixture(t)
	for _, lang := range []string{"ar", "en"} {
		w := get(t, f.h, postURL(f.key)+"?lang="+lang)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d", lang, w.Code)
		}
		body := w.Body.String()
		b := f.boxes[0]
		for _, want := range []string{
			`<svg class="ocr-boxes" viewBox="0 0 800 160"`,
			fmt.Sprintf(`<rect class="ocr-box hl-propaganda" x="%d" y="%d" width="%d" height="%d">`, b.X, b.Y, b.W, b.H),
			`<mark class="hl-propaganda" title="ocr_text: lexicon: supporter naming">` + arabic.Normalize("الخلافة") + `</mark>`,
			catalogue[lang]["ocr.title"],
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: page lacks %q", lang, want)
			}
		}
		if strings.Contains(body, catalogue[lang]["post.badspans"]) {
			t.Errorf("%s: the OCR spans were taken for spans of the post's text", lang)
		}
	}
	// The case page shows the boxes over the post's image too, and marks
	// nothing in the post's own text (only the image's text is flagged).
	w := get(t, f.h, fmt.Sprintf("/cases/%d", f.caseID))
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `<rect class="ocr-box hl-propaganda"`) || strings.Contains(body, "<mark") {
		t.Errorf("case page (%d): boxes %v, marks %v", w.Code, strings.Contains(body, `<rect class="ocr-box`), strings.Contains(body, "<mark"))
	}
}

// TestBrowserOCRBoxes loads the post in headless Chromium, in Arabic
// (right to left): the image loads from /media under the CSP, blurred, and
// each flagged span's box is drawn over the part of the image where its
// words are, before and after the analyst reveals the image.
func TestBrowserOCRBoxes(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not on PATH; install it (apt-get install chromium) to run the browser test")
	}
	f := newOCRFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	d := openDevtools(t, bin, srv.URL+postURL(f.key), "ar")
	d.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false})
	d.waitFor(`document.readyState === "complete" && (() => { const i = document.querySelector("#ocr img.blurred"); return i !== null && i.complete && i.naturalWidth === 800; })()`)
	if got := d.eval(`document.documentElement.dir`); got != `"rtl"` {
		t.Errorf("dir = %s", got)
	}
	if got := d.eval(`getComputedStyle(document.querySelector("#ocr img.blurred")).filter`); !strings.Contains(got, "blur(") {
		t.Errorf("the image is not blurred: %s", got)
	}
	// Where the image's pixels are drawn (object-fit: contain) and where
	// each box is, in page coordinates.
	const measure = `(() => {
		const img = document.querySelector("#ocr img.blurred"), r = img.getBoundingClientRect();
		const s = Math.min(r.width / img.naturalWidth, r.height / img.naturalHeight);
		const w = img.naturalWidth * s, h = img.naturalHeight * s;
		return {img: [r.left + (r.width - w) / 2, r.top + (r.height - h) / 2, s],
			boxes: [...document.querySelectorAll("#ocr rect.ocr-box")].map(b => { const q = b.getBoundingClientRect(); return [q.left, q.top, q.width, q.height]; })};
	})()`
	// The blurred image is scaled up about its centre; the image's
	// bounding box includes that, and the boxes must follow it.
	check := func(state string) {
		var m struct {
			Img   [3]float64
			Boxes [][4]float64
		}
		if err := json.Unmarshal([]byte(d.eval(measure)), &m); err != nil {
			t.Fatal(err)
		}
		if len(m.Boxes) != len(f.boxes) {
			t.Fatalf("%s: %d boxes drawn, want %d", state, len(m.Boxes), len(f.boxes))
		}
		x0, y0, s := m.Img[0], m.Img[1], m.Img[2]
		for i, b := range f.boxes {
			want := [4]float64{x0 + float64(b.X)*s, y0 + float64(b.Y)*s, float64(b.W) * s, float64(b.H) * s}
			for k := range want {
				if math.Abs(m.Boxes[i][k]-want[k]) > 2 {
					t.Errorf("%s: box %d drawn at %v, want %v (image at %.1f,%.1f scale %.3f)", state, i, m.Boxes[i], want, x0, y0, s)
					break
				}
			}
		}
	}
	check("blurred")
	d.eval(`document.querySelector('#ocr label').click(); true`)
	d.waitFor(`getComputedStyle(document.querySelector("#ocr img.blurred")).filter === "none"`)
	check("revealed")
	if got := d.eval(`document.querySelector("#ocr mark.hl-propaganda") !== null`); got != "true" {
		t.Error("the flagged span is not marked in the text read")
	}
}
