package vpdq

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/raqib-project/raqib/internal/pdq"
)

// WriteFeatures writes features in the reference's text format, one
// "frame,quality,hash,timestamp" line each, timestamps in seconds with
// three decimals.
func WriteFeatures(w io.Writer, fs []Feature) error {
	bw := bufio.NewWriter(w)
	for _, f := range fs {
		if _, err := fmt.Fprintf(bw, "%d,%d,%s,%.3f\n", f.Frame, f.Quality, f.Hash, f.Timestamp); err != nil {
			return fmt.Errorf("vpdq: write features: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("vpdq: write features: %w", err)
	}
	return nil
}

// ReadFeatures reads the reference's text format (frame,quality,hash and
// optionally timestamp). Bad lines are skipped; the error returned lists
// each of them by line number, alongside the features that were read.
func ReadFeatures(r io.Reader) ([]Feature, error) {
	var (
		out  []Feature
		errs []error
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		f, err := parseFeature(text)
		if err != nil {
			errs = append(errs, fmt.Errorf("vpdq: line %d: %w", line, err))
			continue
		}
		out = append(out, f)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("vpdq: read features: %w", err))
	}
	return out, errors.Join(errs...)
}

// ReadFeaturesFile reads a features file (see ReadFeatures); errors name
// the file.
func ReadFeaturesFile(path string) ([]Feature, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vpdq: %w", err)
	}
	defer f.Close()
	fs, err := ReadFeatures(f)
	if err != nil {
		return fs, fmt.Errorf("%s: %w", path, err)
	}
	return fs, nil
}

func parseFeature(s string) (Feature, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 && len(parts) != 4 {
		return Feature{}, fmt.Errorf("want 3 or 4 comma-separated fields, got %d", len(parts))
	}
	var f Feature
	var err error
	if f.Frame, err = strconv.Atoi(parts[0]); err != nil || f.Frame < 0 {
		return Feature{}, fmt.Errorf("frame number %q", parts[0])
	}
	if f.Quality, err = strconv.Atoi(parts[1]); err != nil || f.Quality < 0 || f.Quality > 100 {
		return Feature{}, fmt.Errorf("quality %q", parts[1])
	}
	if f.Hash, err = pdq.ParseHash(parts[2]); err != nil {
		return Feature{}, fmt.Errorf("hash field: %w", err)
	}
	if len(parts) == 4 {
		if f.Timestamp, err = strconv.ParseFloat(parts[3], 64); err != nil || f.Timestamp < 0 || f.Timestamp != f.Timestamp {
			return Feature{}, fmt.Errorf("timestamp %q", parts[3])
		}
	}
	return f, nil
}
