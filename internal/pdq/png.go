package pdq

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// errPNG reports a PNG file this package cannot read.
var errPNG = errors.New("pdq: bad png")

// pngHeader is what a PNG declares before its pixels.
type pngHeader struct {
	w, h       int
	depth      int // bits a sample
	colour     int // 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA
	interlaced bool
	pal        [256]float32 // luminance of each palette entry; opaque black past PLTE
	palLen     int
	trns       []byte // tRNS chunk: the transparent grey or RGB key of 16-bit images matters
	idat       [][]byte
}

// channels returns the samples a pixel of colour type c has.
func pngChannels(c int) int {
	return map[int]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[c]
}

// parsePNG reads the chunks of a PNG held in memory, keeping references to
// its image data rather than copies.
func parsePNG(data []byte) (*pngHeader, error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(data, []byte(sig)) {
		return nil, fmt.Errorf("%w: no signature", errPNG)
	}
	p := &pngHeader{}
	seenIHDR := false
	for rest := data[len(sig):]; ; {
		if len(rest) < 12 {
			return nil, fmt.Errorf("%w: truncated before IEND", errPNG)
		}
		n := binary.BigEndian.Uint32(rest)
		if uint64(n) > uint64(len(rest)-12) {
			return nil, fmt.Errorf("%w: chunk of %d bytes overruns the file", errPNG, n)
		}
		typ, body := string(rest[4:8]), rest[8:8+n]
		if crc32.ChecksumIEEE(rest[4:8+n]) != binary.BigEndian.Uint32(rest[8+n:]) {
			return nil, fmt.Errorf("%w: %s chunk checksum mismatch", errPNG, typ)
		}
		rest = rest[12+n:]
		if !seenIHDR && typ != "IHDR" {
			return nil, fmt.Errorf("%w: %s chunk before IHDR", errPNG, typ)
		}
		switch typ {
		case "IHDR":
			// A second header could declare a size the pixel limit never saw.
			if seenIHDR {
				return nil, fmt.Errorf("%w: second IHDR", errPNG)
			}
			if err := p.readIHDR(body); err != nil {
				return nil, err
			}
			seenIHDR = true
		case "PLTE":
			if len(body)%3 != 0 || len(body) > 3*256 {
				return nil, fmt.Errorf("%w: PLTE of %d bytes", errPNG, len(body))
			}
			p.palLen = len(body) / 3
			for i := range p.palLen {
				p.pal[i] = luma8(body[3*i], body[3*i+1], body[3*i+2])
			}
		case "tRNS":
			p.trns = body
		case "IDAT":
			p.idat = append(p.idat, body)
		case "IEND":
			if len(p.idat) == 0 {
				return nil, fmt.Errorf("%w: no image data", errPNG)
			}
			if p.colour == 3 && p.palLen == 0 {
				return nil, fmt.Errorf("%w: palette image without PLTE", errPNG)
			}
			return p, nil
		}
	}
}

func (p *pngHeader) readIHDR(b []byte) error {
	if len(b) != 13 {
		return fmt.Errorf("%w: IHDR of %d bytes", errPNG, len(b))
	}
	w, h := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
	if w == 0 || h == 0 || w > 1<<31-1 || h > 1<<31-1 {
		return fmt.Errorf("%w: %dx%d", errPNG, w, h)
	}
	p.w, p.h, p.depth, p.colour = int(w), int(h), int(b[8]), int(b[9])
	valid := map[int][]int{0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}[p.colour]
	ok := false
	for _, d := range valid {
		ok = ok || d == p.depth
	}
	if !ok || b[10] != 0 || b[11] != 0 || b[12] > 1 {
		return fmt.Errorf("%w: unsupported colour type %d, depth %d, compression %d, filter %d or interlace %d",
			errPNG, p.colour, p.depth, b[10], b[11], b[12])
	}
	p.interlaced = b[12] == 1
	return nil
}

// adam7 lists the interlace passes: first pixel and step along x and y.
var adam7 = [7]struct{ x0, y0, dx, dy int }{
	{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2},
}

// lumaPNG decodes a PNG a row at a time into the luminance grid, giving
// each pixel the luminance the standard decoder's image would have (see
// source), without ever holding more than two rows of it: a 16-bit PNG of
// 10000 x 10000 pixels would take 800 MB decoded whole.
func (h *Hasher) lumaPNG(data []byte, maxPixels int) (rows, cols, w, ht int, err error) {
	p, err := parsePNG(data)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if int64(p.w)*int64(p.h) > int64(maxPixels) {
		return 0, 0, 0, 0, fmt.Errorf("%w: png %dx%d exceeds %d pixels", ErrTooLarge, p.w, p.h, maxPixels)
	}
	readers := make([]io.Reader, len(p.idat))
	for i, b := range p.idat {
		readers[i] = bytes.NewReader(b)
	}
	zr, err := zlib.NewReader(io.MultiReader(readers...))
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("%w: %w", errPNG, err)
	}
	defer zr.Close()
	rows, cols = h.startLuma(p.w, p.h)
	bitsPP := p.depth * pngChannels(p.colour)
	bpp := max(1, bitsPP/8) // bytes a filter looks back
	passes := adam7[:]
	if !p.interlaced {
		passes = []struct{ x0, y0, dx, dy int }{{0, 0, 1, 1}}
	}
	rowLen := 1 + (p.w*bitsPP+7)/8
	cur, prev := make([]byte, rowLen), make([]byte, rowLen)
	h.row = grow(h.row, p.w)
	for _, ps := range passes {
		pw, ph := (p.w-ps.x0+ps.dx-1)/ps.dx, (p.h-ps.y0+ps.dy-1)/ps.dy
		if pw <= 0 || ph <= 0 {
			continue
		}
		n := 1 + (pw*bitsPP+7)/8
		clear(prev[:n])
		for j := range ph {
			if _, err := io.ReadFull(zr, cur[:n]); err != nil {
				return 0, 0, 0, 0, fmt.Errorf("%w: row %d: %w", errPNG, ps.y0+j*ps.dy, err)
			}
			if err := unfilter(cur[:n], prev[:n], bpp); err != nil {
				return 0, 0, 0, 0, err
			}
			vals := h.row[:pw]
			p.lumaRow(cur[1:n], vals)
			h.addLuma(ps.y0+j*ps.dy, ps.x0, ps.dx, vals)
			cur, prev = prev, cur
		}
	}
	h.finishLuma()
	return rows, cols, p.w, p.h, nil
}

