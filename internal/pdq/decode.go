package pdq

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/gif"  // registered decoder
	_ "image/jpeg" // registered decoder
	_ "image/png"  // registered decoder
	"io"
	"os"

	_ "golang.org/x/image/webp" // registered decoder
)

// DefaultMaxPixels is the pixel limit used when a caller passes 0: large
// enough for any camera photo, small enough that a crafted header cannot
// make the decoder allocate gigabytes.
const DefaultMaxPixels = 100_000_000

// ErrTooLarge reports an image whose header declares more pixels than the
// caller allows (a decompression bomb or simply too big to hash).
var ErrTooLarge = errors.New("pdq: image too large")

// Decode decodes a JPEG, PNG, GIF (first frame) or WebP image, refusing
// images whose header declares more than maxPixels pixels (0 means
// DefaultMaxPixels) before any pixel memory is allocated. The EXIF
// orientation of JPEG files is applied, so a photo hashes as it is shown.
func Decode(r io.Reader, maxPixels int) (image.Image, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("pdq: read image: %w", err)
	}
	return decodeBytes(data, maxPixels)
}

func decodeBytes(data []byte, maxPixels int) (image.Image, error) {
	format, err := checkHeader(data, maxPixels)
	if err != nil {
		return nil, err
	}
	img, err := decodeWhole(data, format, maxPixels)
	if err != nil {
		return nil, err
	}
	if format == "jpeg" {
		if o := jpegOrientation(data); o > 1 {
			img = orient(img, o)
		}
	}
	return img, nil
}

// checkHeader reads the image header and refuses images of more than
// maxPixels pixels (0 means DefaultMaxPixels) before any pixel memory is
// allocated. It returns the format name.
func checkHeader(data []byte, maxPixels int) (string, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("pdq: decode image header: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return "", fmt.Errorf("pdq: image header declares %dx%d: %w", cfg.Width, cfg.Height, ErrEmptyImage)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return "", fmt.Errorf("%w: %s %dx%d exceeds %d pixels", ErrTooLarge, format, cfg.Width, cfg.Height, maxPixels)
	}
	return format, nil
}

// decodeWhole decodes data with the standard decoder of its format, which
// holds the whole image (1 to 4 bytes a pixel; progressive JPEG also keeps
// its coefficients, 4 bytes a pixel a component): checkHeader must have
// bounded its pixels.
func decodeWhole(data []byte, format string, maxPixels int) (image.Image, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("pdq: decode %s: %w", format, err)
	}
	if b := img.Bounds(); int64(b.Dx())*int64(b.Dy()) > int64(maxPixels) {
		return nil, fmt.Errorf("%w: %s %dx%d exceeds %d pixels", ErrTooLarge, format, b.Dx(), b.Dy(), maxPixels)
	}
	return img, nil
}

// Result is the outcome of hashing an image file: the perceptual hash for
// near-duplicate matching and cryptographic digests for exact matching.
type Result struct {
	PDQ     Hash
	Quality int
	MD5     string // hex of the file bytes
	SHA256  string // hex of the file bytes
	Width   int    // after EXIF orientation
	Height  int
}

// HashReader reads an encoded image from r and hashes it (see HashBytes).
func (h *Hasher) HashReader(r io.Reader, maxPixels int) (Result, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Result{}, fmt.Errorf("pdq: read image: %w", err)
	}
	return h.HashBytes(data, maxPixels)
}

// HashBytes hashes an encoded image held in memory (see Decode for
// maxPixels). When the image cannot be decoded the Result still carries
// the digests, so exact matching works for files PDQ cannot read.
//
// The image is decoded once, straight into the hasher's luminance grid of at
// most MaxSide x MaxSide: PNG a row at a time whatever its depth and colour
// type, other formats through the standard decoder, whose image is dropped
// as soon as its luminance is read. EXIF orientation is applied to the grid.
func (h *Hasher) HashBytes(data []byte, maxPixels int) (Result, error) {
	md := md5.Sum(data)
	sh := sha256.Sum256(data)
	res := Result{MD5: hex.EncodeToString(md[:]), SHA256: hex.EncodeToString(sh[:])}
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	format, err := checkHeader(data, maxPixels)
	if err != nil {
		return res, err
	}
	var rows, cols int
	if format == "png" {
		rows, cols, res.Width, res.Height, err = h.lumaPNG(data, maxPixels)
	} else {
		rows, cols, res.Width, res.Height, err = h.lumaDecoded(data, format, maxPixels)
	}
	if err != nil {
		return res, err
	}
	if format == "jpeg" {
		if o := jpegOrientation(data); o > 1 {
			rows, cols = h.orientLuma(o, rows, cols)
			if o >= 5 {
				res.Width, res.Height = res.Height, res.Width
			}
		}
	}
	h.fromLuma(rows, cols)
	res.PDQ, res.Quality = h.bits(&h.dct), h.quality()
	return res, nil
}

