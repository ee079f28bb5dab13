// Package ocr reads the text inside images and video keyframes with
// Tesseract (the tesseract CLI, Debian tesseract-ocr and tesseract-ocr-ara)
// and ffmpeg, keeping the box of every word, so that the detection stack
// can read an Amaq card, a claim poster or a screenshot of a post as text
// and an analyst can see where in the image each finding sits. The text
// goes through the same stack as any post (see Post); a Result keeps each
// word's place in the normalized text for mapping signal spans back to
// boxes.
package ocr

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/post"
)

// Errors of the reader.
var (
	ErrNoTesseract = errors.New("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-ara)")
	ErrNoFFmpeg    = errors.New("ffmpeg is not installed (apt-get install ffmpeg)")
	ErrBadOutput   = errors.New("unreadable tesseract output")
)

// Languages are the Tesseract models read by default: Arabic first, with
// English for the Latin text mixed into cards and screenshots.
const Languages = "ara+eng"

// minConfidence is the Tesseract word confidence (0-100) below which a
// "word" is taken for noise: textures and photo edges read as stray
// letters.
const minConfidence = 30

// Word is one recognized word and where it is.
type Word struct {
	Text string   `json:"text"`
	Box  post.Box `json:"box"`
	// Conf is Tesseract's confidence, 0-100.
	Conf float64 `json:"conf"`
	// Start and End are the word's byte offsets in Result.Norm.
	Start int `json:"start"`
	End   int `json:"end"`
}

// Result is the text of one image or of a video's keyframes.
type Result struct {
	// Text is the recognized text, a line per line of the image.
	Text string `json:"text"`
	// Norm is Text normalized (internal/arabic) word by word, so that
	// every word's offsets in it are known.
	Norm  string `json:"norm"`
	Words []Word `json:"words"`
}

// Available reports whether the tesseract binary is on PATH.
func Available() bool {
	_, err := exec.LookPath("tesseract")
	return err == nil
}

// Reader runs Tesseract.
type Reader struct {
	// Languages are passed to tesseract -l; empty means Languages.
	Languages string
	// MaxFrames bounds the keyframes read from one video; 0 means 20.
	MaxFrames int
}

// Image reads the text in the image file at path.
func (r *Reader) Image(ctx context.Context, path string) (Result, error) {
	var res Result
	err := r.read(ctx, path, 0, &res)
	return res, err
}

// read appends the words of one image to res, their boxes tagged with
// frame.
func (r *Reader) read(ctx context.Context, path string, frame int, res *Result) error {
	if !Available() {
		return ErrNoTesseract
	}
	lang := r.Languages
	if lang == "" {
		lang = Languages
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "tesseract", path, "stdout", "-l", lang, "tsv")
	cmd.Stderr = &stderr
	// One thread per call: callers run images in parallel, and Tesseract's
	// own threads only contend with them.
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("ocr %s: %w: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	return parseTSV(out, frame, res)
}

// parseTSV reads tesseract's tsv output (level, page, block, paragraph,
// line, word, left, top, width, height, confidence, text) into res.
func parseTSV(out []byte, frame int, res *Result) error {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var text, norm strings.Builder
	text.WriteString(res.Text)
	norm.WriteString(res.Norm)
	lastLine := ""
	n := 0
	for sc.Scan() {
		n++
		f := strings.Split(sc.Text(), "\t")
		if n == 1 && len(f) > 0 && f[0] == "level" {
			continue
		}
		if len(f) != 12 {
			return fmt.Errorf("%w: line %d has %d fields, want 12", ErrBadOutput, n, len(f))
		}
		if f[0] != "5" {
			continue
		}
		word := strings.TrimSpace(f[11])
		conf, err := strconv.ParseFloat(f[10], 64)
		if err != nil {
			return fmt.Errorf("%w: line %d: confidence %q", ErrBadOutput, n, f[10])
		}
		if word == "" || conf < minConfidence {
			continue
		}
		var box [4]int
		for i := range box {
			if box[i], err = strconv.Atoi(f[6+i]); err != nil {
				return fmt.Errorf("%w: line %d: box field %q", ErrBadOutput, n, f[6+i])
			}
		}
		line := strings.Join(f[1:5], ".")
		if text.Len() > 0 {
			sep := " "
			if line != lastLine {
				sep = "\n"
			}
			text.WriteString(sep)
			norm.WriteString(sep)
		}
		lastLine = line
		text.WriteString(word)
		w := arabic.Normalize(word)
		start := norm.Len()
		norm.WriteString(w)
		res.Words = append(res.Words, Word{Text: word, Conf: conf, Start: start, End: norm.Len(),
			Box: post.Box{Frame: frame, X: box[0], Y: box[1], W: box[2], H: box[3]}})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadOutput, err)
	}
	res.Text, res.Norm = text.String(), norm.String()
	return nil
}

