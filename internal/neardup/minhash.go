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

func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Sign returns the signature of text; ok is false when the text has no
// letters or digits at all.
//
// It is one-permutation MinHash with optimal densification (Shrivastava,
// ICML 2017): one hash per shingle picks a bin by its high bits and
// competes for the bin's minimum with its low ones, instead of 128
// permutations per shingle; an empty bin copies the bin that a fixed
// sequence of probes, depending only on the bin, finds filled. Equal
// positions of two signatures estimate the Jaccard similarity of the
// shingle sets as 128 permutations do, at one hash per shingle.
func Sign(text string) (sig Signature, ok bool) {
	var buf [256]uint64
	sh := shingles(text, buf[:0])
	if len(sh) == 0 {
		return sig, false
	}
	var filled [NumHashes]bool
	for i := range sig {
		sig[i] = math.MaxUint32
	}
	for _, x := range sh {
		h := mix(x ^ signSeed)
		bin := (h >> 32) * NumHashes >> 32
		sig[bin], filled[bin] = min(sig[bin], uint32(h)), true
	}
	for i := range sig {
		if filled[i] {
			continue
		}
		for probe := uint64(1); ; probe++ {
			j := mix(uint64(i)<<32|probe^signSeed) % NumHashes
			if filled[j] {
				sig[i] = sig[j]
				break
			}
		}
	}
	return sig, true
}

// signSeed fixes the hash of the signatures, so that they are stable
// across runs and can be stored.
const signSeed = 0x72617169622d6e64 // "raqib-nd"

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
const sigVersion = 2

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
