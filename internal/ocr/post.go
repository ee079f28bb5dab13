package ocr

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/raqib-project/raqib/internal/effect"
	"github.com/raqib-project/raqib/internal/enrich"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
)

// Detector names the OCR-text signal, after its signal type.
var Detector = signaltype.OCRText.Name

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

// Check runs the text of res, read from the file at path, through the
// detection stack (check: rules.Stack.Check without counters) as a post
// of its own, and returns that post and its OCR-text signal.
func Check(res *Result, path string, check func(*post.Post)) (post.Post, post.Signal) {
	p := Post(*res, path)
	enrich.Post(&p)
	p.Norm = res.Norm // the spans' offsets are into OCR's own normalization
	check(&p)
	return p, Signal(res, &p)
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

// Carry is the stack's detector of the text inside a post's media: it
// passes the OCR-text signals the Enricher attached to the post on to the
// rules (rules.OCRTextRule), so that the decision about the post weighs
// them and keeps them with the post.
type Carry struct{}

// Name implements detect.Detector.
func (Carry) Name() string { return Detector }

// Detect implements detect.Detector.
func (Carry) Detect(p *post.Post, out []post.Signal, _ *effect.Set) ([]post.Signal, error) {
	for _, s := range p.Signals {
		if s.Detector == Detector {
			out = append(out, s)
		}
	}
	return out, nil
}
