package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/pdq/vpdq"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
	"github.com/raqib-project/raqib/internal/source"
)

func videoPost(names ...string) post.Post {
	p := post.Post{ID: "1"}
	for _, n := range names {
		p.Media = append(p.Media, post.Media{Kind: "video", Path: n})
	}
	return p
}

func dirInput(dir string) source.Input {
	return source.Input{Name: "chat.txt", Open: func(rel string) (io.ReadCloser, error) { return os.Open(filepath.Join(dir, rel)) }}
}

func TestVideoHashedAtImport(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not found: install ffmpeg (apt-get install ffmpeg) to run the video tests")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "clip.mkv")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10:duration=3",
		"-c:v", "ffv1", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.mp4"), []byte("not a video"), 0o600); err != nil {
		t.Fatal(err)
	}
	var warnings []source.Rejection
	var images, videos int
	mh := mediaHasher{h: pdq.NewHasher(), warn: func(r source.Rejection) { warnings = append(warnings, r) }, hashed: &images, videos: &videos}
	p := videoPost("clip.mkv", "broken.mp4", "absent.mp4")
	mh.hash(context.Background(), dirInput(dir), &p)

	want, _, err := vpdq.Hash(context.Background(), path, vpdq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantValue, err := signaltype.VPDQValue(want)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Media[0].Hash(signaltype.VPDQ.Name); got != wantValue || videos != 1 || p.Media[0].Width != 96 {
		t.Errorf("vpdq %q (%d videos, width %d), want %q", got, videos, p.Media[0].Width, wantValue)
	}
	if p.Media[1].Hash(signaltype.VPDQ.Name) != "" || len(warnings) != 1 {
		t.Errorf("broken video: %+v; warnings %+v", p.Media[1], warnings)
	}
}

// TestVideoWithoutFFmpeg keeps the posts and says once that videos are not
// hashed.
func TestVideoWithoutFFmpeg(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	dir := t.TempDir()
	for _, n := range []string{"a.mp4", "b.mp4"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var warnings []source.Rejection
	var images, videos int
	mh := mediaHasher{h: pdq.NewHasher(), warn: func(r source.Rejection) { warnings = append(warnings, r) }, hashed: &images, videos: &videos}
	for range 2 {
		p := videoPost("a.mp4", "b.mp4")
		mh.hash(context.Background(), dirInput(dir), &p)
		if len(p.Media[0].Hashes)+len(p.Media[1].Hashes) != 0 {
			t.Errorf("hashes without ffmpeg: %+v", p.Media)
		}
	}
	if len(warnings) != 1 || videos != 0 {
		t.Errorf("%d warnings (%+v), %d videos; want one warning", len(warnings), warnings, videos)
	}
}

// TestVideoKept keeps an imported video under its SHA-256 in the media
// folder, as images are, for the batch path to read its keyframes.
func TestVideoKept(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not found: install ffmpeg (apt-get install ffmpeg) to run the video tests")
	}
	dir, media := t.TempDir(), t.TempDir()
	path := filepath.Join(dir, "clip.mkv")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10:duration=1",
		"-c:v", "ffv1", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var images, videos int
	mh := mediaHasher{h: pdq.NewHasher(), dir: media, warn: func(r source.Rejection) { t.Error(r) }, hashed: &images, videos: &videos}
	for range 2 {
		p := videoPost("clip.mkv")
		mh.hash(context.Background(), dirInput(dir), &p)
		sum := sha256.Sum256(b)
		sha := hex.EncodeToString(sum[:])
		if got := p.Media[0].Hash(signaltype.SHA256.Name); got != sha {
			t.Fatalf("sha256 %q, want %q", got, sha)
		}
		kept, err := os.ReadFile(post.MediaPath(media, sha))
		if err != nil || !bytes.Equal(kept, b) {
			t.Fatalf("kept copy: %v", err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(media, ".tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
