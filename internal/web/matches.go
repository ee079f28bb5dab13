package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/raqib-project/raqib/internal/detect/known"
	"github.com/raqib-project/raqib/internal/detect/recycled"
	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/ingest"
	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/post"
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
	// Distance is the PDQ Hamming distance; Exact says the algorithm
	// matches exactly and there is no distance.
	Distance int
	Exact    bool
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

// parseRef splits a bank signal's reference, "bank:<name>/entry:<id>".
func parseRef(ref string) (bank string, id int64, ok bool) {
	rest, found := strings.CutPrefix(ref, "bank:")
	i := strings.LastIndex(rest, "/entry:")
	if !found || i <= 0 {
		return "", 0, false
	}
	id, err := strconv.ParseInt(rest[i+len("/entry:"):], 10, 64)
	if err != nil || id <= 0 {
		return "", 0, false
	}
	return rest[:i], id, true
}

// pdqDistance reads the distance from a signal's explanation when the post's
// own hash is not at hand to compute it.
var pdqDistance = regexp.MustCompile(`at PDQ distance (\d+)`)

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
	st, err := os.Stat(ingest.MediaPath(s.MediaDir, sha))
	return err == nil && st.Mode().IsRegular()
}

// mediaHash is the hash of m for a bank algorithm.
func mediaHash(m *post.Media, algo string) string {
	switch algo {
	case hashbank.AlgoSHA256:
		return m.SHA256
	case hashbank.AlgoMD5:
		return m.MD5
	case hashbank.AlgoPDQ:
		return m.PDQ
	}
	return ""
}

// ownMedia finds the media of p that matched entry e: equal hash, or for
// PDQ the nearest one, whose distance it also returns.
func ownMedia(p *post.Post, e hashbank.Entry) (*post.Media, int) {
	if e.Algo != hashbank.AlgoPDQ {
		for i := range p.Media {
			if h := mediaHash(&p.Media[i], e.Algo); h != "" && strings.EqualFold(h, e.Hash) {
				return &p.Media[i], 0
			}
		}
		return nil, 0
	}
	want, err := pdq.ParseHash(e.Hash)
	if err != nil {
		return nil, 0
	}
	var best *post.Media
	bestD := 257
	for i := range p.Media {
		h, err := pdq.ParseHash(p.Media[i].PDQ)
		if err != nil {
			continue
		}
		if d := h.Distance(want); d < bestD {
			best, bestD = &p.Media[i], d
		}
	}
	return best, bestD
}

// matchViews explains the known-content signals of p. Errors of the bank
// store leave the panel with what the signals themselves say.
func (s *server) matchViews(ctx context.Context, p *post.Post) ([]matchView, []nearView) {
	var (
		ms   []matchView
		near []nearView
	)
	for _, sg := range p.Signals {
		switch sg.Detector {
		case recycled.Name:
			near = append(near, nearView{Key: sg.Ref, Similarity: sg.Score})
		case known.BankDetector:
			m := matchView{Signal: sg, Distance: -1}
			m.Bank, m.EntryID, _ = parseRef(sg.Ref)
			if d := pdqDistance.FindStringSubmatch(sg.Explanation); d != nil {
				m.Distance, _ = strconv.Atoi(d[1])
			}
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 || s.Banks == nil {
		return ms, near
	}
	set, err := s.loadBanks(ctx)
	if err != nil {
		s.Log.Error("banks for the match panel", "post", p.Key(), "err", err)
		return ms, near
	}
	// Hashes of other posts' media to look for, by algorithm.
	wanted := map[string]map[string][]string{}
	for i := range ms {
		m := &ms[i]
		e, ok := set.entry(m.EntryID)
		if !ok || e.Bank != m.Bank {
			continue
		}
		m.Found, m.Entry = true, e
		m.EntryURL = set.entryURL(e)
		if b, err := set.bank(e.Bank); err == nil {
			m.Kind = b.Kind
			m.Partner = b.Source
		}
		if e.Provenance.SharedBy != "" {
			m.Partner = e.Provenance.SharedBy
		}
		if m.Partner == "" {
			m.Partner = e.Bank
		}
		m.Exact = e.Algo != hashbank.AlgoPDQ
		if mm, d := ownMedia(p, e); mm != nil {
			if !m.Exact {
				m.Distance = d
			}
			if s.kept(mm.SHA256) {
				m.PostImage = mm.SHA256
			}
		}
		if e.Algo == hashbank.AlgoText {
			continue
		}
		if wanted[e.Algo] == nil {
			wanted[e.Algo] = map[string][]string{}
		}
		wanted[e.Algo][e.Hash] = nil
	}
	self := p.Key()
	for algo, hashes := range wanted {
		err := s.Banks.MediaHashes(ctx, algo, func(hash, key string) error {
			hash = strings.ToLower(hash)
			if keys, ok := hashes[hash]; ok && key != self && len(keys) < maxBankPosts && !slices.Contains(keys, key) {
				hashes[hash] = append(keys, key)
			}
			return nil
		})
		if err != nil {
			s.Log.Error("media hashes for the match panel", "algo", algo, "err", err)
		}
	}
	for i := range ms {
		m := &ms[i]
		if m.Found {
			m.BankImage, m.BankPost = s.bankImage(ctx, m.Entry, wanted[m.Entry.Algo][m.Entry.Hash])
		}
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
			if strings.EqualFold(mediaHash(om, e.Algo), e.Hash) && s.kept(om.SHA256) {
				return om.SHA256, key
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
	f, err := root.Open(ingest.MediaPath(".", sum))
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
