package web

import (
	"context"
	"image"
	_ "image/gif" // image sizes of kept media without recorded ones
	_ "image/jpeg"
	_ "image/png"
	"os"
	"slices"

	"github.com/raqib-project/raqib/internal/ocr"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
	"github.com/raqib-project/raqib/internal/store"
)

// ocrMessages are the strings of the text-inside-images panel.
var ocrMessages = map[string][2]string{
	"ocr.title":   {"النص داخل الصور", "Text inside images"},
	"ocr.hint":    {"قُرئ النص آليًا (OCR) وفُحص كمنشور مستقل؛ الإطارات تحدد مواضع المقاطع المُبلَّغ عنها في الصورة.", "The text was read by OCR and checked as a post of its own; the frames show where the flagged spans stand in the image."},
	"ocr.text":    {"النص المقروء (بعد التطبيع)", "Text read (normalized)"},
	"ocr.notext":  {"لم يُحفظ النص المقروء لهذا الملف؛ المقاطع المُبلَّغ عنها مذكورة في الإشارات.", "The reading of this file is not kept; the flagged spans are listed with the signals."},
	"ocr.noimage": {"الملف غير محفوظ في مجلد الوسائط.", "The file is not kept in the media folder."},
	"ocr.video":   {"مقطع فيديو: النص من إطاراته المفتاحية، والإطارات غير محفوظة لرسم المواضع.", "A video: the text is from its keyframes, which are not kept to draw the places on."},
	"ocr.spans":   {"مقاطع مُبلَّغ عنها", "flagged spans"},
}

// boxView is one flagged span's box in image pixels.
type boxView struct {
	X, Y, W, H int
	Label      post.Label
	Why        string
}

// ocrView is one media file of a post whose text was read: the image with
// the boxes of the flagged spans, and the text with the spans marked.
type ocrView struct {
	Image  blurredImage // SHA256 "" when the file is not kept
	Video  bool
	Text   []segment // nil when the reading is not kept
	Signal post.Signal
	Spans  int
}

// isOCR tells the OCR-text signals apart: their spans are offsets into the
// text read from an image, not into the post's.
func isOCR(s post.Signal) bool { return s.Detector == ocr.Detector }

// textSignals are the signals of p whose spans are in p.Norm.
func textSignals(p *post.Post) []post.Signal {
	return slices.DeleteFunc(slices.Clone(p.Signals), isOCR)
}

// keptImage is a kept image of a post with the boxes of the flagged spans
// of the text read from it, for the "blurred" template.
type keptImage struct {
	SHA256 string
	W, H   int
	Boxes  []boxView
}

// keptImage returns the image of p with that SHA-256 and the boxes of its
// OCR-text signal's spans, in the image's pixels.
func (s *server) keptImage(p *post.Post, sha string) keptImage {
	im := keptImage{SHA256: sha}
	for _, sig := range p.Signals {
		if !isOCR(sig) || sig.Ref != sha {
			continue
		}
		for _, sp := range sig.Spans {
			for _, b := range sp.Boxes {
				if b.Frame == 0 {
					im.Boxes = append(im.Boxes, boxView{X: b.X, Y: b.Y, W: b.W, H: b.H, Label: sig.Label, Why: sp.Why})
				}
			}
		}
	}
	if len(im.Boxes) > 0 {
		if im.W, im.H = s.imageSize(mediaBySHA(p, sha), sha); im.W == 0 {
			im.Boxes = nil
		}
	}
	return im
}

// ocrViews prepares the text-inside-images panel of p.
func (s *server) ocrViews(ctx context.Context, pg *page, p *post.Post) []ocrView {
	var views []ocrView
	var keys []string
	reader := ocr.Reader{}
	for _, sig := range p.Signals {
		if !isOCR(sig) || sig.Ref == "" {
			continue
		}
		v := ocrView{Signal: sig, Spans: len(sig.Spans)}
		m := mediaBySHA(p, sig.Ref)
		v.Video = m != nil && m.Kind == "video"
		if !v.Video && s.kept(sig.Ref) {
			v.Image = pg.Blurred("ocr-"+sig.Ref[:12], s.keptImage(p, sig.Ref))
		}
		views = append(views, v)
		keys = append(keys, reader.CacheKey(sig.Ref))
	}
	cache, ok := s.Store.(store.OCRTexts)
	if len(views) == 0 || !ok {
		return views
	}
	readings, err := cache.OCRTexts(ctx, keys)
	if err != nil {
		s.Log.Warn("OCR readings not read", "post", p.Key(), "err", err)
		return views
	}
	for i := range views {
		if b, ok := readings[keys[i]]; ok {
			if res, err := ocr.Decode(b); err == nil {
				views[i].Text, _ = highlight(res.Norm, []post.Signal{views[i].Signal})
			}
		}
	}
	return views
}

func mediaBySHA(p *post.Post, sha string) *post.Media {
	for i := range p.Media {
		if p.Media[i].Hash(signaltype.SHA256.Name) == sha {
			return &p.Media[i]
		}
	}
	return nil
}

// imageSize is the size of a kept image in pixels: as ingest recorded it,
// else from the file's header.
func (s *server) imageSize(m *post.Media, sha string) (w, h int) {
	if m != nil && m.Width > 0 && m.Height > 0 {
		return m.Width, m.Height
	}
	f, err := os.Open(post.MediaPath(s.MediaDir, sha))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	c, _, err := image.DecodeConfig(f)
	if err != nil {
		return 0, 0
	}
	return c.Width, c.Height
}
