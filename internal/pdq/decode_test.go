package pdq

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// exifAPP1 builds an APP1 segment holding a minimal EXIF block whose IFD0
// has one entry: Orientation (0x0112, SHORT) = o, in the given byte order.
func exifAPP1(o uint16, order binary.ByteOrder) []byte {
	var tiff bytes.Buffer
	if order == binary.LittleEndian {
		tiff.WriteString("II")
	} else {
		tiff.WriteString("MM")
	}
	w := func(v any) { _ = binary.Write(&tiff, order, v) }
	w(uint16(42))
	w(uint32(8))      // IFD0 offset
	w(uint16(1))      // one entry
	w(uint16(0x0112)) // Orientation
	w(uint16(3))      // SHORT
	w(uint32(1))      // count
	w(o)
	w(uint16(0)) // value field padding
	w(uint32(0)) // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

// withAPP1 inserts seg right after the JPEG's start-of-image marker.
func withAPP1(jpg, seg []byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestEXIFOrientation(t *testing.T) {
	shown := pattern(240, 160) // the picture as a viewer displays it
	h := NewHasher()
	want, _, _ := h.HashImage(shown)
	w, ht := 240, 160
	tests := []struct {
		name  string
		o     uint16
		order binary.ByteOrder
		// stored(x, y) gives the displayed pixel that a camera stores at
		// (x, y); written out per orientation rather than derived from the
		// code under test.
		sw, sh int
		stored func(x, y int) (int, int)
	}{
		{"1 normal", 1, binary.BigEndian, w, ht, func(x, y int) (int, int) { return x, y }},
		{"2 mirrored", 2, binary.LittleEndian, w, ht, func(x, y int) (int, int) { return w - 1 - x, y }},
		{"3 upside down", 3, binary.BigEndian, w, ht, func(x, y int) (int, int) { return w - 1 - x, ht - 1 - y }},
		{"4 flipped", 4, binary.LittleEndian, w, ht, func(x, y int) (int, int) { return x, ht - 1 - y }},
		{"5 transposed", 5, binary.BigEndian, ht, w, func(x, y int) (int, int) { return y, x }},
		// Camera held upright: the sensor's top row is the picture's right
		// column.
		{"6 rotate cw", 6, binary.LittleEndian, ht, w, func(x, y int) (int, int) { return w - 1 - y, x }},
		{"7 transversed", 7, binary.BigEndian, ht, w, func(x, y int) (int, int) { return w - 1 - y, ht - 1 - x }},
		{"8 rotate ccw", 8, binary.LittleEndian, ht, w, func(x, y int) (int, int) { return y, ht - 1 - x }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stored := image.NewRGBA(image.Rect(0, 0, tc.sw, tc.sh))
			for y := range tc.sh {
				for x := range tc.sw {
					sx, sy := tc.stored(x, y)
					stored.SetRGBA(x, y, shown.RGBAAt(sx, sy))
				}
			}
			data := withAPP1(encodeJPEG(t, stored), exifAPP1(tc.o, tc.order))
			if got := jpegOrientation(data); got != int(tc.o) {
				t.Fatalf("orientation read as %d, want %d", got, tc.o)
			}
			img, err := Decode(bytes.NewReader(data), 0)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != w || b.Dy() != ht {
				t.Fatalf("decoded %dx%d, want %dx%d", b.Dx(), b.Dy(), w, ht)
			}
			got, _, _ := h.HashImage(img)
			if d := got.Distance(want); d > 8 {
				t.Errorf("distance %d from the displayed picture's hash, want <= 8", d)
			}
			if tc.o != 1 {
				plain, err := Decode(bytes.NewReader(encodeJPEG(t, stored)), 0)
				if err != nil {
					t.Fatal(err)
				}
				p, _, _ := h.HashImage(plain)
				if p.Distance(want) <= 32 {
					t.Errorf("without EXIF the stored picture is only %d bits away; test is not discriminating", p.Distance(want))
				}
			}
		})
	}
}

func TestJPEGOrientationMalformed(t *testing.T) {
	good := withAPP1(encodeJPEG(t, pattern(8, 8)), exifAPP1(6, binary.BigEndian))
	seg := exifAPP1(6, binary.BigEndian)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not jpeg", []byte("GIF89a....")},
		{"truncated segment", good[:8]},
		{"bad byte order", withAPP1([]byte{0xFF, 0xD8, 0xFF, 0xD9}, append(append([]byte{}, seg[:10]...), append([]byte("XX"), seg[12:]...)...))},
		{"orientation 9", withAPP1([]byte{0xFF, 0xD8, 0xFF, 0xD9}, exifAPP1(9, binary.LittleEndian))},
		{"no exif", encodeJPEG(t, pattern(8, 8))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := jpegOrientation(tc.data); got != 1 {
				t.Errorf("orientation %d, want 1", got)
			}
		})
	}
}

