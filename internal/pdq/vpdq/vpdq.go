// Package vpdq hashes videos the way Meta's vPDQ does: a PDQ hash of one
// frame every so often (one a second by default), each with its frame
// number, quality and timestamp, and compares two videos by the share of
// frames of each that have a close frame in the other. Frames are decoded
// by the ffmpeg and ffprobe command-line tools (version 5.1 or later),
// which must be installed.
package vpdq

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os/exec"
	"strconv"
	"strings"

	"github.com/raqib-project/raqib/internal/pdq"
)

// ErrNoFFmpeg reports that ffmpeg (or its companion ffprobe) is missing.
var ErrNoFFmpeg = errors.New("ffmpeg not found: install it (apt-get install ffmpeg) to hash video")

// ErrNoVideo reports a file without a decodable video stream.
var ErrNoVideo = errors.New("vpdq: no video stream")

// Feature is the hash of one video frame.
type Feature struct {
	Frame     int      // frame number, from 0
	Quality   int      // PDQ quality, 0-100
	Hash      pdq.Hash // PDQ hash of the frame
	Timestamp float64  // seconds from the start: Frame / frame rate
}

// DefaultSecondsPerHash is the sampling interval when Options leaves it 0.
const DefaultSecondsPerHash = 1.0

// Options control hashing.
type Options struct {
	// SecondsPerHash is the interval between hashed frames; 0 means
	// DefaultSecondsPerHash. As in the reference, every k-th frame is
	// hashed, k = int(SecondsPerHash * frame rate), at least 1.
	SecondsPerHash float64
	// EveryFrame hashes every frame, as the reference's sample files do.
	EveryFrame bool
	// FFmpeg and FFprobe are the tools' paths; empty means look them up
	// in PATH.
	FFmpeg, FFprobe string
}

// VideoInfo describes the video stream that was hashed.
type VideoInfo struct {
	Width, Height int
	FrameRate     float64
}

// HashFile hashes the video at path, calling emit for each hashed frame in
// order. It stops at the first error emit returns.
func HashFile(ctx context.Context, path string, opt Options, emit func(Feature) error) (VideoInfo, error) {
	ffmpeg, ffprobe, err := tools(opt)
	if err != nil {
		return VideoInfo{}, err
	}
	info, err := probe(ctx, ffprobe, path)
	if err != nil {
		return info, err
	}
	step := 1
	if !opt.EveryFrame {
		spf := opt.SecondsPerHash
		if spf <= 0 {
			spf = DefaultSecondsPerHash
		}
		step = max(1, int(spf*info.FrameRate))
	}
	// Like the reference, hash the frames as coded: full size (its sample
	// hashes only agree at full resolution) and not rotated by the
	// container's display matrix, which also keeps the frame size the one
	// ffprobe reported. Passthrough stops ffmpeg from duplicating the
	// selected frames back up to the input frame rate.
	w, h := info.Width, info.Height
	filter := fmt.Sprintf("select='not(mod(n\\,%d))',scale=%d:%d", step, w, h)
	cmd := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-v", "error", "-noautorotate", "-i", path,
		"-map", "0:v:0", "-vf", filter, "-fps_mode", "passthrough",
		"-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1")
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{buf: &stderr, max: 4096}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return info, fmt.Errorf("vpdq: %s: %w", path, err)
	}
	if err := cmd.Start(); err != nil {
		return info, fmt.Errorf("vpdq: %s: start ffmpeg: %w", path, err)
	}
	hashErr := hashFrames(bufio.NewReaderSize(out, 1<<20), w, h, step, info.FrameRate, emit)
	if hashErr != nil {
		// Stop ffmpeg rather than let it block on a full pipe.
		_ = cmd.Process.Kill()
	}
	waitErr := cmd.Wait()
	switch {
	case hashErr != nil:
		return info, fmt.Errorf("vpdq: %s: %w", path, hashErr)
	case waitErr != nil:
		return info, fmt.Errorf("vpdq: %s: ffmpeg: %w: %s", path, waitErr, strings.TrimSpace(stderr.String()))
	}
	return info, nil
}

