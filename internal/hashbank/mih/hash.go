// Package mih holds 256-bit perceptual hashes (PDQ, and the frames of vPDQ)
// and a multi-index hashing (MIH) index that answers Hamming-radius
// queries over millions of them.
package mih

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
)

// ErrBadHash reports a hash string that is not what its algorithm needs.
var ErrBadHash = errors.New("bad hash")

// Hash256 is a 256-bit perceptual hash. Word 0 holds the first 16 hex digits
// of the 64-digit string PDQ tools print, so String(ParseHex(s)) == s and
// the conversion to internal/pdq's type is a plain word copy.
type Hash256 [4]uint64

// ParseHex reads a 64-digit hexadecimal hash (either case).
func ParseHex(s string) (Hash256, error) {
	var h Hash256
	if len(s) != 64 {
		return h, fmt.Errorf("%w: want 64 hex digits, got %d characters", ErrBadHash, len(s))
	}
	var b [32]byte
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return h, fmt.Errorf("%w: %w", ErrBadHash, err)
	}
	for w := range 4 {
		for i := range 8 {
			h[w] = h[w]<<8 | uint64(b[w*8+i])
		}
	}
	return h, nil
}

// String returns the 64-digit lower-case hexadecimal form.
func (h Hash256) String() string {
	var b [32]byte
	for w := range 4 {
		for i := range 8 {
			b[w*8+i] = byte(h[w] >> (56 - 8*i))
		}
	}
	return hex.EncodeToString(b[:])
}

// Distance returns the Hamming distance between two hashes.
func Distance(a, b Hash256) int {
	return bits.OnesCount64(a[0]^b[0]) + bits.OnesCount64(a[1]^b[1]) +
		bits.OnesCount64(a[2]^b[2]) + bits.OnesCount64(a[3]^b[3])
}
