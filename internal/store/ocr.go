package store

import (
	"context"
	"fmt"
)

// OCRText is one reading of the text inside a media file (internal/ocr),
// kept by a key made of the file's hash, so that an image posted a
// thousand times is read once, and the post page and later re-scans show
// and check the text without running OCR again.
type OCRText struct {
	Key  string // the media file's SHA-256 and the reader's settings (ocr.CacheKey)
	Data []byte // the reading as internal/ocr encodes it
}

// OCRTexts keeps readings of media files. A reading never changes for a
// key, so the first one stored stays.
type OCRTexts interface {
	// OCRTexts returns the readings stored for keys; keys without one are
	// absent from the map.
	OCRTexts(ctx context.Context, keys []string) (map[string][]byte, error)
	// SaveOCRTexts stores readings; a key stored already is skipped.
	SaveOCRTexts(ctx context.Context, ts []OCRText) error
}

// ScanOCRTexts reads rows of (key, data).
func ScanOCRTexts(rows Rows) (map[string][]byte, error) {
	out := map[string][]byte{}
	for rows.Next() {
		var (
			k    string
			data []byte
		)
		if err := rows.Scan(&k, &data); err != nil {
			return nil, fmt.Errorf("read ocr texts: %w", err)
		}
		out[k] = data
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read ocr texts: %w", err)
	}
	return out, nil
}
