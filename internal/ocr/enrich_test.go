package ocr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// keepFixture copies a testdata image into dir as ingest keeps media, by
// SHA-256, and returns the hash.
func keepFixture(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	sha := hex.EncodeToString(sum[:])
	path := post.MediaPath(dir, sha)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return sha
}

func photoPost(id, text string, shas ...string) post.Post {
	p := post.Post{Platform: post.Telegram, ID: id, Kind: post.Message, Text: text}
	for _, sha := range shas {
		p.Media = append(p.Media, post.Media{Kind: "photo", Path: "photos/" + id + ".png",
			Hashes: []post.Hash{{Type: signaltype.SHA256.Name, Value: sha}}})
	}
	return p
}

func ocrSignals(p *post.Post) []post.Signal {
	var out []post.Signal
	for _, s := range p.Signals {
		if s.Detector == Detector {
			out = append(out, s)
		}
	}
	return out
}

// TestEnricher reads the hand-made claim and news cards of a batch: the
// claim's post gets a violating OCR-text signal with boxed spans, the news
// post a signal that is not; the same image in two posts is read once, and
// a second enricher that may not run Tesseract finds both readings in the
// store.
func TestEnricher(t *testing.T) {
	needTesseract(t)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := t.TempDir()
	claim, news := keepFixture(t, dir, "claim.png"), keepFixture(t, dir, "news.png")
	check := stack(t)
	cfg := EnrichConfig{MediaDir: dir, Check: func(p *post.Post) { check.Check(p, nil) }, Cache: st, Read: true, Workers: 2}
	batch := func() []post.Post {
		return []post.Post{photoPost("1", "", claim), photoPost("2", "انظروا", claim), photoPost("3", "", news),
			photoPost("4", "بلا صورة محفوظة", "00"+claim[2:]), {Platform: post.Telegram, ID: "5", Text: "نص فقط"}}
	}
	e := NewEnricher(cfg)
	ps := batch()
	if err := e.Enrich(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if s := e.Stats(); s.Read != 2 || s.Cached != 0 || s.Failed != 0 || s.Skipped != 0 {
		t.Errorf("stats %+v, want 2 read", s)
	}
	for i, want := range []struct {
		signals   int
		violating bool
	}{{1, true}, {1, true}, {1, false}, {0, false}, {0, false}} {
		sigs := ocrSignals(&ps[i])
		if len(sigs) != want.signals {
			t.Fatalf("post %d: %d OCR signals, want %d: %+v", i+1, len(sigs), want.signals, ps[i].Signals)
		}
		if want.signals == 0 {
			continue
		}
		s := sigs[0]
		if s.Label.Violating() != want.violating || s.Ref != ps[i].Media[0].Hash(signaltype.SHA256.Name) {
			t.Errorf("post %d: signal %+v", i+1, s)
		}
		if ps[i].Media[0].Hash(signaltype.OCRText.Name) == "" {
			t.Errorf("post %d: no OCR-text hash", i+1)
		}
		if want.violating && (len(s.Spans) == 0 || len(s.Spans[0].Boxes) == 0) {
			t.Errorf("post %d: violating without boxed spans: %+v", i+1, s)
		}
	}

	// Checked again, the post keeps one OCR signal per image; a process
	// without Tesseract reads the same from the store.
	again := NewEnricher(EnrichConfig{MediaDir: dir, Check: cfg.Check, Cache: st})
	if err := again.Enrich(ctx, ps); err != nil {
		t.Fatal(err)
	}
	fresh := batch()
	if err := again.Enrich(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	if s := again.Stats(); s.Read != 0 || s.Cached != 4 {
		t.Errorf("stats from the cache %+v, want 4 cached (two batches of two images), none read", s)
	}
	for i := range ps {
		if got, want := ocrSignals(&fresh[i]), ocrSignals(&ps[i]); !reflect.DeepEqual(got, want) {
			t.Errorf("post %d: from the cache %+v, read %+v", i+1, got, want)
		}
	}
}

// TestEnricherBudget leaves images unread once a batch's budget is spent.
func TestEnricherBudget(t *testing.T) {
	needTesseract(t)
	dir := t.TempDir()
	claim, news := keepFixture(t, dir, "claim.png"), keepFixture(t, dir, "news.png")
	check := stack(t)
	e := NewEnricher(EnrichConfig{MediaDir: dir, Check: func(p *post.Post) { check.Check(p, nil) }, Read: true, Budget: time.Nanosecond})
	ps := []post.Post{photoPost("1", "", claim), photoPost("2", "", news)}
	if err := e.Enrich(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	if s := e.Stats(); s.Skipped != 2 || s.Read != 0 {
		t.Errorf("stats %+v, want both images skipped", s)
	}
	if n := len(ocrSignals(&ps[0])) + len(ocrSignals(&ps[1])); n != 0 {
		t.Errorf("%d OCR signals without a reading", n)
	}
}

func TestDecodeRejectsBadOffsets(t *testing.T) {
	for _, in := range []string{`{`, `{"norm":"ab","words":[{"text":"x","start":1,"end":5}]}`, `{"norm":"ab","words":[{"start":2,"end":1}]}`} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode accepted %s", in)
		}
	}
	res := Result{Text: "جنود", Norm: "جنود", Words: []Word{{Text: "جنود", End: len("جنود"), Box: post.Box{X: 1, Y: 2, W: 3, H: 4}, Conf: 90}}}
	b, err := res.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Decode(b); err != nil || !reflect.DeepEqual(got, res) {
		t.Errorf("round trip %+v, %v", got, err)
	}
}

// BenchmarkEnrich reads a batch of the three hand-made fixtures with no
// cache, at one and two Tesseract processes at once: images per second
// and milliseconds per image of the batch path's OCR on this machine.
func BenchmarkEnrich(b *testing.B) {
	needTesseract(b)
	dir := b.TempDir()
	shas := []string{keepFixture(b, dir, "claim.png"), keepFixture(b, dir, "news.png"), keepFixture(b, dir, "counter.png")}
	check := stack(b)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			e := NewEnricher(EnrichConfig{MediaDir: dir, Check: func(p *post.Post) { check.Check(p, nil) }, Read: true, Workers: workers})
			start := time.Now()
			for b.Loop() {
				ps := []post.Post{photoPost("1", "", shas[0]), photoPost("2", "", shas[1]), photoPost("3", "", shas[2])}
				if err := e.Enrich(context.Background(), ps); err != nil {
					b.Fatal(err)
				}
			}
			n := float64(e.Stats().Read)
			b.ReportMetric(n/time.Since(start).Seconds(), "images/s")
			b.ReportMetric(time.Since(start).Seconds()*1000/n, "ms/image")
		})
	}
}
