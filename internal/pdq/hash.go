// Package pdq computes Meta's PDQ perceptual image hash: a 256-bit hash that
// stays close (by Hamming distance) when an image is re-encoded, resized,
// lightly cropped, blurred or recoloured, together with a 0-100 quality score
// that flags featureless images whose hashes match too much. The algorithm
// follows the published description (facebook/ThreatExchange pdq/ and
// hashing.pdf): luminance, a two-pass Jarosz tent filter, decimation to
// 64x64, a 16x16 DCT and a median threshold.
package pdq

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
)

// Size is the length of a hash in bytes.
const Size = 32

// Bits is the number of bits in a hash.
const Bits = 8 * Size

// ErrBadHash reports a string that is not 64 hexadecimal digits.
var ErrBadHash = errors.New("pdq: hash must be 64 hexadecimal digits")

// Hash is a 256-bit PDQ hash. Its bytes are in the order of the reference's
// hexadecimal form: byte 0 holds DCT coefficients (15,15) down to (15,8), so
// String and ParseHash round-trip with hashes from other implementations.
type Hash [Size]byte

// String returns the hash as 64 lower-case hexadecimal digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText implements encoding.TextMarshaler (hexadecimal form).
func (h Hash) MarshalText() ([]byte, error) {
	out := make([]byte, 2*Size)
	hex.Encode(out, h[:])
	return out, nil
}

// UnmarshalText implements encoding.TextUnmarshaler (hexadecimal form).
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// ParseHash parses 64 hexadecimal digits (either case).
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*Size {
		return h, fmt.Errorf("%w: got %d characters", ErrBadHash, len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return Hash{}, fmt.Errorf("%w: %w", ErrBadHash, err)
	}
	return h, nil
}

// Distance returns the Hamming distance between two hashes (0-256).
func (h Hash) Distance(o Hash) int {
	n := 0
	for i := 0; i < Size; i += 8 {
		n += bits.OnesCount64(le64(h[i:]) ^ le64(o[i:]))
	}
	return n
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// Bit reports bit k (0-255), which is set when DCT coefficient (k/16, k%16)
// lies above the median.
func (h Hash) Bit(k int) bool {
	return h[Size-1-k/8]&(1<<(k%8)) != 0
}

func (h *Hash) setBit(k int) {
	h[Size-1-k/8] |= 1 << (k % 8)
}

// OnesCount returns the number of set bits; PDQ sets about half of them.
func (h Hash) OnesCount() int {
	n := 0
	for i := 0; i < Size; i += 8 {
		n += bits.OnesCount64(le64(h[i:]))
	}
	return n
}