// lumaDecoded fills h.luma from the standard decoder's image of data.
func (h *Hasher) lumaDecoded(data []byte, format string, maxPixels int) (rows, cols, w, ht int, err error) {
	img, err := decodeWhole(data, format, maxPixels)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	h.src.set(img)
	rows, cols = h.fillLuma()
	h.src = source{} // drop the image before filtering
	b := img.Bounds()
	return rows, cols, b.Dx(), b.Dy(), nil
}

// orientLuma turns the rows x cols luminance grid for display as EXIF
// orientation o (2-8) says, and returns its new size. Turning the small
// grid rather than the decoded photo spares two full-size copies.
func (h *Hasher) orientLuma(o, rows, cols int) (int, int) {
	dw, dh := cols, rows
	if o >= 5 {
		dw, dh = rows, cols
	}
	out := h.tmp[:rows*cols]
	for y := range rows {
		for x, v := range h.luma[y*cols : (y+1)*cols] {
			dx, dy := orientPoint(o, x, y, cols, rows)
			out[dy*dw+dx] = v
		}
	}
	h.luma, h.tmp = h.tmp, h.luma
	return dh, dw
}

// HashFile hashes the image file at path (see HashBytes); errors name the
// file.
func (h *Hasher) HashFile(path string, maxPixels int) (Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Result{}, fmt.Errorf("pdq: %w", err)
	}
	res, err := h.HashBytes(data, maxPixels)
	if err != nil {
		return res, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// orient returns img transformed for display according to EXIF
// orientation o (2-8).
func orient(img image.Image, o int) image.Image {
	b := img.Bounds()
	w, hgt := b.Dx(), b.Dy()
	// JPEG images are opaque, so the premultiplied RGBA copy loses nothing.
	src := image.NewRGBA(image.Rect(0, 0, w, hgt))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	dw, dh := w, hgt
	if o >= 5 {
		dw, dh = hgt, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for sy := range hgt {
		row := src.Pix[sy*src.Stride : sy*src.Stride+4*w]
		for sx := range w {
			dx, dy := orientPoint(o, sx, sy, w, hgt)
			copy(dst.Pix[dy*dst.Stride+4*dx:dy*dst.Stride+4*dx+4], row[4*sx:4*sx+4])
		}
	}
	return dst
}

// orientPoint maps stored pixel (x, y) of a w x h image to its displayed
// position under EXIF orientation o.
func orientPoint(o, x, y, w, h int) (int, int) {
	switch o {
	case 2: // mirrored horizontally
		return w - 1 - x, y
	case 3: // rotated 180
		return w - 1 - x, h - 1 - y
	case 4: // mirrored vertically
		return x, h - 1 - y
	case 5: // transposed
		return y, x
	case 6: // shown rotated 90 degrees clockwise
		return h - 1 - y, x
	case 7: // transversed
		return h - 1 - y, w - 1 - x
	case 8: // shown rotated 90 degrees counter-clockwise
		return y, w - 1 - x
	}
	return x, y
}

// jpegOrientation returns the EXIF orientation tag (1-8) of a JPEG file, or
// 1 when it has none or the EXIF data is malformed: a bad tag must not stop
// the image from being hashed.
func jpegOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	p := 2
	for p+4 <= len(data) {
		if data[p] != 0xFF {
			return 1
		}
		marker := data[p+1]
		if marker == 0xFF { // fill byte
			p++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return 1
		}
		n := int(data[p+2])<<8 | int(data[p+3])
		if n < 2 || p+2+n > len(data) {
			return 1
		}
		seg := data[p+4 : p+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		p += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF structure.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var u16 func([]byte) int
	var u32 func([]byte) int
	switch string(t[:2]) {
	case "II":
		u16 = func(b []byte) int { return int(b[0]) | int(b[1])<<8 }
		u32 = func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 | int(b[3])<<24 }
	case "MM":
		u16 = func(b []byte) int { return int(b[1]) | int(b[0])<<8 }
		u32 = func(b []byte) int { return int(b[3]) | int(b[2])<<8 | int(b[1])<<16 | int(b[0])<<24 }
	default:
		return 1
	}
	if u16(t[2:]) != 42 {
		return 1
	}
	ifd := u32(t[4:])
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	count := u16(t[ifd:])
	for i := range count {
		e := ifd + 2 + 12*i
		if e+12 > len(t) {
			return 1
		}
		if u16(t[e:]) != 0x0112 {
			continue
		}
		if u16(t[e+2:]) != 3 { // SHORT
			return 1
		}
		if o := u16(t[e+8:]); o >= 1 && o <= 8 {
			return o
		}
		return 1
	}
	return 1
}
