package app

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/ocr"
)

// TestScanImage scans the OCR package's hand-made claim card and a missing
// image: the card's text and verdict are printed with boxed spans, the
// missing file is rejected without stopping the scan.
func TestScanImage(t *testing.T) {
	if !ocr.Available() {
		t.Skip("tesseract is not on PATH; install tesseract-ocr and tesseract-ocr-ara to scan images")
	}
	c := testConfig(t, "scan")
	c.Args = []string{"../ocr/testdata/missing.png", "../ocr/testdata/claim.png"}
	err := Run(context.Background(), "scan", c)
	if err == nil || !strings.Contains(err.Error(), "missing.png") {
		t.Errorf("err = %v, want one naming missing.png", err)
	}
	var v verdict
	if err := json.Unmarshal(c.Stdout.(*bytes.Buffer).Bytes(), &v); err != nil {
		t.Fatalf("%v: %s", err, c.Stdout)
	}
	if !strings.Contains(v.OCRText, "جنود الخلافة") || !v.Violating {
		t.Errorf("verdict %+v", v)
	}
	boxed := false
	for _, s := range v.Signals {
		if s.Detector == ocr.Detector {
			for _, sp := range s.Spans {
				boxed = boxed || len(sp.Boxes) > 0
			}
		}
	}
	if !boxed {
		t.Errorf("no OCR span with a box in %+v", v.Signals)
	}
}
