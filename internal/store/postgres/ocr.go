package postgres

import (
	"context"
	"fmt"

	"github.com/raqib-project/raqib/internal/store"
)

// OCRTexts implements store.OCRTexts.
func (s *Store) OCRTexts(ctx context.Context, keys []string) (map[string][]byte, error) {
	if len(keys) == 0 {
		return map[string][]byte{}, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT key, data FROM ocr_texts WHERE key = ANY($1::text[])`, keys)
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
	keys, data := make([]string, len(ts)), make([][]byte, len(ts))
	for i, t := range ts {
		keys[i], data[i] = text(t.Key), t.Data
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO ocr_texts (key, data)
		SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT DO NOTHING`, keys, data)
	if err != nil {
		return fmt.Errorf("save ocr texts: %w", err)
	}
	return nil
}
