package ingest

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/pdq/vpdq"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
	"github.com/raqib-project/raqib/internal/source"
)

// maxImageBytes bounds how much of one media file is read for hashing; an
// export's "photo" can be anything.
const maxImageBytes = 64 << 20

// maxVideoBytes bounds the video files copied out for vPDQ hashing.
const maxVideoBytes = 2 << 30

// imageExts are the file types PDQ can decode; videoExts those handed to
// ffmpeg for vPDQ.
var (
	imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true}
	videoExts = map[string]bool{".mp4": true, ".mov": true, ".m4v": true, ".webm": true, ".mkv": true, ".avi": true, ".3gp": true}
)

// mediaHasher computes the perceptual hashes of images (PDQ) and videos
// (vPDQ) an export ships beside its messages, here where the files are
// (workers may run elsewhere).
type mediaHasher struct {
	h         *pdq.Hasher
	maxPixels int
	// dir, when set, keeps a copy of every image (evidence, and the UI's
	// side-by-side match view); see post.MediaPath.
	dir    string
	warn   func(source.Rejection)
	hashed *int
	videos *int
	// ffmpeg is "" until the first video, then "found" or "missing": vPDQ
	// needs ffmpeg, and its absence is reported once, not per video.
	ffmpeg string
}

func isImage(m *post.Media) bool {
	if strings.HasPrefix(m.MIME, "image/") {
		return true
	}
	return (m.Kind == "photo" || m.Kind == "thumbnail" || m.Kind == "sticker" || m.Kind == "file") &&
		imageExts[strings.ToLower(path.Ext(m.Path))]
}

func isVideo(m *post.Media) bool {
	if strings.HasPrefix(m.MIME, "video/") {
		return true
	}
	return (m.Kind == "video" || m.Kind == "animation" || m.Kind == "video_message" || m.Kind == "file") &&
		IsVideoFile(m.Path)
}

// IsVideoFile reports whether a file's name says it is a video that vPDQ
// can hash.
func IsVideoFile(name string) bool { return videoExts[strings.ToLower(path.Ext(name))] }

// hash fills PDQ (and the digests when the importer had none) of every
// image of p and vPDQ of every video that open can reach. A file that is
// missing or does not decode is reported as a warning and the post kept:
// the record is evidence either way.
func (mh *mediaHasher) hash(ctx context.Context, in source.Input, p *post.Post) {
	if in.Open == nil {
		return
	}
	for i := range p.Media {
		m := &p.Media[i]
		if m.Path == "" || m.Omitted {
			continue
		}
		switch {
		case isImage(m) && m.Hash(signaltype.PDQ.Name) == "":
			mh.image(in, p, m)
		case isVideo(m) && m.Hash(signaltype.VPDQ.Name) == "":
			mh.video(ctx, in, p, m)
		}
	}
}

func (mh *mediaHasher) warnf(in source.Input, p *post.Post, format string, args ...any) {
	mh.warn(source.Rejection{File: in.Name, Line: p.Origin.Line, Offset: p.Origin.Offset, Reason: fmt.Sprintf(format, args...)})
}

// open opens a media file of the export. A symbolic link is refused with a
// warning; a file that is simply absent was recorded by the importer.
func (mh *mediaHasher) open(in source.Input, p *post.Post, m *post.Media) (io.ReadCloser, error) {
	f, err := in.Open(m.Path)
	if errors.Is(err, ErrSymlink) {
		mh.warnf(in, p, "media %s not read: %v", m.Path, err)
	}
	return f, err
}

func (mh *mediaHasher) image(in source.Input, p *post.Post, m *post.Media) {
	f, err := mh.open(in, p, m)
	if err != nil {
		return
	}
	data, err := io.ReadAll(io.LimitReader(f, maxImageBytes))
	f.Close()
	if err != nil {
		mh.warnf(in, p, "media %s not read: %v", m.Path, err)
		return
	}
	res, err := mh.h.HashBytes(data, mh.maxPixels)
	if mh.dir != "" && res.SHA256 != "" {
		if werr := keep(mh.dir, res.SHA256, data); werr != nil {
			mh.warnf(in, p, "media %s not kept: %v", m.Path, werr)
		}
	}
	if m.Hash(signaltype.MD5.Name) == "" && res.MD5 != "" {
		m.SetHash(post.Hash{Type: signaltype.MD5.Name, Value: res.MD5})
		m.SetHash(post.Hash{Type: signaltype.SHA256.Name, Value: res.SHA256})
	}
	if err != nil {
		mh.warnf(in, p, "media %s not perceptually hashed (post kept): %v", m.Path, err)
		return
	}
	*mh.hashed++
	m.SetHash(post.Hash{Type: signaltype.PDQ.Name, Value: res.PDQ.String(), Quality: res.Quality})
	if m.Width == 0 {
		m.Width, m.Height = res.Width, res.Height
	}
}

