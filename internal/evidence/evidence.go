// Package evidence keeps court-grade evidence of a case: the raw records,
// the posts as raqib saw them, their media and the live pages, captured
// into WARC files; a manifest with the SHA-256 of every artefact, stamped
// by an RFC 3161 time-stamping authority when one is configured; and an
// entry per capture, export and deletion in the hash-chained audit trail,
// which serves as the custody log. Verify re-checks all of it and names
// what changed; Export writes a package a prosecutor can open.
package evidence

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/fetch"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// Audit actions of the custody log.
const (
	ActionCapture = "evidence.capture"
	ActionExport  = "evidence.export"
	ActionDelete  = "evidence.delete"
)

// File names inside a capture directory.
const (
	warcFile      = "capture.warc.gz"
	manifestFile  = "manifest.json"
	timestampFile = "manifest.tsr"
)

// DefaultMaxPosts is how many posts of one case a capture keeps: a
// campaign case holds thousands of copies of one text, and the first
// ones, with the raw records, prove it.
const DefaultMaxPosts = 200

var (
	// ErrNoPosts is returned when a case has no post to capture.
	ErrNoPosts = errors.New("case has no posts")
	// ErrTampered is returned (wrapped, naming the file or entry) when
	// Verify finds evidence that changed.
	ErrTampered = errors.New("evidence does not verify")
)

// Manifest lists what one capture holds. Its SHA-256 is what the
// timestamp and the custody log commit to.
type Manifest struct {
	Version   int       `json:"version"`
	Capture   string    `json:"capture"` // case-<id>/<capture id>
	Case      int64     `json:"case"`
	Actor     string    `json:"actor"`
	CreatedAt time.Time `json:"created_at"`
	// Posts are the keys captured; More says the case holds more posts
	// than a capture keeps.
	Posts   []string    `json:"posts"`
	More    bool        `json:"more,omitempty"`
	Files   []File      `json:"files"`
	Records []RecordRef `json:"records"`
	// Problems are what could not be captured (a page that did not
	// load): recorded, not hidden.
	Problems []string `json:"problems,omitempty"`
	// Stamped says a timestamp token lies beside the manifest; set by
	// Captures, never written.
	Stamped bool `json:"-"`
}

// File is one artefact of a capture.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// RecordRef is one WARC record as the manifest lists it.
type RecordRef struct {
	Type   string `json:"type"`
	URI    string `json:"uri"`
	Post   string `json:"post,omitempty"`
	SHA256 string `json:"sha256"` // of the record's block
	Bytes  int    `json:"bytes"`
}

// custody is what the audit entry of a capture records.
type custody struct {
	Manifest  string     `json:"manifest_sha256"`
	Files     []File     `json:"files"`
	Timestamp *Timestamp `json:"timestamp,omitempty"`
}

// Posts is what a capture reads of the store.
type Posts interface {
	CasePosts(ctx context.Context, caseID int64, limit int) ([]string, error)
	Post(ctx context.Context, key string) (post.Post, []store.Version, error)
}

// Keeper captures, verifies, exports and prunes the evidence kept under
// Dir.
type Keeper struct {
	Dir      string // <data>/evidence
	MediaDir string // where ingest keeps media, named by post.MediaPath
	Posts    Posts
	Audit    store.Auditor
	// Fetch captures the posts' live pages; nil captures stored data
	// only.
	Fetch *fetch.Client
	// TSA timestamps each manifest; nil leaves manifests unstamped.
	TSA      *TSA
	MaxPosts int
	// MaxRequisites bounds the page requisites kept per live page; 0
	// means DefaultMaxRequisites.
	MaxRequisites int
	Version       string // raqib's version, written into each WARC
	Log           *slog.Logger
	Now           func() time.Time
}

func (k *Keeper) now() time.Time {
	if k.Now == nil {
		return time.Now().UTC()
	}
	return k.Now().UTC()
}

func (k *Keeper) log() *slog.Logger {
	if k.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return k.Log
}

