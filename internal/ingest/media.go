package ingest

import (
	"io"
	"path"
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
	warn      func(source.Rejection)
	hashed    *int
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
		if err != nil {
			continue // the importer already recorded the file as referenced but absent
		}
		res, err := mh.h.HashReader(io.LimitReader(f, maxImageBytes), mh.maxPixels)
		f.Close()
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
