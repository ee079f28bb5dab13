package pdq

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"image/jpeg"
	"image/png"
	"testing"
)

// rawPNG is a PNG to write sample by sample, in any colour type, depth and
// interlace, which image/png cannot all write.
type rawPNG struct {
	w, h, depth, colour int
	interlaced          bool
	plte, trns          []byte
	// sample returns channel ch of pixel (x, y), below 1<<depth.
	sample func(x, y, ch int) uint16
	filter byte // applied to every row; 0-4
}

func (r rawPNG) encode(tb testing.TB) []byte {
	tb.Helper()
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(r.w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(r.h))
	ihdr[8], ihdr[9] = byte(r.depth), byte(r.colour)
	if r.interlaced {
		ihdr[12] = 1
	}
	out := pngChunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr[:])
	if r.plte != nil {
		out = pngChunk(out, "PLTE", r.plte)
	}
	if r.trns != nil {
		out = pngChunk(out, "tRNS", r.trns)
	}
	passes := adam7[:]
	if !r.interlaced {
		passes = []struct{ x0, y0, dx, dy int }{{0, 0, 1, 1}}
	}
	n := pngChannels(r.colour)
	bpp := max(1, r.depth*n/8)
	var raw bytes.Buffer
	for _, ps := range passes {
		pw, ph := (r.w-ps.x0+ps.dx-1)/ps.dx, (r.h-ps.y0+ps.dy-1)/ps.dy
		if pw <= 0 || ph <= 0 {
			continue
		}
		prev := make([]byte, (pw*r.depth*n+7)/8)
		for j := range ph {
			row := make([]byte, len(prev))
			bit := 0
			for i := range pw {
				for ch := range n {
					v := r.sample(ps.x0+i*ps.dx, ps.y0+j*ps.dy, ch)
					if r.depth == 16 {
						binary.BigEndian.PutUint16(row[bit/8:], v)
					} else {
						row[bit/8] |= byte(v) << (8 - r.depth - bit%8)
					}
					bit += r.depth
				}
			}
			raw.WriteByte(r.filter)
			raw.Write(filterRow(r.filter, row, prev, bpp))
			prev = row
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	out = pngChunk(out, "IDAT", z.Bytes())
	return pngChunk(out, "IEND", nil)
}

// filterRow applies PNG filter f to row, whose unfiltered predecessor is
// prev.
func filterRow(f byte, row, prev []byte, bpp int) []byte {
	out := make([]byte, len(row))
	for i := range row {
		var a, c int
		if i >= bpp {
			a, c = int(row[i-bpp]), int(prev[i-bpp])
		}
		b := int(prev[i])
		var pred int
		switch f {
		case 1:
			pred = a
		case 2:
			pred = b
		case 3:
			pred = (a + b) / 2
		case 4:
			pred = int(paeth(a, b, c))
		}
		out[i] = row[i] - byte(pred)
	}
	return out
}

// TestPNGRowsMatchDecoder checks that the row-at-a-time PNG decoder gives
// every colour type, depth, filter and interlace the hash the standard
// decoder's image gets, bit for bit.
func TestPNGRowsMatchDecoder(t *testing.T) {
	plte := make([]byte, 3*200)
	for i := range plte {
		plte[i] = byte(i * 7)
	}
	trnsPal := []byte{0, 128, 255, 3}
	for _, size := range [][2]int{{37, 29}, {700, 300}} {
		for _, c := range []struct {
			colour, depth int
			plte, trns    []byte
		}{
			{0, 1, nil, nil}, {0, 2, nil, nil}, {0, 4, nil, nil}, {0, 8, nil, nil}, {0, 16, nil, nil},
			{0, 4, nil, []byte{0, 3}}, {0, 16, nil, []byte{0x12, 0x34}},
			{2, 8, nil, nil}, {2, 16, nil, nil}, {2, 8, nil, []byte{0, 1, 0, 2, 0, 3}}, {2, 16, nil, []byte{0x12, 0x34, 0, 0, 0xff, 0xff}},
			{3, 1, plte[:6], nil}, {3, 2, plte[:12], nil}, {3, 4, plte[:48], trnsPal}, {3, 8, plte, trnsPal},
			{4, 8, nil, nil}, {4, 16, nil, nil},
			{6, 8, nil, nil}, {6, 16, nil, nil},
		} {
			for _, interlaced := range []bool{false, true} {
				name := fmt.Sprintf("%dx%d/colour%d-depth%d-trns%v-interlaced%v", size[0], size[1], c.colour, c.depth, c.trns != nil, interlaced)
				t.Run(name, func(t *testing.T) {
					max := uint16(1<<c.depth - 1)
					r := rawPNG{w: size[0], h: size[1], depth: c.depth, colour: c.colour, interlaced: interlaced, plte: c.plte, trns: c.trns,
						filter: byte((size[0] + c.colour + c.depth) % 5),
						sample: func(x, y, ch int) uint16 {
							if c.colour == 3 {
								return uint16(x/3+y/5) % uint16(len(c.plte)/3)
							}
							v := uint32(x*40503+y*9973+ch*26699) ^ uint32(x*y)
							if ch == 1 && (c.colour == 4 || c.colour == 6) || ch == 3 {
								// alpha: opaque, transparent and translucent
								return []uint16{max, 0, max / 3, max}[(x/7+y/11)%4]
							}
							return uint16(v % (uint32(max) + 1))
						}}
					data := r.encode(t)
					img, err := png.Decode(bytes.NewReader(data))
					if err != nil {
						t.Fatalf("image/png rejects the test file: %v", err)
					}
					h := NewHasher()
					want, wantQ, err := h.HashImage(img)
					if err != nil {
						t.Fatal(err)
					}
					res, err := h.HashBytes(data, 0)
					if err != nil {
						t.Fatal(err)
					}
					// Interlaced rows of a shrunk image are summed in another
					// order: float rounding may move a bit.
					tolerance := 0
					if interlaced && size[0] > MaxSide {
						tolerance = 2
					}
					if d := res.PDQ.Distance(want); d > tolerance || (tolerance == 0 && res.Quality != wantQ) {
						t.Errorf("hash %v quality %d, the standard decoder's image %v quality %d: distance %d", res.PDQ, res.Quality, want, wantQ, d)
					}
					if res.Width != size[0] || res.Height != size[1] {
						t.Errorf("size %dx%d", res.Width, res.Height)
					}
				})
			}
		}
	}
}

// TestPNGErrors checks that broken PNGs fail with an error, digests kept.
func TestPNGErrors(t *testing.T) {
	good := rawPNG{w: 20, h: 10, depth: 8, colour: 2, sample: func(x, y, ch int) uint16 { return uint16(x * y * ch) }}.encode(t)
	idat := bytes.Index(good, []byte("IDAT"))
	badFilter := rawPNG{w: 20, h: 10, depth: 8, colour: 2, filter: 9, sample: func(x, y, ch int) uint16 { return 0 }}.encode(t)
	// A second IHDR after the one the pixel limit checked.
	twoHeaders := bytes.Clone(good[:33])
	var big [13]byte
	copy(big[:], good[16:29])
	binary.BigEndian.PutUint32(big[0:], 1<<20)
	binary.BigEndian.PutUint32(big[4:], 1<<20)
	twoHeaders = append(pngChunk(twoHeaders, "IHDR", big[:]), good[33:]...)
	badCRC := bytes.Clone(good)
	badCRC[idat+6] ^= 0xff
	for name, data := range map[string][]byte{
		"truncated":       good[:idat+20],
		"bad checksum":    badCRC,
		"bad filter":      badFilter,
		"palette no PLTE": rawPNG{w: 4, h: 4, depth: 8, colour: 3, sample: func(x, y, ch int) uint16 { return 0 }}.encode(t),
	} {
		t.Run(name, func(t *testing.T) {
			res, err := NewHasher().HashBytes(data, 0)
			if err == nil {
				t.Fatal("no error")
			}
			if res.SHA256 == "" {
				t.Error("digests lost")
			}
		})
	}
}

// FuzzHashBytes feeds the whole hashing path, the row-at-a-time PNG decoder
// above all, with mutated images: it may refuse them, never panic, and the
// hash of a PNG the standard decoder accepts is the hash of its image.
func FuzzHashBytes(f *testing.F) {
	sample := func(x, y, ch int) uint16 { return uint16(x*31 + y*17 + ch*5) }
	plte := []byte{0, 0, 0, 255, 255, 255, 10, 200, 30, 90, 60, 250}
	for _, r := range []rawPNG{
		{w: 9, h: 7, depth: 8, colour: 2, sample: sample, filter: 4},
		{w: 9, h: 7, depth: 16, colour: 6, interlaced: true, sample: sample, filter: 3},
		{w: 11, h: 5, depth: 2, colour: 3, plte: plte, trns: []byte{0, 9}, sample: func(x, y, ch int) uint16 { return uint16(x+y) % 4 }, filter: 1},
		{w: 13, h: 3, depth: 1, colour: 0, interlaced: true, sample: func(x, y, ch int) uint16 { return uint16(x^y) & 1 }, filter: 2},
		{w: 5, h: 5, depth: 16, colour: 0, trns: []byte{0, 17}, sample: sample},
	} {
		f.Add(r.encode(f))
	}
	var jpgBuf bytes.Buffer
	_ = jpeg.Encode(&jpgBuf, pattern(24, 16), nil)
	f.Add(withAPP1(jpgBuf.Bytes(), exifAPP1(6, binary.LittleEndian)))
	const limit = 1 << 16
	h := NewHasher()
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := h.HashBytes(data, limit)
		if err != nil {
			return
		}
		if res.Width*res.Height > limit {
			t.Fatalf("hashed %dx%d beyond the %d-pixel limit", res.Width, res.Height, limit)
		}
		if !bytes.HasPrefix(data, []byte("\x89PNG")) {
			return
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		want, _, err := h.HashImage(img)
		interlaced := len(data) > 28 && data[28] == 1
		if err == nil && want != res.PDQ && !(interlaced && res.Width > MaxSide) {
			t.Fatalf("hash %v, the standard decoder's image hashes %v", res.PDQ, want)
		}
	})
}
