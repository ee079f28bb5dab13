package signaltype

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// TextSHA256 is the SHA-256 of a post's normalized text (internal/arabic),
// so that diacritics, tatweel and spacing do not change it; it matches the
// same text exactly. Near-duplicate text is TextMinHash's job.
var TextSHA256 = &Type{
	Name:      "text",
	Title:     "normalized-text hash",
	Content:   []Content{Text},
	Canonical: canonicalText,
	FromText:  TextHash,
}

// TextHash is the TextSHA256 value of a normalized text.
func TextHash(norm string) (string, bool) {
	if norm == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:]), true
}

// canonicalText keeps a text hash as given: banks written before types
// were checked hold values in other forms, and exact matching needs no
// more than a non-empty string.
func canonicalText(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fmt.Errorf("%w: empty text hash", ErrBadValue)
	}
	return v, nil
}