// Capture keeps the evidence of case caseID as actor, from source (the
// actor's address or "cli"), and returns its manifest.
func (k *Keeper) Capture(ctx context.Context, caseID int64, actor, source string) (Manifest, error) {
	maxPosts := k.MaxPosts
	if maxPosts <= 0 {
		maxPosts = DefaultMaxPosts
	}
	keys, err := k.Posts.CasePosts(ctx, caseID, maxPosts+1)
	if err != nil {
		return Manifest{}, fmt.Errorf("posts of case %d: %w", caseID, err)
	}
	if len(keys) == 0 {
		return Manifest{}, fmt.Errorf("case %d: %w", caseID, ErrNoPosts)
	}
	now := k.now()
	var rnd [3]byte
	rand.Read(rnd[:])
	m := Manifest{
		Version: 1, Case: caseID, Actor: actor, CreatedAt: now, More: len(keys) > maxPosts,
		Capture: fmt.Sprintf("case-%d/%s-%s", caseID, now.Format("20060102T150405Z"), hex.EncodeToString(rnd[:])),
	}
	keys = keys[:min(len(keys), maxPosts)]
	dir := filepath.Join(k.Dir, filepath.FromSlash(m.Capture))
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return m, fmt.Errorf("evidence directory: %w", err)
	}
	var warc bytes.Buffer
	ww := &warcWriter{w: &warc}
	add := func(r *Record, postKey string) error {
		if r.Date.IsZero() {
			r.Date = now
		}
		if err := ww.Write(r); err != nil {
			return err
		}
		m.Records = append(m.Records, RecordRef{Type: r.Type, URI: r.TargetURI, Post: postKey, SHA256: sha256Hex(r.Block), Bytes: len(r.Block)})
		return nil
	}
	info := fmt.Sprintf("software: raqib %s\r\nformat: WARC File Format 1.1\r\ncase: %d\r\noperator: %s\r\n", k.Version, caseID, actor)
	if err := add(&Record{Type: WARCInfo, ContentType: "application/warc-fields", Block: []byte(info)}, ""); err != nil {
		return m, err
	}
	for _, key := range keys {
		p, _, err := k.Posts.Post(ctx, key)
		if err != nil {
			m.Problems = append(m.Problems, fmt.Sprintf("post %s: %v", key, err))
			continue
		}
		m.Posts = append(m.Posts, key)
		if err := k.capturePost(ctx, &p, add, &m); err != nil {
			return m, err
		}
	}
	return m, k.seal(ctx, dir, warc.Bytes(), &m, source)
}

// capturePost adds one post's records: its raw record byte for byte, the
// post as raqib stored it, its kept media, and its live page.
func (k *Keeper) capturePost(ctx context.Context, p *post.Post, add func(*Record, string) error, m *Manifest) error {
	key := p.Key()
	if len(p.Raw) > 0 {
		ct := "application/octet-stream"
		if json.Valid(p.Raw) {
			ct = "application/json"
		}
		if err := add(&Record{Type: WARCResource, TargetURI: "urn:raqib:raw:" + key, ContentType: ct, Block: p.Raw}, key); err != nil {
			return err
		}
	}
	doc := *p
	doc.Raw = nil
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("post %s: %w", key, err)
	}
	if err := add(&Record{Type: WARCMetadata, TargetURI: "urn:raqib:post:" + key, ContentType: "application/json", Block: b}, key); err != nil {
		return err
	}
	for _, md := range p.Media {
		sum := md.Hash("sha256")
		path := post.MediaPath(k.MediaDir, sum)
		if k.MediaDir == "" || path == "" {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				m.Problems = append(m.Problems, fmt.Sprintf("media %s of %s: %v", sum, key, err))
			}
			continue
		}
		uri := md.URL
		if uri == "" {
			uri = "urn:raqib:media:sha256:" + sum
		}
		ct := md.MIME
		if ct == "" {
			ct = http.DetectContentType(data)
		}
		if err := add(&Record{Type: WARCResource, TargetURI: uri, ContentType: ct, Block: data}, key); err != nil {
			return err
		}
	}
	if p.URL != "" && k.Fetch != nil {
		if err := k.capturePage(ctx, p.URL, key, add, m); err != nil {
			m.Problems = append(m.Problems, fmt.Sprintf("page of %s: %v", key, err))
		}
	}
	return nil
}

// capturePage keeps the post's live page and, when it is HTML, its page
// requisites (images, the preview image, style sheets, scripts), so that
// the page can be shown as it was; a requisite that fails is a problem of
// the manifest, not of the capture.
func (k *Keeper) capturePage(ctx context.Context, pageURL, key string, add func(*Record, string) error, m *Manifest) error {
	body, final, isHTML, err := k.archive(ctx, pageURL, key, add)
	if err != nil || !isHTML {
		return err
	}
	for _, u := range requisites(body, final, k.maxRequisites()) {
		if _, _, _, err := k.archive(ctx, u, key, add); err != nil {
			m.Problems = append(m.Problems, fmt.Sprintf("page requisite %s of %s: %v", u, key, err))
		}
	}
	return nil
}

// DefaultMaxRequisites bounds the requisites kept per page: a post's page
// has a few images and style sheets; a page with hundreds is not a post.
const DefaultMaxRequisites = 32

func (k *Keeper) maxRequisites() int {
	if k.MaxRequisites <= 0 {
		return DefaultMaxRequisites
	}
	return k.MaxRequisites
}

