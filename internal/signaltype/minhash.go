package signaltype

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/raqib-project/raqib/internal/neardup"
)

// TextMinHash is the MinHash signature of a post's normalized text
// (internal/neardup): a bank entry of this type matches near-duplicates of
// a known text, not only copies. The distance is the number of signature
// positions that differ; the default threshold, 38 of 128, is an estimated
// Jaccard similarity of 0.7, the near-duplicate detector's own.
var TextMinHash = &Type{
	Name:        "minhash",
	Title:       "text MinHash",
	Content:     []Content{Text},
	Canonical:   canonicalHex(sigHexLen),
	Distance:    distanceBy(parseMinHash, minHashDistance),
	Threshold:   neardup.NumHashes - 90,
	MaxDistance: neardup.NumHashes,
	FromText:    MinHash,
}

// sigHexLen is the length of a signature written as hex, 8 digits a word.
const sigHexLen = 8 * neardup.NumHashes

// MinHash is the TextMinHash value of a normalized text.
func MinHash(norm string) (string, bool) {
	sig, ok := neardup.Sign(norm)
	if !ok {
		return "", false
	}
	b := make([]byte, 4*len(sig))
	for i, w := range sig {
		binary.BigEndian.PutUint32(b[4*i:], w)
	}
	return hex.EncodeToString(b), true
}

func parseMinHash(v string) (neardup.Signature, error) {
	var sig neardup.Signature
	if len(v) != sigHexLen {
		return sig, fmt.Errorf("%w: want %d hex digits, got %d characters", ErrBadValue, sigHexLen, len(v))
	}
	b, err := hex.DecodeString(strings.ToLower(v))
	if err != nil {
		return sig, fmt.Errorf("%w: %w", ErrBadValue, err)
	}
	for i := range sig {
		sig[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return sig, nil
}

// minHashDistance counts the signature positions that differ.
func minHashDistance(x, y neardup.Signature) int {
	return int(float64(neardup.NumHashes)*(1-neardup.Similarity(&x, &y)) + 0.5)
}
