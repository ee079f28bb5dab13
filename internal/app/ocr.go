package app

import (
	"context"
	"fmt"
	"time"

	"github.com/raqib-project/raqib/internal/ocr"
	"github.com/raqib-project/raqib/internal/store"
)

// openOCR wires --ocr: the enricher reads images and video keyframes the
// import kept, when Tesseract with Arabic is installed; without it, one
// log line says so and readings already cached are still used.
func (s *system) openOCR(ctx context.Context) (*ocr.Enricher, error) {
	if s.cfg.OCR == "off" {
		return nil, nil
	}
	cfg := ocr.EnrichConfig{
		MediaDir: s.mediaDir(), Check: s.det.analyze, Read: true,
		Workers: s.cfg.OCRWorkers, Budget: s.cfg.OCRBudget, Log: s.log,
	}
	cfg.Cache, _ = s.store.(store.OCRTexts)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := ocr.Ready(ctx, ""); err != nil {
		if s.cfg.OCR == "on" {
			return nil, fmt.Errorf("--ocr on: %w", err)
		}
		s.log.Warn("text inside images is not read at ingest (readings kept earlier are still used)", "reason", err)
		cfg.Read = false
	}
	return ocr.NewEnricher(cfg), nil
}