// archive fetches u through the SSRF-safe client and keeps the request
// and the response as web archives do. It returns the body, the URL the
// redirects ended at, and whether the body is HTML.
func (k *Keeper) archive(ctx context.Context, u, key string, add func(*Record, string) error) ([]byte, *url.URL, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, false, err
	}
	at := k.now()
	resp, err := k.Fetch.Do(req)
	if err != nil {
		return nil, nil, false, err
	}
	defer resp.Body.Close()
	// Read through the fetcher's size cap, then dumped from memory.
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, false, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	respBytes, err := httputil.DumpResponse(resp, true)
	if err != nil {
		return nil, nil, false, err
	}
	reqBytes, err := httputil.DumpRequestOut(req, false)
	if err != nil {
		return nil, nil, false, err
	}
	reqRec := &Record{Type: WARCRequest, TargetURI: u, Date: at, ContentType: "application/http; msgtype=request", Block: reqBytes}
	if err := add(reqRec, key); err != nil {
		return nil, nil, false, err
	}
	err = add(&Record{Type: WARCResponse, TargetURI: u, Date: at, ConcurrentTo: reqRec.ID,
		ContentType: "application/http; msgtype=response", Block: respBytes}, key)
	final := req.URL
	if resp.Request != nil && resp.Request.URL != nil {
		final = resp.Request.URL
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return body, final, resp.StatusCode == http.StatusOK && mt == "text/html", err
}

// requisites lists the http(s) URLs of up to limit resources the HTML page
// at base needs to be shown, resolved against base, each once.
func requisites(page []byte, base *url.URL, limit int) []string {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, sel := range []struct{ css, attr string }{
		{`meta[property="og:image"]`, "content"}, {`meta[name="twitter:image"]`, "content"},
		{"img", "src"}, {"video", "poster"}, {"source", "src"},
		{`link[rel~="stylesheet"]`, "href"}, {`link[rel~="icon"]`, "href"}, {"script", "src"},
	} {
		doc.Find(sel.css).EachWithBreak(func(_ int, s *goquery.Selection) bool {
			v, ok := s.Attr(sel.attr)
			if !ok {
				return true
			}
			ref, err := url.Parse(strings.TrimSpace(v))
			if err != nil {
				return true
			}
			u := base.ResolveReference(ref)
			u.Fragment = ""
			if (u.Scheme != "http" && u.Scheme != "https") || seen[u.String()] {
				return true
			}
			seen[u.String()] = true
			out = append(out, u.String())
			return len(out) < limit
		})
		if len(out) >= limit {
			break
		}
	}
	return out
}

// seal writes the WARC and the manifest into a hidden directory beside
// dir, timestamps the manifest, moves the directory to dir, and appends
// the custody entry. Readers never see a capture half written; the entry
// comes last, and a capture whose entry is missing is reported by Verify
// as not in custody.
func (k *Keeper) seal(ctx context.Context, dir string, warc []byte, m *Manifest, source string) error {
	final := dir
	dir = filepath.Join(filepath.Dir(final), "."+filepath.Base(final)+".partial")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("evidence directory: %w", err)
	}
	if err := writeFile(filepath.Join(dir, warcFile), warc); err != nil {
		return err
	}
	m.Files = []File{{Name: warcFile, SHA256: sha256Hex(warc), Bytes: int64(len(warc))}}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, manifestFile), mb); err != nil {
		return err
	}
	c := custody{Manifest: sha256Hex(mb), Files: m.Files}
	if k.TSA != nil {
		sum := sha256.Sum256(mb)
		token, ts, err := k.TSA.Stamp(ctx, sum[:])
		if err != nil {
			// Evidence without a timestamp is still evidence; the gap is
			// logged and the capture says so through its custody entry.
			k.log().Warn("timestamp of evidence manifest", "capture", m.Capture, "err", err)
		} else {
			if err := writeFile(filepath.Join(dir, timestampFile), token); err != nil {
				return err
			}
			c.Timestamp = &ts
		}
	}
	if err := os.Rename(dir, final); err != nil {
		return fmt.Errorf("evidence directory: %w", err)
	}
	after, _ := json.Marshal(c)
	if _, err := k.Audit.Append(ctx, audit.Entry{Actor: m.Actor, Source: source, Action: ActionCapture, Subject: m.Capture, After: after}); err != nil {
		return fmt.Errorf("custody entry of %s: %w", m.Capture, err)
	}
	return nil
}

func writeFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o400)
	if err != nil {
		return fmt.Errorf("evidence file: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("evidence file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("evidence file %s: %w", path, err)
	}
	return f.Close()
}
