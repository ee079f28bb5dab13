package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
	"github.com/raqib-project/raqib/internal/source"
)

func TestSniff(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"../source/telegram/testdata/channel/result.json", "telegram"},
		{"../source/rocketchat/testdata/history.json", "rocketchat"},
		{"../source/xapi/testdata/arabic_page.jsonl", "xapi"},
		{"../source/xapi/testdata/archive/tweets.js", "xarchive"},
		{"../source/whatsapp/testdata/android_ar.txt", "whatsapp"},
		{"../source/whatsapp/testdata/ios_ar.txt", "whatsapp"},
		{"../source/whatsapp/testdata/arabic_media.zip", "whatsapp"},
		{"../source/feed/testdata/arabic_rss_1256.xml", "feed"},
		{"../source/feed/testdata/arabic_atom.xml", "feed"},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			data, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			d := Sniff(tc.file, data[:min(len(data), 4096)])
			if d == nil || d.Name() != tc.want {
				t.Fatalf("sniffed %v, want %s", d, tc.want)
			}
		})
	}
}

func collect(t *testing.T, opts Options, paths ...string) (Summary, []post.Post, error) {
	t.Helper()
	var ps []post.Post
	opts.Publish = func(_ context.Context, b []post.Post) error { ps = append(ps, b...); return nil }
	sum, err := Run(context.Background(), opts, paths, strings.NewReader(""))
	return sum, ps, err
}

