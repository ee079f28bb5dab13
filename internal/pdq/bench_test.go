package pdq

import (
	"image"
	"os"
	"path/filepath"
	"testing"

	"github.com/raqib-project/raqib/internal/shareddata"
)

// BenchmarkHash512 hashes an already decoded 512x512 picture, in the
// YCbCr 4:2:0 form the JPEG decoder returns, with all eight dihedral hashes.
func BenchmarkHash512(b *testing.B) {
	img := yccOf(pattern(512, 512), image.YCbCrSubsampleRatio420)
	h := NewHasher()
	_, _, _ = h.Dihedral(img) // size the buffers
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := h.Dihedral(img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHash512RGBA is BenchmarkHash512 for an RGBA picture and a single
// hash, to separate colour conversion from the rest.
func BenchmarkHash512RGBA(b *testing.B) {
	img := pattern(512, 512)
	h := NewHasher()
	_, _, _ = h.HashImage(img) // size the buffers
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := h.HashImage(img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHashJPEG hashes a real 1600x1004 photo from its JPEG bytes:
// decoding, digests and PDQ.
func BenchmarkHashJPEG(b *testing.B) {
	path := shareddata.Need(b, "pdq-vectors", "pdq", "data", "bridge-mods", "aaa-orig.jpg")
	data, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		b.Fatal(err)
	}
	h := NewHasher()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.HashBytes(data, 0); err != nil {
			b.Fatal(err)
		}
	}
}
