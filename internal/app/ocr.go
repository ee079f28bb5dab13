package app

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
	e := ocr.NewEnricher(cfg)
	for result, n := range map[string]func(ocr.EnrichStats) int64{
		"read":    func(st ocr.EnrichStats) int64 { return st.Read },
		"cached":  func(st ocr.EnrichStats) int64 { return st.Cached },
		"skipped": func(st ocr.EnrichStats) int64 { return st.Skipped },
		"failed":  func(st ocr.EnrichStats) int64 { return st.Failed },
	} {
		s.metrics.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "raqib_ocr_media_total",
			Help:        "Media files of ingested posts by what OCR did: read, found cached, skipped (the batch's --ocr-budget was spent) or failed.",
			ConstLabels: prometheus.Labels{"result": result},
		}, func() float64 { return float64(n(e.Stats())) }))
	}
	return e, nil
}
