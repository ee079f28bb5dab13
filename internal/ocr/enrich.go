package ocr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
	"github.com/raqib-project/raqib/internal/store"
)

// ErrNoLanguage is returned by Ready when Tesseract lacks a model.
var ErrNoLanguage = errors.New("tesseract has no model for the language (apt-get install tesseract-ocr-ara)")

// readTimeout bounds one Tesseract or ffmpeg run: a pathological file must
// not hold a batch for ever.
const readTimeout = 2 * time.Minute

// Ready reports whether Tesseract is installed with every model of
// languages ("ara+eng"; empty means Languages).
func Ready(ctx context.Context, languages string) error {
	if !Available() {
		return ErrNoTesseract
	}
	if languages == "" {
		languages = Languages
	}
	out, err := exec.CommandContext(ctx, "tesseract", "--list-langs").CombinedOutput()
	if err != nil {
		return fmt.Errorf("tesseract --list-langs: %w: %s", err, bytes.TrimSpace(out))
	}
	have := strings.Fields(string(out))
	for _, l := range strings.Split(languages, "+") {
		if !slices.Contains(have, l) {
			return fmt.Errorf("%w: %s", ErrNoLanguage, l)
		}
	}
	return nil
}

// CacheKey is the key of the reading of the media file with that SHA-256:
// the languages read are part of it, since other models read other text.
func (r *Reader) CacheKey(sha256 string) string {
	lang := r.Languages
	if lang == "" {
		lang = Languages
	}
	return sha256 + "/" + lang
}

// Encode is the form of a reading in the cache (store.OCRTexts).
func (res *Result) Encode() ([]byte, error) { return json.Marshal(res) }

// Decode reads a reading made by Encode.
func Decode(b []byte) (Result, error) {
	var res Result
	if err := json.Unmarshal(b, &res); err != nil {
		return res, fmt.Errorf("%w: cached reading: %w", ErrBadOutput, err)
	}
	for _, w := range res.Words {
		if w.Start < 0 || w.Start > w.End || w.End > len(res.Norm) {
			return Result{}, fmt.Errorf("%w: cached reading: word %q at %d:%d outside the text", ErrBadOutput, w.Text, w.Start, w.End)
		}
	}
	return res, nil
}

// EnrichConfig says what an Enricher reads and how much it may spend.
type EnrichConfig struct {
	Reader Reader
	// MediaDir is where ingest keeps media files by SHA-256
	// (post.MediaPath).
	MediaDir string
	// Check runs the detection stack on a post without counters
	// (rules.Stack.Check(p, nil)).
	Check func(p *post.Post)
	// Cache keeps readings by media hash; nil reads every batch anew.
	Cache store.OCRTexts
	// Read, when false, only uses readings in Cache: Tesseract is missing
	// or OCR was switched off, and posts are still checked against what
	// was read before.
	Read bool
	// Workers bounds the Tesseract processes running at once for all the
	// batches of the process; 0 means 1.
	Workers int
	// Budget bounds the time one batch spends reading media not in
	// Cache: the files not started by then are left unread, so that a
	// media-heavy import is not held up for hours. 0 means no bound.
	Budget time.Duration
	Log    *slog.Logger
}

// EnrichStats counts what an Enricher did since it was made.
type EnrichStats struct {
	Read    int64 // media files OCR'd
	Cached  int64 // readings found in the cache (or earlier in the batch)
	Skipped int64 // files left unread when a batch's budget ran out
	Failed  int64 // files OCR could not read (logged)
}

// Enricher reads the text inside the images and videos of a batch's
// posts, from the copies ingest keeps, and adds to each post one OCR-text
// signal per media file with text: the text went through the detection
// stack as a post of its own (Check), and the signal carries its decision
// and the boxes of its violating spans, its Ref the file's SHA-256. The
// media get the OCR-text hash, for hash banks of that type. It is safe for
// concurrent use.
type Enricher struct {
	cfg EnrichConfig
	sem chan struct{}

	read, cached, skipped, failed atomic.Int64
}

// NewEnricher returns an enricher; cfg.Check is required.
func NewEnricher(cfg EnrichConfig) *Enricher {
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Enricher{cfg: cfg, sem: make(chan struct{}, cfg.Workers)}
}

// Stats returns the counts so far.
func (e *Enricher) Stats() EnrichStats {
	return EnrichStats{Read: e.read.Load(), Cached: e.cached.Load(), Skipped: e.skipped.Load(), Failed: e.failed.Load()}
}

// mediaKind is "image" or "video" for the media OCR reads, "" otherwise.
func mediaKind(m *post.Media) string {
	switch {
	case strings.HasPrefix(m.MIME, "image/"):
		return "image"
	case strings.HasPrefix(m.MIME, "video/"):
		return "video"
	}
	switch m.Kind {
	case "photo", "sticker", "thumbnail":
		return "image"
	case "video", "animation", "video_message":
		return "video"
	case "file":
		return Kind(m.Path)
	}
	return ""
}

// job is one media file of the batch to read: its cache key, file and the
// reading once there is one.
type job struct {
	key, sha, path, kind string
	res                  *Result
}

