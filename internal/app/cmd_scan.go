package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/raqib-project/raqib/internal/enrich"
	"github.com/raqib-project/raqib/internal/ingest"
	"github.com/raqib-project/raqib/internal/ocr"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// verdict is one line of `raqib scan` output: which post, and the
// decision the store would keep for it.
type verdict struct {
	Key      string        `json:"key"`
	Platform post.Platform `json:"platform"`
	ID       string        `json:"id"`
	Origin   post.Origin   `json:"origin"`
	Lang     string        `json:"lang,omitempty"`
	post.Decision
	Signals []post.Signal `json:"signals,omitempty"`
	// OCRText is the text read from an image or video file.
	OCRText string `json:"ocr_text,omitempty"`
}

// runScan analyses posts without storing them: a filter for scripts. Input
// in no known format is read as plain text, one post per line.
func runScan(ctx context.Context, c *Config) error {
	log := c.logger()
	det, err := newDetection(c, log)
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(c.Stdout, 64<<10)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	paths := c.Args
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	// Images and videos are read with OCR and their text checked by the
	// same stack; a file OCR cannot read is reported and the rest go on.
	var rest []string
	var reader ocr.Reader
	var failed []error
	for _, path := range paths {
		if ocr.Kind(path) == "" {
			rest = append(rest, path)
			continue
		}
		res, err := reader.Read(ctx, path)
		if err != nil {
			failed = append(failed, fmt.Errorf("scan %s: %w", path, err))
			continue
		}
		p, sig := ocr.Check(&res, path, det.analyze)
		p.Signals = append(p.Signals, sig)
		if err := enc.Encode(verdict{Key: p.Key(), Platform: p.Platform, ID: p.ID, Origin: p.Origin, Lang: p.Lang,
			Decision: p.Decision, Signals: p.Signals, OCRText: res.Text}); err != nil {
			return fmt.Errorf("write verdict: %w", err)
		}
	}
	if len(rest) == 0 {
		return errors.Join(failed...)
	}
	paths = rest
	sum, err := ingest.Run(ctx, ingest.Options{
		Format:      c.Format,
		Fallback:    "text",
		Batch:       256,
		MaxRecord:   c.MaxRecord,
		MaxUnpacked: c.MaxUnpacked,
		Publish: func(_ context.Context, ps []post.Post) error {
			for i := range ps {
				p := &ps[i]
				enrich.Post(p)
				det.analyze(p)
				if err := enc.Encode(verdict{
					Key: p.Key(), Platform: p.Platform, ID: p.ID, Origin: p.Origin, Lang: p.Lang,
					Decision: p.Decision, Signals: p.Signals,
				}); err != nil {
					return fmt.Errorf("write verdict: %w", err)
				}
			}
			return nil
		},
		Reject: func(r source.Rejection) { fmt.Fprintf(c.Stderr, "rejected %s\n", r.Error()) },
	}, paths, c.Stdin)
	if err != nil {
		return errors.Join(append(failed, err)...)
	}
	log.Debug("scan done", "posts", sum.Posts, "rejected", sum.Rejected)
	return errors.Join(failed...)
}
