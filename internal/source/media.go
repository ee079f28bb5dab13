package source

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
)

// HashMedia reads an attached file from r to its end and returns m with the
// file's Size and its SHA-256 and MD5 hashes set. When reading fails m comes back as it
// was: the attachment is still known by its path, and a half-read file
// must not get hashes that match nothing.
func HashMedia(m post.Media, r io.Reader) post.Media {
	sh, m5 := sha256.New(), md5.New()
	n, err := io.Copy(io.MultiWriter(sh, m5), r)
	if err != nil {
		return m
	}
	m.Size = n
	m.Hashes = slices.Clone(m.Hashes) // m shares them with the caller's copy
	m.SetHash(post.Hash{Type: signaltype.SHA256.Name, Value: hex.EncodeToString(sh.Sum(nil))})
	m.SetHash(post.Hash{Type: signaltype.MD5.Name, Value: hex.EncodeToString(m5.Sum(nil))})
	return m
}