// Enrich adds the OCR-text signals to the posts of a batch. An error
// (the cache cannot be read or written) leaves the batch to be retried;
// a file OCR cannot read is logged and its post goes on without it.
func (e *Enricher) Enrich(ctx context.Context, ps []post.Post) error {
	jobs := map[string]*job{}
	var order []*job
	for i := range ps {
		for j := range ps[i].Media {
			m := &ps[i].Media[j]
			sha := m.Hash(signaltype.SHA256.Name)
			kind := mediaKind(m)
			if m.Omitted || sha == "" || kind == "" {
				continue
			}
			key := e.cfg.Reader.CacheKey(sha)
			if jobs[key] == nil {
				jobs[key] = &job{key: key, sha: sha, path: post.MediaPath(e.cfg.MediaDir, sha), kind: kind}
				order = append(order, jobs[key])
			}
		}
	}
	if len(order) == 0 {
		return nil
	}
	if err := e.fromCache(ctx, order); err != nil {
		return err
	}
	if e.cfg.Read {
		if err := e.readMissing(ctx, order); err != nil {
			return err
		}
	}
	e.attach(ps, jobs)
	return nil
}

// fromCache fills the readings the cache holds.
func (e *Enricher) fromCache(ctx context.Context, order []*job) error {
	if e.cfg.Cache == nil {
		return nil
	}
	keys := make([]string, len(order))
	for i, j := range order {
		keys[i] = j.key
	}
	got, err := e.cfg.Cache.OCRTexts(ctx, keys)
	if err != nil {
		return fmt.Errorf("ocr cache: %w", err)
	}
	for _, j := range order {
		b, ok := got[j.key]
		if !ok {
			continue
		}
		res, err := Decode(b)
		if err != nil {
			e.cfg.Log.Warn("cached OCR reading unreadable; reading the file again", "media", j.sha, "err", err)
			continue
		}
		j.res = &res
		e.cached.Add(1)
	}
	return nil
}

// readMissing runs OCR on the files without a reading, at most Workers at
// once in the process, until the batch's budget runs out, and caches what
// it read.
func (e *Enricher) readMissing(ctx context.Context, order []*job) error {
	start := time.Now()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		fresh  []store.OCRText
		budget = e.cfg.Budget
	)
	skipped := 0
	for _, j := range order {
		if j.res != nil {
			continue
		}
		if _, err := os.Stat(j.path); err != nil {
			continue // not kept: collected without its file, or kept elsewhere
		}
		select {
		case e.sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		if budget > 0 && time.Since(start) >= budget {
			<-e.sem
			skipped++
			continue
		}
		wg.Add(1)
		go func(j *job) {
			defer wg.Done()
			defer func() { <-e.sem }()
			res, err := e.readOne(ctx, j)
			if err != nil {
				if ctx.Err() == nil {
					e.failed.Add(1)
					e.cfg.Log.Warn("text inside a media file not read (post kept)", "media", j.sha, "err", err)
				}
				return
			}
			data, err := res.Encode()
			if err != nil {
				return
			}
			mu.Lock()
			j.res = &res
			fresh = append(fresh, store.OCRText{Key: j.key, Data: data})
			mu.Unlock()
		}(j)
	}
	wg.Wait()
	if skipped > 0 {
		e.skipped.Add(int64(skipped))
		e.cfg.Log.Warn("OCR budget of the batch spent: media left unread (raise --ocr-budget or --ocr-workers)",
			"unread", skipped, "budget", budget)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(fresh) > 0 && e.cfg.Cache != nil {
		if err := e.cfg.Cache.SaveOCRTexts(ctx, fresh); err != nil {
			return fmt.Errorf("ocr cache: %w", err)
		}
	}
	return nil
}

func (e *Enricher) readOne(ctx context.Context, j *job) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	var (
		res Result
		err error
	)
	if j.kind == "video" {
		res, err = e.cfg.Reader.Video(ctx, j.path)
	} else {
		res, err = e.cfg.Reader.Image(ctx, j.path)
	}
	if err == nil {
		e.read.Add(1)
	}
	return res, err
}

// attach adds each reading's OCR-text signal to the posts with that
// media, replacing the signal an earlier check of the post left for the
// same file. The stack checks each reading once per batch.
func (e *Enricher) attach(ps []post.Post, jobs map[string]*job) {
	signals := map[string]*post.Signal{}
	for i := range ps {
		p := &ps[i]
		for k := range p.Media {
			m := &p.Media[k]
			sha := m.Hash(signaltype.SHA256.Name)
			j := jobs[e.cfg.Reader.CacheKey(sha)]
			if sha == "" || j == nil || j.res == nil || j.res.Norm == "" {
				continue
			}
			sig := signals[j.key]
			if sig == nil {
				_, s := Check(j.res, j.path, e.cfg.Check)
				s.Ref = sha
				sig = &s
				signals[j.key] = sig
			}
			if v, ok := signaltype.TextHash(j.res.Norm); ok {
				m.SetHash(post.Hash{Type: signaltype.OCRText.Name, Value: v})
			}
			p.Signals = slices.DeleteFunc(p.Signals, func(s post.Signal) bool { return s.Detector == Detector && s.Ref == sha })
			p.Signals = append(p.Signals, *sig)
		}
	}
}