// unfilter reverses the PNG filter of row (its first byte names it) in
// place; prev is the previous row of the pass, unfiltered.
func unfilter(row, prev []byte, bpp int) error {
	cdat, pdat := row[1:], prev[1:]
	switch row[0] {
	case 0:
	case 1: // Sub
		for i := bpp; i < len(cdat); i++ {
			cdat[i] += cdat[i-bpp]
		}
	case 2: // Up
		for i, p := range pdat {
			cdat[i] += p
		}
	case 3: // Average
		for i := range bpp {
			cdat[i] += pdat[i] / 2
		}
		for i := bpp; i < len(cdat); i++ {
			cdat[i] += uint8((int(cdat[i-bpp]) + int(pdat[i])) / 2)
		}
	case 4: // Paeth
		for i := range cdat {
			var a, c int
			if i >= bpp {
				a, c = int(cdat[i-bpp]), int(pdat[i-bpp])
			}
			cdat[i] += paeth(a, int(pdat[i]), c)
		}
	default:
		return fmt.Errorf("%w: filter type %d", errPNG, row[0])
	}
	return nil
}

// paeth is the PNG Paeth predictor of the sample whose left, upper and
// upper-left neighbours are a, b and c.
func paeth(a, b, c int) uint8 {
	p := a + b - c
	pa, pb, pc := absInt(p-a), absInt(p-b), absInt(p-c)
	switch {
	case pa <= pb && pa <= pc:
		return uint8(a)
	case pb <= pc:
		return uint8(b)
	}
	return uint8(c)
}

// lumaRow converts one unfiltered row of samples to luminance. It follows
// what image/png builds and source then reads: 8-bit samples as they are
// (alpha ignored), grey of fewer bits scaled to 8, and 16-bit samples
// through color.NRGBAModel, which keeps the high byte of opaque samples,
// un-premultiplies translucent ones and blacks out transparent ones.
func (p *pngHeader) lumaRow(b []byte, dst []float32) {
	switch {
	case p.depth < 8: // grey or palette, packed
		per := 8 / p.depth
		mask := byte(1<<p.depth - 1)
		scale := byte(0xff / mask)
		for x := range dst {
			v := b[x/per] >> (8 - p.depth*(x%per+1)) & mask
			if p.colour == 3 {
				dst[x] = p.pal[v]
			} else {
				dst[x] = luma8(v*scale, v*scale, v*scale)
			}
		}
	case p.colour == 3:
		for x := range dst {
			dst[x] = p.pal[b[x]]
		}
	case p.depth == 8:
		n := pngChannels(p.colour)
		for x := range dst {
			q := b[n*x:]
			if p.colour == 0 || p.colour == 4 {
				dst[x] = luma8(q[0], q[0], q[0])
			} else {
				dst[x] = luma8(q[0], q[1], q[2])
			}
		}
	default: // 16 bits
		n := pngChannels(p.colour)
		for x := range dst {
			q := b[2*n*x:]
			s := func(i int) uint32 { return uint32(q[2*i])<<8 | uint32(q[2*i+1]) }
			var r, g, bl, a uint32
			switch p.colour {
			case 0:
				r, a = s(0), 0xffff
				if len(p.trns) >= 2 && r == uint32(p.trns[0])<<8|uint32(p.trns[1]) {
					a = 0
				}
				g, bl = r, r
			case 2:
				r, g, bl, a = s(0), s(1), s(2), 0xffff
				if len(p.trns) >= 6 && r == uint32(p.trns[0])<<8|uint32(p.trns[1]) &&
					g == uint32(p.trns[2])<<8|uint32(p.trns[3]) && bl == uint32(p.trns[4])<<8|uint32(p.trns[5]) {
					a = 0
				}
			case 4:
				r, a = s(0), s(1)
				g, bl = r, r
			case 6:
				r, g, bl, a = s(0), s(1), s(2), s(3)
			}
			dst[x] = luma8(nrgba8(r, a), nrgba8(g, a), nrgba8(bl, a))
		}
	}
}

// nrgba8 is the 8-bit sample color.NRGBAModel makes of a 16-bit
// non-premultiplied sample v of alpha a, by way of color.NRGBA64's
// premultiplied RGBA.
func nrgba8(v, a uint32) uint8 {
	switch a {
	case 0xffff:
		return uint8(v >> 8)
	case 0:
		return 0
	}
	v = v * a / 0xffff
	return uint8(v * 0xffff / a >> 8)
}