func TestDecodeFormats(t *testing.T) {
	img := pattern(90, 70)
	var pngBuf, gifBuf bytes.Buffer
	if err := png.Encode(&pngBuf, img); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gifBuf, img, nil); err != nil {
		t.Fatal(err)
	}
	h := NewHasher()
	want, _, _ := h.HashImage(img)
	tests := []struct {
		name    string
		data    []byte
		maxDist int
	}{
		{"png", pngBuf.Bytes(), 0},
		{"jpeg", encodeJPEG(t, img), 12},
		{"gif", gifBuf.Bytes(), 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := h.HashBytes(tc.data, 0)
			if err != nil {
				t.Fatal(err)
			}
			if d := res.PDQ.Distance(want); d > tc.maxDist {
				t.Errorf("distance %d, want <= %d", d, tc.maxDist)
			}
			if res.Width != 90 || res.Height != 70 || len(res.MD5) != 32 || len(res.SHA256) != 64 {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func TestDecodeWebP(t *testing.T) {
	h := NewHasher()
	want := hashFixture(t, h, "testsrc.png")
	tests := []struct {
		file    string
		maxDist int
	}{
		{"testsrc-lossless.webp", 0},
		{"testsrc-lossy.webp", 16},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got := hashFixture(t, h, tc.file)
			t.Logf("distance to the PNG: %d", got.Distance(want))
			if d := got.Distance(want); d > tc.maxDist {
				t.Errorf("distance %d to the PNG, want <= %d", d, tc.maxDist)
			}
		})
	}
}

func hashFixture(t *testing.T, h *Hasher, name string) Hash {
	t.Helper()
	res, err := h.HashFile(filepath.Join("testdata", name), 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Width != 160 || res.Height != 120 {
		t.Fatalf("%s decoded as %dx%d, want 160x120", name, res.Width, res.Height)
	}
	return res.PDQ
}

func TestDecodeLimits(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 100, 100))); err != nil {
		t.Fatal(err)
	}
	small := buf.Bytes()
	// A PNG header claiming 100000 x 100000 pixels, with no data behind it:
	// the limit must trip before the decoder allocates anything.
	bomb := append([]byte{}, small[:33]...)
	binary.BigEndian.PutUint32(bomb[16:], 100000)
	binary.BigEndian.PutUint32(bomb[20:], 100000)
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29]))
	tests := []struct {
		name      string
		data      []byte
		maxPixels int
		want      error
	}{
		{"within limit", small, 10000, nil},
		{"over limit", small, 9999, ErrTooLarge},
		{"bomb header", bomb, 0, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(bytes.NewReader(tc.data), tc.maxPixels)
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := Decode(bytes.NewReader([]byte("not an image")), 0); err == nil {
		t.Error("garbage decoded without error")
	}
}

func FuzzDecode(f *testing.F) {
	img := pattern(24, 16)
	var pngBuf, gifBuf, jpgBuf bytes.Buffer
	_ = png.Encode(&pngBuf, img)
	_ = gif.Encode(&gifBuf, img, nil)
	_ = jpeg.Encode(&jpgBuf, img, nil)
	f.Add(pngBuf.Bytes())
	f.Add(gifBuf.Bytes())
	f.Add(withAPP1(jpgBuf.Bytes(), exifAPP1(6, binary.LittleEndian)))
	for _, name := range []string{"testsrc-lossless.webp", "testsrc-lossy.webp"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02})
	const limit = 1 << 16
	h := NewHasher()
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(bytes.NewReader(data), limit)
		if err != nil {
			return
		}
		b := img.Bounds()
		if b.Dx()*b.Dy() > limit {
			t.Fatalf("decoded %v beyond the %d-pixel limit", b, limit)
		}
		if _, _, err := h.HashImage(img); err != nil && !errors.Is(err, ErrEmptyImage) {
			t.Fatal(err)
		}
	})
}

func TestHashBytesDigestsOnDecodeError(t *testing.T) {
	res, err := NewHasher().HashBytes([]byte("abc"), 0)
	if err == nil {
		t.Fatal("garbage hashed without error")
	}
	// Digests of "abc" from RFC 1321 and FIPS 180-2.
	if res.MD5 != "900150983cd24fb0d6963f7d28e17f72" ||
		res.SHA256 != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("digests %s %s", res.MD5, res.SHA256)
	}
}
