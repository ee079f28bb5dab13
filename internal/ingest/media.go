package ingest

import (
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// maxImageBytes bounds how much of one media file is read for hashing; an
// export's "photo" can be anything.
const maxImageBytes = 64 << 20

// imageExts are the file types PDQ can decode.
var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true}

// mediaHasher computes the perceptual hash of images an export ships beside
// its messages, here where the files are (workers may run elsewhere).
type mediaHasher struct {
	h         *pdq.Hasher
	maxPixels int
	// dir, when set, keeps a copy of every image (evidence, and the UI's
	// side-by-side match view); see MediaPath.
	dir    string
	warn   func(source.Rejection)
	hashed *int
}

func isImage(m *post.Media) bool {
	if strings.HasPrefix(m.MIME, "image/") {
		return true
	}
	return (m.Kind == "photo" || m.Kind == "thumbnail" || m.Kind == "sticker" || m.Kind == "file") &&
		imageExts[strings.ToLower(path.Ext(m.Path))]
}

// hash fills PDQ (and the digests when the importer had none) of every
// image of p that open can reach. A file that is missing or does not decode
// is reported as a warning and the post kept: the record is evidence either
// way.
func (mh *mediaHasher) hash(in source.Input, p *post.Post) {
	if in.Open == nil {
		return
	}
	for i := range p.Media {
		m := &p.Media[i]
		if m.Path == "" || m.PDQ != "" || m.Omitted || !isImage(m) {
			continue
		}
		f, err := in.Open(m.Path)
		if errors.Is(err, ErrSymlink) {
			mh.warn(source.Rejection{File: in.Name, Line: p.Origin.Line, Offset: p.Origin.Offset,
				Reason: "media " + m.Path + " not read: " + err.Error()})
		}
		if err != nil {
			continue // the importer already recorded the file as referenced but absent
		}
		data, err := io.ReadAll(io.LimitReader(f, maxImageBytes))
		f.Close()
		if err != nil {
			mh.warn(source.Rejection{File: in.Name, Line: p.Origin.Line, Offset: p.Origin.Offset,
				Reason: "media " + m.Path + " not read: " + err.Error()})
			continue
		}
		res, err := mh.h.HashBytes(data, mh.maxPixels)
		if mh.dir != "" && res.SHA256 != "" {
			if werr := keep(mh.dir, res.SHA256, data); werr != nil {
				mh.warn(source.Rejection{File: in.Name, Line: p.Origin.Line, Offset: p.Origin.Offset,
					Reason: "media " + m.Path + " not kept: " + werr.Error()})
			}
		}
		if m.MD5 == "" {
			m.MD5, m.SHA256 = res.MD5, res.SHA256
		}
		if err != nil {
			mh.warn(source.Rejection{File: in.Name, Line: p.Origin.Line, Offset: p.Origin.Offset,
				Reason: "media " + m.Path + " not perceptually hashed (post kept): " + err.Error()})
			continue
		}
		*mh.hashed++
		m.PDQ, m.PDQQuality = res.PDQ.String(), res.Quality
		if m.Width == 0 {
			m.Width, m.Height = res.Width, res.Height
		}
	}
}

// MediaPath is where a kept media file with the given SHA-256 lives under
// dir: content-addressed, so the same image posted a thousand times is kept
// once and its name proves its content.
func MediaPath(dir, sha256 string) string {
	if len(sha256) < 2 {
		return ""
	}
	return filepath.Join(dir, sha256[:2], sha256)
}

func keep(dir, sha256 string, data []byte) error {
	path := MediaPath(dir, sha256)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	// Write then rename, so that a crash never leaves a truncated file under
	// a name that claims its hash.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