func TestRunHashesImages(t *testing.T) {
	media := t.TempDir()
	sum, ps, err := collect(t, Options{Batch: 3, MediaDir: media}, "../source/telegram/testdata/channel")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 1 || sum.Posts != len(ps) || sum.Posts == 0 {
		t.Fatalf("summary %+v, %d posts", sum, len(ps))
	}
	if len(sum.Skipped) == 0 {
		t.Error("the photos of the export were not listed as skipped files")
	}
	hashed := 0
	for _, p := range ps {
		if p.CollectedAt.IsZero() {
			t.Errorf("post %s has no CollectedAt", p.ID)
		}
		for _, m := range p.Media {
			if pdq := m.Hash("pdq"); pdq != "" {
				hashed++
				if len(pdq) != 64 || m.Hash("sha256") == "" {
					t.Errorf("media %+v", m)
				}
				kept, err := os.ReadFile(post.MediaPath(media, m.Hash("sha256")))
				if err != nil || len(kept) == 0 {
					t.Errorf("image %s not kept: %v", m.Path, err)
				}
			}
		}
	}
	if hashed == 0 || sum.Images != hashed {
		t.Errorf("%d images hashed, summary says %d", hashed, sum.Images)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "notes.bin")
	os.WriteFile(unknown, []byte{0, 1, 2, 3}, 0o600)

	t.Run("explicit unknown file", func(t *testing.T) {
		_, _, err := collect(t, Options{}, unknown)
		if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), "notes.bin") {
			t.Errorf("err = %v, want ErrUnknownFormat naming the file", err)
		}
	})
	t.Run("unknown file in a folder is skipped", func(t *testing.T) {
		sum, _, err := collect(t, Options{}, dir)
		if err != nil || len(sum.Skipped) != 1 {
			t.Errorf("sum %+v err %v", sum, err)
		}
	})
	t.Run("fallback", func(t *testing.T) {
		text := filepath.Join(dir, "lines.txt")
		os.WriteFile(text, []byte("سطر أول\nسطر ثان\n"), 0o600)
		sum, ps, err := collect(t, Options{Fallback: "text"}, text)
		if err != nil || sum.Posts != 2 || ps[1].Text != "سطر ثان" {
			t.Errorf("sum %+v err %v", sum, err)
		}
	})
	t.Run("unknown format name", func(t *testing.T) {
		if _, _, err := collect(t, Options{Format: "myspace"}, unknown); err == nil || !strings.Contains(err.Error(), "telegram") {
			t.Errorf("err = %v, want the list of known formats", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if _, _, err := collect(t, Options{}, filepath.Join(dir, "nope.json")); err == nil {
			t.Error("no error for a missing file")
		}
	})
	t.Run("rejections are counted and the rest kept", func(t *testing.T) {
		var rs []source.Rejection
		sum, ps, err := collect(t, Options{Reject: func(r source.Rejection) { rs = append(rs, r) }}, "../source/xapi/testdata/arabic_page.jsonl")
		if err != nil || sum.Rejected == 0 || len(rs) != sum.Rejected || len(ps) == 0 {
			t.Errorf("sum %+v rejections %v err %v", sum, rs, err)
		}
		for _, r := range rs {
			if r.File == "" || r.Line == 0 {
				t.Errorf("rejection without file and line: %+v", r)
			}
		}
	})
}

func TestOpenBesideStaysInFolder(t *testing.T) {
	open := openBeside(t.TempDir())
	for _, rel := range []string{"../etc/passwd", "/etc/passwd", "a/../../x"} {
		if f, err := open(rel); err == nil {
			f.Close()
			t.Errorf("opened %q outside the export folder", rel)
		}
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	if _, _, err := collect(t, Options{Progress: &buf}, "../source/xapi/testdata/arabic_page.jsonl"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "100%") || !strings.Contains(buf.String(), "posts") {
		t.Errorf("progress output %q", buf.String())
	}
}

// TestRunRecordsSources checks that every file read becomes one source,
// with the same id in every import, its counts, and its id on each post.
func TestRunRecordsSources(t *testing.T) {
	files := []string{"../source/xapi/testdata/arabic_page.jsonl", "../source/whatsapp/testdata/android_ar.txt"}
	var ids []string
	for round := range 2 {
		var srcs []post.Source
		at := time.Date(2026, 11, 30, 8, round, 0, 0, time.UTC)
		sum, ps, err := collect(t, Options{
			Now:    func() time.Time { return at },
			Source: func(_ context.Context, s post.Source) error { srcs = append(srcs, s); return nil },
		}, files...)
		if err != nil {
			t.Fatal(err)
		}
		if len(srcs) != len(files) {
			t.Fatalf("%d sources for %d files: %+v", len(srcs), len(files), srcs)
		}
		var read, rejected int64
		for i, s := range srcs {
			abs, _ := filepath.Abs(files[i])
			if s.Location != abs || s.ID != post.SourceID(s.Format, abs) || s.Platform == "" {
				t.Errorf("source %+v, want the absolute path %s, its id and a platform", s, abs)
			}
			if !s.FirstCollected.Equal(at) || !s.LastCollected.Equal(at) {
				t.Errorf("source collected %v–%v, want %v", s.FirstCollected, s.LastCollected, at)
			}
			n := 0
			for _, p := range ps {
				if p.Origin.Source == s.ID {
					n++
				}
			}
			if int64(n) != s.Read {
				t.Errorf("source %s: %d posts carry its id, it read %d", s.Format, n, s.Read)
			}
			read, rejected = read+s.Read, rejected+s.Rejected
			if round == 0 {
				ids = append(ids, s.ID)
			} else if s.ID != ids[i] {
				t.Errorf("re-import: source id %s, was %s", s.ID, ids[i])
			}
		}
		if read != int64(sum.Posts) || rejected != int64(sum.Rejected) || rejected == 0 {
			t.Errorf("sources read %d rejected %d; summary %+v (the X fixture has a bad line)", read, rejected, sum)
		}
	}
}

// brokenZip is a WhatsApp export whose chat member fails its checksum.
func brokenZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "_chat.txt", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	chat := "12/9/20, 23:55 - a: رسالة\n12/9/20, 23:56 - b: أخرى\n"
	w.Write([]byte(chat))
	zw.Close()
	b := buf.Bytes()
	i := bytes.Index(b, []byte("أخرى"))
	b[i] ^= 1
	return b
}

// TestBrokenFileInFolder checks that a file that cannot be read costs only
// itself: the files after it are imported and the run names it.
func TestBrokenFileInFolder(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "../source/xapi/testdata/arabic_page.jsonl", filepath.Join(dir, "a.jsonl"))
	os.WriteFile(filepath.Join(dir, "b.zip"), brokenZip(t), 0o600)
	copyFile(t, "../source/whatsapp/testdata/android_ar.txt", filepath.Join(dir, "c.txt"))
	sum, ps, err := collect(t, Options{}, dir)
	if !errors.Is(err, ErrFilesFailed) || !strings.Contains(err.Error(), "b.zip") {
		t.Errorf("err = %v, want ErrFilesFailed naming b.zip", err)
	}
	if sum.Files != 2 || len(sum.FailedFiles) != 1 || !strings.Contains(sum.FailedFiles[0], "b.zip") || !strings.Contains(sum.FailedFiles[0], "checksum") {
		t.Errorf("summary %+v, want 2 files read and b.zip failed with its reason", sum)
	}
	formats := map[string]int{}
	for _, p := range ps {
		formats[p.Origin.Format]++
	}
	if formats["xapi"] == 0 || formats["whatsapp"] == 0 {
		t.Errorf("posts by format %v: the files around the broken one were not all read", formats)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// pngOf encodes a 64×64 picture drawn by f.
func pngOf(t *testing.T, f func(x, y int) uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			img.SetGray(x, y, color.Gray{Y: f(x, y)})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestZipMediaHashedFromMember checks that an image inside a WhatsApp zip
// is hashed from the member, not from a file of the same name beside the
// zip (which gave the decoy's PDQ next to the member's SHA-256).
func TestZipMediaHashedFromMember(t *testing.T) {
	dir, store := t.TempDir(), t.TempDir()
	member := pngOf(t, func(x, y int) uint8 { return uint8(x * 4) })
	decoy := pngOf(t, func(x, y int) uint8 { return uint8(y*4) ^ uint8(x*16) })
	const name = "IMG-20200803-WA0001.png"
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for _, m := range []struct {
		name string
		data []byte
	}{{"_chat.txt", []byte("12/9/20, 23:55 - a: " + name + " (file attached)\n12/9/20, 23:56 - a: نص\n")}, {name, member}} {
		w, _ := zw.Create(m.name)
		w.Write(m.data)
	}
	zw.Close()
	os.WriteFile(filepath.Join(dir, "chat.zip"), zbuf.Bytes(), 0o600)
	os.WriteFile(filepath.Join(dir, name), decoy, 0o600)

	_, ps, err := collect(t, Options{MediaDir: store}, filepath.Join(dir, "chat.zip"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := pdq.NewHasher().HashBytes(member, pdq.DefaultMaxPixels)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || len(ps[0].Media) != 1 {
		t.Fatalf("posts %+v", ps)
	}
	m := ps[0].Media[0]
	if m.Hash(signaltype.PDQ.Name) != want.PDQ.String() || m.Hash(signaltype.SHA256.Name) != want.SHA256 {
		t.Errorf("media hashes %+v, want the member's PDQ %s SHA-256 %s", m.Hashes, want.PDQ, want.SHA256)
	}
	if kept, err := os.ReadFile(post.MediaPath(store, m.Hash(signaltype.SHA256.Name))); err != nil || !bytes.Equal(kept, member) {
		t.Errorf("kept file is not the member (%v)", err)
	}
}

// TestSymlinksNotFollowed checks that links inside an export folder are
// neither read as inputs nor as media: one to /etc/passwd was copied into
// the media store.
func TestSymlinksNotFollowed(t *testing.T) {
	outside, dir, store := t.TempDir(), t.TempDir(), t.TempDir()
	copyFile(t, "../source/telegram/testdata/channel/result.json", filepath.Join(dir, "export", "result.json"))
	photo := filepath.Join(outside, "secret.jpg")
	copyFile(t, "../source/telegram/testdata/channel/photos/photo_1@01-03-2024_10-00-00.jpg", photo)
	os.MkdirAll(filepath.Join(dir, "export", "photos"), 0o750)
	if err := os.Symlink(photo, filepath.Join(dir, "export", "photos", "photo_1@01-03-2024_10-00-00.jpg")); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(outside, "tweets.jsonl")
	copyFile(t, "../source/xapi/testdata/arabic_page.jsonl", secret)
	os.Symlink(secret, filepath.Join(dir, "linked.jsonl"))
	// A linked folder inside the export hides a real file behind it.
	os.Symlink(outside, filepath.Join(dir, "export", "video_files"))

	var warnings []string
	sum, ps, err := collect(t, Options{MediaDir: store, Warn: func(w source.Rejection) { warnings = append(warnings, w.Error()) }}, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Origin.Format != "telegram" {
			t.Errorf("post %s read through a link from %s", p.ID, p.Origin.File)
		}
		for _, m := range p.Media {
			if len(m.Hashes) != 0 {
				t.Errorf("media %s hashed through a link: %+v", m.Path, m)
			}
		}
	}
	if kept, _ := os.ReadDir(store); len(kept) != 0 {
		t.Errorf("media store holds %d entries read through links", len(kept))
	}
	if !slices.ContainsFunc(sum.Skipped, func(s string) bool { return strings.Contains(s, "linked.jsonl") && strings.Contains(s, "link") }) {
		t.Errorf("skipped %q, want linked.jsonl named as a link", sum.Skipped)
	}
	if !slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, "photo_1") && strings.Contains(w, "symbolic link") }) {
		t.Errorf("warnings %q, want the linked photo named", warnings)
	}
}

// TestRecordLimit checks, for every format, that a record over --max-record
// is rejected with its size and the limit and the record after it imported,
// and that the default limit keeps both.
func TestRecordLimit(t *testing.T) {
	body := strings.Repeat("نص ", 1000) // 5000 bytes
	for _, f := range oneRecordFiles {
		t.Run(f.format+"/"+f.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), f.name)
			os.WriteFile(path, []byte(f.write(body)), 0o600)
			var rs []source.Rejection
			sum, ps, err := collect(t, Options{MaxRecord: 2000, Reject: func(r source.Rejection) { rs = append(rs, r) }}, path)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != 1 || !strings.Contains(ps[0].Text, "بعد") || ps[0].Origin.Format != f.format {
				t.Errorf("%d posts, want only the one after the large record", len(ps))
			}
			if sum.Rejected != 1 || len(rs) != 1 || !strings.Contains(rs[0].Reason, "limit of 2000 bytes") ||
				(rs[0].Line == 0 && rs[0].Offset == 0) || rs[0].File != path {
				t.Errorf("rejections %+v, want one naming the file, its place, its size and the limit", rs)
			}
			if _, ps, err = collect(t, Options{}, path); err != nil || len(ps) != 2 {
				t.Errorf("default limit: %d posts, %v", len(ps), err)
			}
		})
	}
}
