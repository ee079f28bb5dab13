package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/raqib-project/raqib/internal/store"
)

var insertOCR = &multiRow{head: `INSERT OR IGNORE INTO ocr_texts(key, data) VALUES `, cols: 2}

// OCRTexts implements store.OCRTexts.
func (s *Store) OCRTexts(ctx context.Context, keys []string) (map[string][]byte, error) {
	if len(keys) == 0 {
		return map[string][]byte{}, nil
	}
	js, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT key, data FROM ocr_texts WHERE key IN (SELECT value FROM json_each(?))`, string(js))
	if err != nil {
		return nil, fmt.Errorf("read ocr texts: %w", err)
	}
	defer rows.Close()
	return store.ScanOCRTexts(rows)
}

// SaveOCRTexts implements store.OCRTexts.
func (s *Store) SaveOCRTexts(ctx context.Context, ts []store.OCRText) error {
	if len(ts) == 0 {
		return nil
	}
	return s.insertRows(ctx, "save ocr texts", insertOCR, len(ts), func(args []any, i int) []any {
		return append(args, ts[i].Key, ts[i].Data)
	})
}
