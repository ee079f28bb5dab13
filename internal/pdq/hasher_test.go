package pdq

import (
	"errors"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
	"testing"
)

// pattern returns a deterministic w x h test picture: a sum of waves at
// the spatial frequencies PDQ keeps (1-8 cycles per side), with no
// symmetry, so every rotation and flip differs and small distortions
// such as JPEG compression move few bits.
func pattern(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			u, v := float64(x)/float64(w), float64(y)/float64(h)
			var s float64
			for k := 1; k <= 8; k++ {
				fk := float64(k)
				s += 40 / fk * math.Sin(2*math.Pi*(fk*u+0.7*fk*v*v)+fk*fk)
				s += 40 / fk * math.Cos(2*math.Pi*(0.6*fk*u*u+fk*v)+3*fk)
			}
			base := 128 + s + 30*u*v
			r := clamp8(base + 20*math.Sin(7*u))
			g := clamp8(base)
			b := clamp8(base - 20*math.Cos(5*v))
			img.SetRGBA(x, y, color.RGBA{r, g, b, 255})
		}
	}
	return img
}

func clamp8(v float64) uint8 { return uint8(max(0, min(255, v))) }

// transformed returns img as the given dihedral variant would show it.
func transformed(img *image.RGBA, v int) *image.RGBA {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	// Variant -> EXIF orientation with the same effect on the picture.
	o := [8]int{Original: 1, Rotate90: 8, Rotate180: 3, Rotate270: 6, FlipX: 4, FlipY: 2, FlipPlus1: 5, FlipMinus1: 7}[v]
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		for x := range w {
			dx, dy := orientPoint(o, x, y, w, h)
			out.SetRGBA(dx, dy, img.RGBAAt(x, y))
		}
	}
	return out
}

func TestDihedralSynthetic(t *testing.T) {
	// At 320 pixels the box width (3) is odd and the decimation grid is
	// centred, so each variant's DCT is the original's up to rounding.
	img := pattern(320, 320)
	h := NewHasher()
	vs, q, err := h.Dihedral(img)
	if err != nil {
		t.Fatal(err)
	}
	if q < 50 {
		t.Errorf("quality %d of a detailed picture, want >= 50", q)
	}
	names := [8]string{"original", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1"}
	for v, name := range names {
		t.Run(name, func(t *testing.T) {
			got, _, err := h.HashImage(transformed(img, v))
			if err != nil {
				t.Fatal(err)
			}
			if d := got.Distance(vs[v]); d > 2 {
				t.Errorf("hash of the transformed picture is %d bits from the derived variant", d)
			}
			if v != Original && vs[v].Distance(vs[Original]) < 64 {
				t.Errorf("variant only %d bits from the original", vs[v].Distance(vs[Original]))
			}
		})
	}
}

func TestImageTypesAgree(t *testing.T) {
	// Every fast path must read the same colours as converting the image
	// to RGBA with the standard library.
	rgba := pattern(200, 150)
	b := rgba.Bounds()
	nrgba := image.NewNRGBA(b)
	draw.Draw(nrgba, b, rgba, b.Min, draw.Src)
	rgba64 := image.NewRGBA64(b)
	draw.Draw(rgba64, b, rgba, b.Min, draw.Src)
	gray := image.NewGray(b)
	draw.Draw(gray, b, rgba, b.Min, draw.Src)
	pal := image.NewPaletted(b, palette256())
	draw.Draw(pal, b, rgba, b.Min, draw.Src)
	canvas := image.NewRGBA(image.Rect(0, 0, 260, 190))
	draw.Draw(canvas, b.Add(image.Pt(30, 20)), rgba, b.Min, draw.Src)
	sub := canvas.SubImage(b.Add(image.Pt(30, 20)))

	h := NewHasher()
	tests := []struct {
		name string
		img  image.Image
	}{
		{"rgba", rgba},
		{"nrgba", nrgba},
		{"rgba64 (generic path)", rgba64},
		{"gray", gray},
		{"paletted", pal},
		{"ycbcr", yccOf(rgba, image.YCbCrSubsampleRatio444)},
		{"nycbcra", opaqueNYCbCrA(yccOf(rgba, image.YCbCrSubsampleRatio420))},
		{"sub-image", sub},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := h.HashImage(tc.img)
			if err != nil {
				t.Fatal(err)
			}
			conv := image.NewRGBA(tc.img.Bounds())
			draw.Draw(conv, conv.Bounds(), tc.img, tc.img.Bounds().Min, draw.Src)
			want, _, _ := h.HashImage(conv)
			if got != want {
				t.Errorf("hash %v, converted to RGBA %v (distance %d)", got, want, got.Distance(want))
			}
		})
	}
	t.Run("rgb24", func(t *testing.T) {
		want, _, _ := h.HashImage(rgba)
		w, ht := b.Dx(), b.Dy()
		pix := make([]byte, 0, 3*w*ht)
		for y := range ht {
			for x := range w {
				c := rgba.RGBAAt(x, y)
				pix = append(pix, c.R, c.G, c.B)
			}
		}
		got, _, err := h.HashRGB(pix, w, ht, 3*w)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("HashRGB %v, HashImage %v", got, want)
		}
		if _, _, err := h.HashRGB(pix[:10], w, ht, 3*w); err == nil {
			t.Error("short buffer accepted")
		}
	})
}

