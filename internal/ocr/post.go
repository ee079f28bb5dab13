package ocr

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
)

// Detector names the OCR-text signal.
const Detector = "ocr"

// Post makes the text of res a post the detection stack reads like any
// other: its Norm is the word-by-word normalization of Result, so that the
// spans of the stack's signals map back to boxes; the media file carries
// the OCR-text hash.
func Post(res Result, path string) post.Post {
	kind := "photo"
	if Kind(path) == "video" {
		kind = "video"
	}
	m := post.Media{Kind: kind, Path: path}
	if v, ok := signaltype.TextHash(res.Norm); ok {
		m.Hashes = []post.Hash{{Type: signaltype.OCRText.Name, Value: v}}
	}
	return post.Post{Platform: "file", ID: filepath.Base(path), Kind: post.Message, Text: res.Text, Norm: res.Norm,
		Media: []post.Media{m}}
}

// Signal describes p, checked by the stack after Post, as the OCR-text
// signal: the text read and where in the image the spans of the stack's
// violating signals stand. Its label and score are the decision's.
func Signal(res *Result, p *post.Post) post.Signal {
	s := post.Signal{Detector: Detector, Label: p.Decision.Label, Tier: p.Decision.Tier, Entity: p.Decision.Entity,
		Score: p.Decision.Score}
	var conf float64
	for _, w := range res.Words {
		conf += w.Conf
	}
	if n := len(res.Words); n > 0 {
		conf /= float64(n)
	}
	s.Explanation = fmt.Sprintf("text inside the image: %d words read, mean confidence %.0f%%", len(res.Words), conf)
	if !p.Decision.Violating {
		return s
	}
	seen := map[[2]int]bool{}
	for _, sig := range p.Signals {
		if !sig.Label.Violating() {
			continue
		}
		for _, sp := range sig.Spans {
			k := [2]int{sp.Start, sp.End}
			if seen[k] {
				continue
			}
			seen[k] = true
			if boxes := res.Boxes(sp.Start, sp.End); len(boxes) > 0 {
				sp.Boxes = boxes
				sp.Why = strings.TrimSpace(sig.Detector + ": " + sp.Why)
				s.Spans = append(s.Spans, sp)
			}
		}
	}
	return s
}