// Hash hashes the video at path and returns all its features.
func Hash(ctx context.Context, path string, opt Options) ([]Feature, VideoInfo, error) {
	var out []Feature
	info, err := HashFile(ctx, path, opt, func(f Feature) error {
		out = append(out, f)
		return nil
	})
	return out, info, err
}

func hashFrames(r io.Reader, w, h, step int, fps float64, emit func(Feature) error) error {
	buf := make([]byte, 3*w*h)
	hasher := pdq.NewHasher()
	hasher.FullResolution = true
	for i := 0; ; i++ {
		if _, err := io.ReadFull(r, buf); err != nil {
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("read frame %d: %w", i*step, err)
		}
		hash, q, err := hasher.HashRGB(buf, w, h, 3*w)
		if err != nil {
			return fmt.Errorf("frame %d: %w", i*step, err)
		}
		n := i * step
		if err := emit(Feature{Frame: n, Quality: q, Hash: hash, Timestamp: float64(n) / fps}); err != nil {
			return err
		}
	}
}

func tools(opt Options) (ffmpeg, ffprobe string, err error) {
	ffmpeg, ffprobe = opt.FFmpeg, opt.FFprobe
	if ffmpeg == "" {
		if ffmpeg, err = exec.LookPath("ffmpeg"); err != nil {
			return "", "", fmt.Errorf("%w: %w", ErrNoFFmpeg, err)
		}
	}
	if ffprobe == "" {
		if ffprobe, err = exec.LookPath("ffprobe"); err != nil {
			return "", "", fmt.Errorf("%w: %w", ErrNoFFmpeg, err)
		}
	}
	return ffmpeg, ffprobe, nil
}

// probe reads the first video stream's size and frame rate.
func probe(ctx context.Context, ffprobe, path string) (VideoInfo, error) {
	cmd := exec.CommandContext(ctx, ffprobe, "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=width,height,avg_frame_rate,r_frame_rate", "-of", "json", path)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{buf: &stderr, max: 4096}
	out, err := cmd.Output()
	if err != nil {
		return VideoInfo{}, fmt.Errorf("vpdq: %s: ffprobe: %w: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	return parseProbe(out, path)
}

func parseProbe(out []byte, path string) (VideoInfo, error) {
	var p struct {
		Streams []struct {
			Width        int    `json:"width"`
			Height       int    `json:"height"`
			AvgFrameRate string `json:"avg_frame_rate"`
			RFrameRate   string `json:"r_frame_rate"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return VideoInfo{}, fmt.Errorf("vpdq: %s: ffprobe output: %w", path, err)
	}
	if len(p.Streams) == 0 || p.Streams[0].Width <= 0 || p.Streams[0].Height <= 0 {
		return VideoInfo{}, fmt.Errorf("vpdq: %s: %w", path, ErrNoVideo)
	}
	s := p.Streams[0]
	fps := parseRate(s.AvgFrameRate)
	if fps <= 0 {
		fps = parseRate(s.RFrameRate)
	}
	if fps <= 0 {
		return VideoInfo{}, fmt.Errorf("vpdq: %s: no frame rate in %q or %q", path, s.AvgFrameRate, s.RFrameRate)
	}
	return VideoInfo{Width: s.Width, Height: s.Height, FrameRate: fps}, nil
}

// parseRate parses ffprobe's "num/den" rates; it returns 0 for "0/0".
func parseRate(s string) float64 {
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		den = "1"
	}
	n, err1 := strconv.ParseFloat(num, 64)
	d, err2 := strconv.ParseFloat(den, 64)
	if err1 != nil || err2 != nil || d == 0 || math.IsNaN(n/d) || math.IsInf(n/d, 0) {
		return 0
	}
	return n / d
}

// limitedWriter keeps the first max bytes of ffmpeg's error output.
type limitedWriter struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