func opaqueNYCbCrA(ycc *image.YCbCr) *image.NYCbCrA {
	a := make([]uint8, len(ycc.Y))
	for i := range a {
		a[i] = 255
	}
	return &image.NYCbCrA{YCbCr: *ycc, A: a, AStride: ycc.YStride}
}

func yccOf(rgba *image.RGBA, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	b := rgba.Bounds()
	ycc := image.NewYCbCr(b, ratio)
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := rgba.RGBAAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			ycc.Y[ycc.YOffset(x, y)], ycc.Cb[ycc.COffset(x, y)], ycc.Cr[ycc.COffset(x, y)] = yy, cb, cr
		}
	}
	return ycc
}

// palette256 is a 6x7x6 colour cube, enough to keep the picture's shapes.
func palette256() color.Palette {
	var p color.Palette
	for r := range 6 {
		for g := range 7 {
			for b := range 6 {
				p = append(p, color.RGBA{uint8(r * 51), uint8(g * 42), uint8(b * 51), 255})
			}
		}
	}
	return p
}

func TestSubsampledYCbCr(t *testing.T) {
	rgba := pattern(300, 200)
	h := NewHasher()
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio440,
		image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		t.Run(ratio.String(), func(t *testing.T) {
			// A sub-image starting at odd coordinates exercises the chroma
			// offsets.
			sub := yccOf(rgba, ratio).SubImage(image.Rect(1, 1, 299, 199))
			got, _, err := h.HashImage(sub)
			if err != nil {
				t.Fatal(err)
			}
			slow := image.NewRGBA(sub.Bounds())
			draw.Draw(slow, slow.Bounds(), sub, sub.Bounds().Min, draw.Src)
			want, _, _ := h.HashImage(slow)
			if got != want {
				t.Errorf("fast YCbCr path %v differs from the converted image %v", got, want)
			}
		})
	}
}

func TestHasherReuse(t *testing.T) {
	small, big := pattern(120, 90), pattern(1100, 700)
	h := NewHasher()
	first, _, _ := h.HashImage(small)
	if _, _, err := h.HashImage(big); err != nil {
		t.Fatal(err)
	}
	again, _, _ := h.HashImage(small)
	if first != again {
		t.Errorf("hash changed after the buffers grew: %v then %v", first, again)
	}
	fresh, _, _ := NewHasher().HashImage(small)
	if fresh != first {
		t.Errorf("fresh hasher gives %v, reused %v", fresh, first)
	}
}

