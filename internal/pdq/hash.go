// Package pdq computes Meta's PDQ perceptual image hash: a 256-bit hash that
// stays close (by Hamming distance) when an image is re-encoded, resized,
// lightly cropped, blurred or recoloured, together with a 0-100 quality score
// that flags featureless images whose hashes match too much. The algorithm
// follows the published description (facebook/ThreatExchange pdq/ and
// hashing.pdf): luminance, a two-pass Jarosz tent filter, decimation to
// 64x64, a 16x16 DCT and a median threshold.
package pdq

import (
	"encoding/binary"
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

// Hash is a 256-bit PDQ hash, the one 256-bit hash type of raqib (hash
// banks index it as it is). Word 0 holds the first 16 digits of the
// reference's 64-digit hexadecimal form, most significant first, so String
// and ParseHash round-trip with hashes from other implementations; the last
// digit holds DCT coefficients (0,3) down to (0,0).
type Hash [4]uint64

// String returns the hash as 64 lower-case hexadecimal digits.
func (h Hash) String() string {
	b, _ := h.MarshalText()
	return string(b)
}

// MarshalText implements encoding.TextMarshaler (hexadecimal form).
func (h Hash) MarshalText() ([]byte, error) {
	var raw [Size]byte
	for w, x := range h {
		binary.BigEndian.PutUint64(raw[8*w:], x)
	}
	out := make([]byte, 2*Size)
	hex.Encode(out, raw[:])
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
	if len(s) != 2*Size {
		return Hash{}, fmt.Errorf("%w: got %d characters", ErrBadHash, len(s))
	}
	var raw [Size]byte
	if _, err := hex.Decode(raw[:], []byte(s)); err != nil {
		return Hash{}, fmt.Errorf("%w: %w", ErrBadHash, err)
	}
	var h Hash
	for w := range h {
		h[w] = binary.BigEndian.Uint64(raw[8*w:])
	}
	return h, nil
}

// Distance returns the Hamming distance between two hashes (0-256).
func (h Hash) Distance(o Hash) int {
	return bits.OnesCount64(h[0]^o[0]) + bits.OnesCount64(h[1]^o[1]) +
		bits.OnesCount64(h[2]^o[2]) + bits.OnesCount64(h[3]^o[3])
}

// bitPos returns the word and mask of bit k: bit 0 is the lowest bit of
// the last word.
func bitPos(k int) (int, uint64) {
	return 3 - k/64, 1 << (k % 64)
}

// Bit reports bit k (0-255), which is set when DCT coefficient (k/16, k%16)
// lies above the median.
func (h Hash) Bit(k int) bool {
	w, m := bitPos(k)
	return h[w]&m != 0
}

func (h *Hash) setBit(k int) {
	w, m := bitPos(k)
	h[w] |= m
}

// OnesCount returns the number of set bits; PDQ sets about half of them.
func (h Hash) OnesCount() int {
	return bits.OnesCount64(h[0]) + bits.OnesCount64(h[1]) + bits.OnesCount64(h[2]) + bits.OnesCount64(h[3])
}
