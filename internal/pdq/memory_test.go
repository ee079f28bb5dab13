package pdq

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// pngChunk appends one PNG chunk with its CRC.
func pngChunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

// bigPNG16 writes a w x h 16-bit RGB PNG a row at a time: blocks of
// gradients whose rows repeat, so that 10000 x 10000 (800 MB decoded by the
// standard library) compresses to well under a megabyte, the shape of a
// decompression bomb that passes a pixel limit.
func bigPNG16(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 16, 2 // depth, truecolour
	out := pngChunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr[:])
	var idat bytes.Buffer
	zw, err := zlib.NewWriterLevel(&idat, zlib.BestSpeed)
	if err != nil {
		tb.Fatal(err)
	}
	row := make([]byte, 1+6*w)
	up := make([]byte, 1+6*w)
	up[0] = 2 // filter Up: a row equal to the one above is all zeros
	for y := range h {
		if y%(h/8) == 0 {
			row[0] = 0
			for x := range w {
				v := uint16((x / (w / 8) * 8191) ^ (y / (h / 8) * 9000))
				binary.BigEndian.PutUint16(row[1+6*x:], v)
				binary.BigEndian.PutUint16(row[3+6*x:], v/2)
				binary.BigEndian.PutUint16(row[5+6*x:], ^v)
			}
			zw.Write(row)
			continue
		}
		zw.Write(up)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	out = pngChunk(out, "IDAT", idat.Bytes())
	return pngChunk(out, "IEND", nil)
}

// bigJPEG encodes a w x h photo-like pattern, with EXIF orientation o when
// o > 1.
func bigJPEG(tb testing.TB, w, h int, o uint16) []byte {
	tb.Helper()
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			img.Y[y*img.YStride+x] = uint8((x/64 + y/48) * 37)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		tb.Fatal(err)
	}
	if o > 1 {
		return withAPP1(buf.Bytes(), exifAPP1(o, binary.BigEndian))
	}
	return buf.Bytes()
}

// memUse reports what f allocated and the peak of live heap objects above
// the level before it, sampled every half millisecond.
func memUse(f func()) (allocated, peak uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	base := read()
	top := base
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(500 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				top = max(top, read())
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	top = max(top, read())
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, top - base
}

// memCases are the large images whose decoding must stay within a memory
// budget whatever their pixel format: bytes, not only pixels, count.
var memCases = []struct {
	name   string
	make   func(testing.TB) []byte
	budget uint64 // allocated bytes allowed for one hash
}{
	// 10000 x 10000 x 8 bytes through the standard decoder: 1.6 GB.
	{"png16-10000x10000", func(tb testing.TB) []byte { return bigPNG16(tb, 10000, 10000) }, 64 << 20},
	// The standard JPEG decoder holds the whole 4:2:0 image (36 MB here);
	// nothing more may be made of it, even when it must be turned.
	{"jpeg-6000x4000", func(tb testing.TB) []byte { return bigJPEG(tb, 6000, 4000, 1) }, 64 << 20},
	{"jpeg-6000x4000-rotated", func(tb testing.TB) []byte { return bigJPEG(tb, 6000, 4000, 6) }, 64 << 20},
}

// TestHashMemoryBounded hashes large images and checks what the hasher
// allocates for each.
func TestHashMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and hashes images of up to 100 megapixels")
	}
	for _, tc := range memCases {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.make(t)
			h := NewHasher()
			var err error
			alloc, peak := memUse(func() { _, err = h.HashBytes(data, 0) })
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d KB file: %d MB allocated, peak live heap %d MB", len(data)>>10, alloc>>20, peak>>20)
			if alloc > tc.budget {
				t.Errorf("hashing allocated %d MB, budget %d MB", alloc>>20, tc.budget>>20)
			}
		})
	}
}

// BenchmarkHashLarge reports time and memory of hashing the memCases
// images; peak-MB is the sampled peak of live heap during one hash.
func BenchmarkHashLarge(b *testing.B) {
	for _, tc := range memCases {
		b.Run(tc.name, func(b *testing.B) {
			data := tc.make(b)
			h := NewHasher()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				_, p := memUse(func() {
					if _, err := h.HashBytes(data, 0); err != nil {
						b.Fatal(err)
					}
				})
				peak = max(peak, p)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
		})
	}
}
