package ingest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/post"
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
				kept, err := os.ReadFile(MediaPath(media, m.Hash("sha256")))
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
