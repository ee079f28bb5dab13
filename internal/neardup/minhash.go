package neardup

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Signature sizes. 128 hashes in 32 bands of 4 rows put the LSH threshold,
// (1/32)^(1/4), at about 0.42: a pair with Jaccard 0.6 becomes a candidate
// with probability 1-(1-0.6^4)^32 = 0.99 and one at 0.2 with 0.05. The
// candidates are then verified against the threshold, so the low LSH
// threshold buys recall at the cost of a few extra comparisons.
const (
	NumHashes = 128
	Bands     = 32
	Rows      = NumHashes / Bands
)

// Signature is the MinHash signature of a text.
type Signature [NumHashes]uint32

// permutation i maps a mixed shingle hash x to (a_i*x + b_i) mod 2^64 and
// keeps the high 32 bits: a bijection on 64 bits (a_i is odd) standing in
// for a random permutation. The constants come from a fixed seed, so
// signatures are stable across runs and can be stored.
var permA, permB = func() (a, b [NumHashes]uint64) {
	s := uint64(0x72617169622d6e64) // "raqib-nd"
	for i := range a {
		a[i] = splitmix(&s) | 1
		b[i] = splitmix(&s)
	}
	return a, b
}()

func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	return mix(*s)
}

func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Sign returns the signature of text; ok is false when the text has no
// letters or digits at all.
func Sign(text string) (sig Signature, ok bool) {
	var buf [256]uint64
	sh := shingles(text, buf[:0])
	if len(sh) == 0 {
		return sig, false
	}
	for i, x := range sh {
		sh[i] = mix(x)
	}
	// Four permutations at a time over all shingles: the minima stay in
	// registers, and four independent chains keep the multiplier busy.
	for i := 0; i < NumHashes; i += 4 {
		a0, a1, a2, a3 := permA[i], permA[i+1], permA[i+2], permA[i+3]
		b0, b1, b2, b3 := permB[i], permB[i+1], permB[i+2], permB[i+3]
		m0, m1, m2, m3 := uint32(math.MaxUint32), uint32(math.MaxUint32), uint32(math.MaxUint32), uint32(math.MaxUint32)
		for _, x := range sh {
			m0 = min(m0, uint32((a0*x+b0)>>32))
			m1 = min(m1, uint32((a1*x+b1)>>32))
			m2 = min(m2, uint32((a2*x+b2)>>32))
			m3 = min(m3, uint32((a3*x+b3)>>32))
		}
		sig[i], sig[i+1], sig[i+2], sig[i+3] = m0, m1, m2, m3
	}
	return sig, true
}

// Similarity is the fraction of equal signature positions, an unbiased
// estimate of the Jaccard similarity of the two shingle sets.
func Similarity(a, b *Signature) float64 {
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / NumHashes
}

// bandKey hashes band j of sig, with j mixed in so one table serves every
// band.
func bandKey(sig *Signature, j int) uint64 {
	h := uint64(fnvOffset) ^ uint64(j)
	for _, v := range sig[j*Rows : (j+1)*Rows] {
		h = mix(h ^ uint64(v))
	}
	return h
}

// sigVersion is the first byte of an encoded signature. It changes with
// whatever changes signatures (shingles, permutations, sizes), so that a
// stored signature of another version is refused rather than compared.
const sigVersion = 1

// EncodedSize is the length of an encoded signature.
const EncodedSize = 1 + 4*NumHashes

// AppendBinary implements encoding.BinaryAppender: a version byte, then the
// hashes as little-endian uint32s.
func (s *Signature) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, sigVersion)
	for _, v := range s {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b, nil
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (s *Signature) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(make([]byte, 0, EncodedSize))
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler; it refuses data of
// another length or version with ErrBadSignature.
func (s *Signature) UnmarshalBinary(b []byte) error {
	if len(b) != EncodedSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrBadSignature, len(b), EncodedSize)
	}
	if b[0] != sigVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrBadSignature, b[0], sigVersion)
	}
	for i := range s {
		s[i] = binary.LittleEndian.Uint32(b[1+4*i:])
	}
	return nil
}
