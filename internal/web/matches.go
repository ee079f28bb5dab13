package web

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/raqib-project/raqib/internal/detect/bankmatch"
	"github.com/raqib-project/raqib/internal/detect/recycled"
	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
)

// matchView explains one "hashbank" signal of a post: the entry it hit and
// the two images to compare, this post's and the bank's.
type matchView struct {
	Signal  post.Signal
	Bank    string
	EntryID int64
	Found   bool // the entry is still in the store
	Entry   hashbank.Entry
	Kind    hashbank.Kind
	// EntryURL links the entry on its bank's page.
	EntryURL string
	// Distance is in the unit of the signal type (PDQ: differing bits),
	// -1 when unknown; Exact says the type matches exactly and there is no
	// distance.
	Distance int
	Exact    bool
	// Media says the type hashes media files, so that there are images to
	// compare.
	Media bool
	// PostImage and BankImage are SHA-256 names under MediaDir, "" when no
	// image is kept; BankPost is the stored post that shows the bank's image.
	PostImage string
	BankImage string
	BankPost  string
	Partner   string // who shared the hash, for the hash-only box
}

// nearView is a "neardup" signal: the post this one near-duplicates.
type nearView struct {
	Key        string
	Similarity float64
}

// isSHA256 reports whether s is a SHA-256 in canonical lower-case hex, the
// only names /media serves.
func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// kept reports whether the image of sha is kept under MediaDir.
func (s *server) kept(sha string) bool {
	if s.MediaDir == "" || !isSHA256(sha) {
		return false
	}
	st, err := os.Stat(post.MediaPath(s.MediaDir, sha))
	return err == nil && st.Mode().IsRegular()
}

// ownMedia finds the media of p that matched entry e: an equal hash, or for
// types with a distance the nearest one.
func ownMedia(p *post.Post, e hashbank.Entry) *post.Media {
	t, err := signaltype.Lookup(e.Type)
	if err != nil {
		return nil
	}
	var best *post.Media
	bestD := math.MaxInt
	for i := range p.Media {
		v := p.Media[i].Hash(t.Name)
		if v == "" {
			continue
		}
		if t.Exact() {
			if v == e.Hash {
				return &p.Media[i]
			}
			continue
		}
		if d, err := t.Distance(v, e.Hash); err == nil && d < bestD {
			best, bestD = &p.Media[i], d
		}
	}
	return best
}

// matchViews explains the known-content signals of p from their typed
// matches. It reads the matched entries and their banks by key, and the
// posts that show a bank's image through the index of media hashes, so
// that the page costs the same whatever the size of the banks. Errors of
// the bank store leave the panel with what the signals themselves say.
func (s *server) matchViews(ctx context.Context, p *post.Post) ([]matchView, []nearView) {
	var (
		ms   []matchView
		near []nearView
		ids  []int64
	)
	for _, sg := range p.Signals {
		switch sg.Detector {
		case recycled.Name:
			near = append(near, nearView{Key: sg.Ref, Similarity: sg.Score})
		case bankmatch.BankDetector:
			m := matchView{Signal: sg, Distance: -1}
			if sg.Match != nil {
				m.Bank, m.EntryID, m.Distance = sg.Match.Bank, sg.Match.Entry, sg.Match.Distance
				if t, err := signaltype.Lookup(sg.Match.Type); err == nil {
					m.Exact = t.Exact()
					m.Media = !t.Applies(signaltype.Text)
				}
				ids = append(ids, m.EntryID)
			}
			ms = append(ms, m)
		}
	}
	if len(ids) == 0 || s.Banks == nil {
		return ms, near
	}
	entries, err := s.Banks.Entries(ctx, ids)
	if err != nil {
		s.Log.Error("bank entries for the match panel", "post", p.Key(), "err", err)
		return ms, near
	}
	banks := map[string]hashbank.Bank{}
	self := p.Key()
	for i := range ms {
		m := &ms[i]
		j := slices.IndexFunc(entries, func(e hashbank.Entry) bool { return e.ID == m.EntryID && e.Bank == m.Bank })
		if j < 0 {
			continue
		}
		e := entries[j]
		m.Found, m.Entry = true, e
		m.EntryURL = entryURL(e.Bank, e.ID)
		b, ok := banks[e.Bank]
		if !ok {
			if b, err = s.Banks.Bank(ctx, e.Bank); err != nil {
				s.Log.Error("bank for the match panel", "bank", e.Bank, "err", err)
			}
			banks[e.Bank] = b
		}
		m.Kind, m.Partner = b.Kind, b.Source
		if e.Provenance.SharedBy != "" {
			m.Partner = e.Provenance.SharedBy
		}
		if m.Partner == "" {
			m.Partner = e.Bank
		}
		if !m.Media {
			continue
		}
		if mm := ownMedia(p, e); mm != nil && s.kept(mm.Hash(signaltype.SHA256.Name)) {
			m.PostImage = mm.Hash(signaltype.SHA256.Name)
		}
		keys, err := s.Banks.HashPosts(ctx, e.Type, e.Hash, maxBankPosts+1)
		if err != nil {
			s.Log.Error("posts with a bank hash", "entry", e.ID, "err", err)
			continue
		}
		keys = slices.DeleteFunc(keys, func(k string) bool { return k == self })
		m.BankImage, m.BankPost = s.bankImage(ctx, e, keys[:min(len(keys), maxBankPosts)])
	}
	return ms, near
}

// maxBankPosts bounds the other posts tried for a bank image: the first
// whose image is kept serves, and a hash seen a thousand times must not
// make the page read a thousand posts.
const maxBankPosts = 5

// bankImage finds the kept image of another post, among keys, whose media
// has e's hash.
func (s *server) bankImage(ctx context.Context, e hashbank.Entry, keys []string) (sha, key string) {
	for _, key := range keys {
		other, _, err := s.Store.Post(ctx, key)
		if err != nil {
			s.Log.Error("post of a bank image", "post", key, "err", err)
			continue
		}
		for j := range other.Media {
			om := &other.Media[j]
			if sum := om.Hash(signaltype.SHA256.Name); om.Hash(e.Type) == e.Hash && s.kept(sum) {
				return sum, key
			}
		}
	}
	return "", ""
}

// handleMedia serves a kept image by its SHA-256, from MediaDir only: the
// name must be 64 hex digits, the file is opened through an os.Root so
// that no link leads out, and only what sniffs as an image is sent.
func (s *server) handleMedia(w http.ResponseWriter, r *http.Request) {
	sum := r.PathValue("sha256")
	if s.MediaDir == "" || !isSHA256(sum) {
		http.NotFound(w, r)
		return
	}
	root, err := os.OpenRoot(s.MediaDir)
	if err != nil {
		s.Log.Error("media folder", "dir", s.MediaDir, "err", err)
		http.NotFound(w, r)
		return
	}
	defer root.Close()
	f, err := root.Open(post.MediaPath(".", sum))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		s.Log.Error("media read", "sha256", sum, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	ct := http.DetectContentType(head[:n])
	if !strings.HasPrefix(ct, "image/") {
		http.Error(w, "not an image", http.StatusUnsupportedMediaType)
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("Content-Disposition", "inline")
	http.ServeContent(w, r, "", st.ModTime(), f)
}