func TestShrinkMatchesAveraged(t *testing.T) {
	// A large picture is area-averaged to 512 first; hashing a 2x version
	// must then agree with hashing the picture itself.
	img := pattern(512, 384)
	big := image.NewRGBA(image.Rect(0, 0, 1024, 768))
	for y := range 768 {
		for x := range 1024 {
			big.SetRGBA(x, y, img.RGBAAt(x/2, y/2))
		}
	}
	h := NewHasher()
	a, _, _ := h.HashImage(img)
	b, _, _ := h.HashImage(big)
	if a != b {
		t.Errorf("2x upscaled picture hashes %v, original %v (distance %d)", b, a, a.Distance(b))
	}
}

func TestFlatImage(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = 77
	}
	_, q, err := NewHasher().HashImage(img)
	if err != nil {
		t.Fatal(err)
	}
	if q != 0 {
		t.Errorf("quality of a flat picture is %d, want 0", q)
	}
}

func TestEmptyImage(t *testing.T) {
	h := NewHasher()
	for _, img := range []image.Image{nil, image.NewRGBA(image.Rect(0, 0, 0, 5))} {
		if _, _, err := h.HashImage(img); !errors.Is(err, ErrEmptyImage) {
			t.Errorf("HashImage(%v) error %v, want ErrEmptyImage", img, err)
		}
	}
	if _, _, err := h.HashRGB(nil, 0, 0, 0); !errors.Is(err, ErrEmptyImage) {
		t.Errorf("HashRGB error %v, want ErrEmptyImage", err)
	}
}

func TestBoxRow(t *testing.T) {
	in := []float32{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5}
	for _, full := range []int{1, 2, 3, 4, 5} {
		out := make([]float32, len(in))
		boxRow(in, out, full)
		behind, ahead := boxSpan(full)
		for o := range in {
			lo, hi := max(0, o-behind), min(len(in)-1, o+ahead)
			var s float32
			for _, v := range in[lo : hi+1] {
				s += v
			}
			if want := s / float32(hi-lo+1); math.Abs(float64(out[o]-want)) > 1e-5 {
				t.Errorf("full %d, sample %d: %v, want %v", full, o, out[o], want)
			}
		}
		// The column pass must agree with the row pass on a transposed input.
		cols := make([]float32, len(in))
		boxCols(in, cols, len(in), 1, full, make([]float32, 1))
		if !slices.Equal(cols, out) {
			t.Errorf("full %d: boxCols %v, boxRow %v", full, cols, out)
		}
	}
}

func TestSelectKth(t *testing.T) {
	vals := pattern(16, 16).Pix
	var a [256]float32
	for i := range a {
		a[i] = float32(vals[i*4]) + float32(i%7)/8
	}
	sorted := a
	slices.Sort(sorted[:])
	for _, k := range []int{0, 1, 127, 128, 255} {
		b := a
		if got := selectKth(b[:], k); got != sorted[k] {
			t.Errorf("k=%d: %v, want %v", k, got, sorted[k])
		}
	}
}

func TestNoAllocations(t *testing.T) {
	img := yccOf(pattern(700, 500), image.YCbCrSubsampleRatio420)
	h := NewHasher()
	if _, _, err := h.Dihedral(img); err != nil { // grows the buffers
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    func()
	}{
		{"HashImage", func() { _, _, _ = h.HashImage(img) }},
		{"Dihedral", func() { _, _, _ = h.Dihedral(img) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(3, tc.f); n != 0 {
				t.Errorf("%.0f allocations per call on warm buffers, want 0", n)
			}
		})
	}
}

func TestFullResolution(t *testing.T) {
	tests := []struct {
		name  string
		img   image.Image
		equal bool // whether shrinking leaves the hash unchanged
	}{
		{"small image is never shrunk", pattern(400, 300), true},
		{"large image", pattern(1300, 900), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, full := NewHasher(), NewHasher()
			full.FullResolution = true
			a, _, _ := h.HashImage(tc.img)
			b, _, _ := full.HashImage(tc.img)
			if d := a.Distance(b); (d == 0) != tc.equal || d > 16 {
				t.Errorf("distance %d between shrunk and full-resolution hashes (equal expected: %v)", d, tc.equal)
			}
		})
	}
}