// Video reads the text of a video's keyframes (at most MaxFrames), which
// ffmpeg extracts; words repeated from the previous keyframe's text are
// read once.
func (r *Reader) Video(ctx context.Context, path string) (Result, error) {
	var res Result
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return res, ErrNoFFmpeg
	}
	dir, err := os.MkdirTemp("", "raqib-frames-")
	if err != nil {
		return res, fmt.Errorf("ocr %s: %w", path, err)
	}
	defer os.RemoveAll(dir)
	max := r.MaxFrames
	if max <= 0 {
		max = 20
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-loglevel", "error", "-skip_frame", "nokey", "-i", path,
		// Tesseract binarizes anyway; compressed chroma only adds noise
		// around the letters (measured: a caption lost at full colour was
		// read in grey).
		"-vf", "format=gray",
		"-fps_mode", "vfr", "-frames:v", strconv.Itoa(max), filepath.Join(dir, "f%04d.png"))
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("ocr %s: keyframes: %w: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	frames, err := filepath.Glob(filepath.Join(dir, "f*.png"))
	if err != nil {
		return res, fmt.Errorf("ocr %s: %w", path, err)
	}
	slices.Sort(frames)
	prev := ""
	for i, f := range frames {
		var one Result
		if err := r.read(ctx, f, i, &one); err != nil {
			return res, err
		}
		// A caption held over several keyframes is read once.
		if one.Norm == "" || one.Norm == prev {
			continue
		}
		prev = one.Norm
		appendResult(&res, one)
	}
	return res, nil
}

// appendResult adds b's text after a's on a new line.
func appendResult(a *Result, b Result) {
	off := 0
	if a.Text != "" {
		a.Text += "\n"
		a.Norm += "\n"
		off = len(a.Norm)
	}
	a.Text += b.Text
	a.Norm += b.Norm
	for _, w := range b.Words {
		w.Start += off
		w.End += off
		a.Words = append(a.Words, w)
	}
}

// Boxes returns the boxes of the words that overlap the byte range
// [start, end) of Norm, merged per line of words of one frame.
func (r *Result) Boxes(start, end int) []post.Box {
	var out []post.Box
	for _, w := range r.Words {
		if w.End <= start || w.Start >= end {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Frame == w.Box.Frame && sameLine(out[n-1], w.Box) {
			out[n-1] = out[n-1].Union(w.Box)
			continue
		}
		out = append(out, w.Box)
	}
	return out
}

// sameLine reports whether two boxes overlap vertically by half the
// smaller height.
func sameLine(a, b post.Box) bool {
	top, bottom := max(a.Y, b.Y), min(a.Y+a.H, b.Y+b.H)
	return 2*(bottom-top) >= min(a.H, b.H)
}

// Kind tells images and videos apart by file name, for the commands that
// take a media file; "" means neither.
func Kind(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff":
		return "image"
	case ".mp4", ".webm", ".mkv", ".mov", ".avi", ".m4v":
		return "video"
	}
	return ""
}

// Read reads an image or a video by its Kind.
func (r *Reader) Read(ctx context.Context, path string) (Result, error) {
	if Kind(path) == "video" {
		return r.Video(ctx, path)
	}
	return r.Image(ctx, path)
}