// video computes the vPDQ of a video. ffmpeg reads files, not streams, so
// the video (which may be a zip member) is copied to a temporary file.
func (mh *mediaHasher) video(ctx context.Context, in source.Input, p *post.Post, m *post.Media) {
	if mh.ffmpeg == "" {
		mh.ffmpeg = "found"
		_, err1 := exec.LookPath("ffmpeg")
		_, err2 := exec.LookPath("ffprobe")
		if err1 != nil || err2 != nil {
			mh.ffmpeg = "missing"
			mh.warnf(in, p, "videos are not vPDQ-hashed and cannot match video banks: %v", vpdq.ErrNoFFmpeg)
		}
	}
	if mh.ffmpeg == "missing" {
		return
	}
	f, err := mh.open(in, p, m)
	if err != nil {
		return
	}
	defer f.Close()
	// With a media folder the copy is made there, to be kept under its
	// hash without a second copy: the batch path reads its keyframes'
	// text (internal/ocr) and evidence keeps it.
	tmpDir := os.TempDir()
	if mh.dir != "" {
		tmpDir = mh.dir
		if err := os.MkdirAll(tmpDir, 0o750); err != nil {
			mh.warnf(in, p, "media %s not video-hashed: %v", m.Path, err)
			return
		}
	}
	tmp, err := os.CreateTemp(tmpDir, ".tmp-video-*"+strings.ToLower(path.Ext(m.Path)))
	if err != nil {
		mh.warnf(in, p, "media %s not video-hashed: %v", m.Path, err)
		return
	}
	defer os.Remove(tmp.Name())
	d5, d256 := md5.New(), sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, d5, d256), io.LimitReader(f, maxVideoBytes+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxVideoBytes {
		err = fmt.Errorf("larger than %d bytes", int64(maxVideoBytes))
	}
	if err != nil {
		mh.warnf(in, p, "media %s not video-hashed: %v", m.Path, err)
		return
	}
	sum := hex.EncodeToString(d256.Sum(nil))
	if m.Hash(signaltype.MD5.Name) == "" {
		m.SetHash(post.Hash{Type: signaltype.MD5.Name, Value: hex.EncodeToString(d5.Sum(nil))})
		m.SetHash(post.Hash{Type: signaltype.SHA256.Name, Value: sum})
	}
	if mh.dir != "" {
		// Kept once hashed, decodable or not: the file is evidence either way.
		defer func() {
			if err := keepFile(mh.dir, sum, tmp.Name()); err != nil {
				mh.warnf(in, p, "media %s not kept: %v", m.Path, err)
			}
		}()
	}
	fs, info, err := vpdq.Hash(ctx, tmp.Name(), vpdq.Options{})
	if err == nil && len(fs) == 0 {
		err = vpdq.ErrNoVideo
	}
	var v string
	if err == nil {
		v, err = signaltype.VPDQValue(fs)
	}
	if err != nil {
		mh.warnf(in, p, "media %s not video-hashed (post kept): %v", m.Path, err)
		return
	}
	*mh.videos++
	m.SetHash(post.Hash{Type: signaltype.VPDQ.Name, Value: v})
	if m.Width == 0 {
		m.Width, m.Height = info.Width, info.Height
	}
}

// keepFile moves the complete file at tmp, in dir, to its content
// address, unless a copy is kept there already.
func keepFile(dir, sha256, tmp string) error {
	path := post.MediaPath(dir, sha256)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func keep(dir, sha256 string, data []byte) error {
	if _, err := os.Stat(post.MediaPath(dir, sha256)); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	// Write then rename, so that a crash never leaves a truncated file under
	// a name that claims its hash.
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once moved
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return keepFile(dir, sha256, tmp.Name())
}
