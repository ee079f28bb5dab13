package pdq

import (
	"image"
	"image/color"
)

const (
	kindGeneric = iota
	kindYCbCr
	kindRGBA
	kindNRGBA
	kindGray
	kindPaletted
	kindRGB24
)

// source reads rows of luminance from the common image types without
// per-pixel interface calls. Alpha is ignored, as in the reference, which
// hashes the colour channels of RGBA images as they are stored.
type source struct {
	kind   int
	img    image.Image
	ycc    *image.YCbCr
	pix    []byte
	stride int
	rect   image.Rectangle
	pal    [256]float32
}

func (s *source) set(img image.Image) {
	*s = source{kind: kindGeneric, img: img, rect: img.Bounds()}
	switch m := img.(type) {
	case *image.YCbCr:
		s.kind, s.ycc = kindYCbCr, m
	case *image.NYCbCrA: // lossy WebP with alpha
		s.kind, s.ycc = kindYCbCr, &m.YCbCr
	case *image.RGBA:
		// Premultiplied, but decoders only produce it for opaque images.
		s.kind, s.pix, s.stride = kindRGBA, m.Pix, m.Stride
	case *image.NRGBA:
		s.kind, s.pix, s.stride = kindNRGBA, m.Pix, m.Stride
	case *image.Gray:
		s.kind, s.pix, s.stride = kindGray, m.Pix, m.Stride
	case *image.Paletted:
		s.kind, s.pix, s.stride = kindPaletted, m.Pix, m.Stride
		for i, c := range m.Palette {
			if i == len(s.pal) {
				break
			}
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			s.pal[i] = luma8(n.R, n.G, n.B)
		}
	}
}

func luma8(r, g, b uint8) float32 {
	return lumaR*float32(r) + lumaG*float32(g) + lumaB*float32(b)
}

// lumaRow writes the luminance of image row y (absolute coordinate) to dst,
// whose length is the image width.
func (s *source) lumaRow(y int, dst []float32) {
	r := s.rect
	switch s.kind {
	case kindRGBA, kindNRGBA, kindRGB24:
		n := 4
		if s.kind == kindRGB24 {
			n = 3
		}
		p := s.pix[(y-r.Min.Y)*s.stride:]
		p = p[:n*len(dst)]
		for x := range dst {
			q := p[n*x : n*x+3]
			dst[x] = luma8(q[0], q[1], q[2])
		}
	case kindGray:
		p := s.pix[(y-r.Min.Y)*s.stride:]
		p = p[:len(dst)]
		for x, v := range p {
			// The reference weights sum to 1, so grey stays grey.
			dst[x] = luma8(v, v, v)
		}
	case kindPaletted:
		p := s.pix[(y-r.Min.Y)*s.stride:]
		p = p[:len(dst)]
		for x, v := range p {
			dst[x] = s.pal[v]
		}
	case kindYCbCr:
		s.yccRow(y, dst)
	default:
		for x := range dst {
			c := color.NRGBAModel.Convert(s.img.At(r.Min.X+x, y)).(color.NRGBA)
			dst[x] = luma8(c.R, c.G, c.B)
		}
	}
}

func (s *source) yccRow(y int, dst []float32) {
	m := s.ycc
	r := m.Rect
	yp := m.Y[m.YOffset(r.Min.X, y):]
	yp = yp[:len(dst)]
	c0 := m.COffset(r.Min.X, y)
	var shift uint
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
		shift = 1
	case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		shift = 2
	}
	// Chroma columns are counted from the first column of the chroma block
	// that holds r.Min.X, as image.YCbCr.COffset does.
	base := r.Min.X >> shift
	for x := range dst {
		ci := c0 + (r.Min.X+x)>>shift - base
		red, green, blue := color.YCbCrToRGB(yp[x], m.Cb[ci], m.Cr[ci])
		dst[x] = luma8(red, green, blue)
	}
}
