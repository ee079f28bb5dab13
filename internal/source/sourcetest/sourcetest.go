// Package sourcetest holds the test helpers that every importer under
// internal/source needs: decoding a fixture, checking that each post's Raw
// is the input's own bytes, golden files rewritten with -update, and the
// check that a sink's error stops a decoder. It is imported by _test.go
// files only.
package sourcetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/shareddata"
	"github.com/raqib-project/raqib/internal/source"
)

// Update is the -update flag of every importer's tests: golden files are
// rewritten from the decoder's output instead of compared with it.
var Update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Fixture returns the bytes of testdata/name (a slash-separated path) of
// the package under test.
func Fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// AddFixtures adds testdata/name for each name to f's seed corpus, so that
// the hand-made fixtures run in every plain `go test`.
func AddFixtures(f *testing.F, names ...string) {
	f.Helper()
	for _, name := range names {
		f.Add(Fixture(f, name))
	}
}

// Decode runs d on in and fails the test when Decode returns an error.
func Decode(tb testing.TB, d source.Decoder, in source.Input) ([]post.Post, []source.Rejection) {
	tb.Helper()
	ps, rs, err := source.Collect(d, in)
	if err != nil {
		tb.Fatalf("decode %s: %v", in.Name, err)
	}
	return ps, rs
}

// DecodeFile decodes the file at path with d, named by its path as a user
// would give it and with files next to it reachable through Input.Open. It
// also returns the file's bytes, for CheckRaw.
func DecodeFile(tb testing.TB, d source.Decoder, path string) ([]post.Post, []source.Rejection, []byte) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	// os.DirFS refuses names that leave the folder, as a real export
	// folder should.
	dir := os.DirFS(filepath.Dir(path))
	ps, rs := Decode(tb, d, source.Input{
		Name: path,
		R:    bytes.NewReader(data),
		Open: func(rel string) (io.ReadCloser, error) { return dir.Open(rel) },
	})
	return ps, rs, data
}

// DecodeShared decodes the file rel of the shared data sets with d, as
// DecodeFile does, and skips the test when the data sets are absent.
func DecodeShared(tb testing.TB, d source.Decoder, rel ...string) ([]post.Post, []source.Rejection, []byte) {
	tb.Helper()
	return DecodeFile(tb, d, shareddata.Need(tb, rel...))
}

// CheckRaw asserts that every post's Raw is data's own bytes at the post's
// Origin.Offset, which must be past the first byte.
func CheckRaw(tb testing.TB, data []byte, ps []post.Post) {
	tb.Helper()
	for _, p := range ps {
		end := p.Origin.Offset + int64(len(p.Raw))
		if p.Origin.Offset <= 0 || end > int64(len(data)) || !bytes.Equal(data[p.Origin.Offset:end], p.Raw) {
			tb.Errorf("post %s: Raw is not the input at offset %d", p.ID, p.Origin.Offset)
		}
	}
}

// ByID indexes posts by their ID; of two posts with one ID the later wins.
func ByID(ps []post.Post) map[string]post.Post {
	m := make(map[string]post.Post, len(ps))
	for _, p := range ps {
		m[p.ID] = p
	}
	return m
}

// Golden compares got with the golden file at path, or with -update
// rewrites the file (creating its folder) with got and a final newline.
func Golden(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(want), got) {
		tb.Errorf("%s differs from the decoder's output; run with -update and review the diff", path)
	}
}

// GoldenPosts compares what a fixture decoded to with the golden file at
// path, as indented JSON {"Posts": ..., "Rejections": ...}. Raw is left out
// (CheckRaw covers it; it would only repeat the fixture) and file names are
// cut to their base, so that the file does not depend on where the
// repository is.
func GoldenPosts(tb testing.TB, path string, ps []post.Post, rs []source.Rejection) {
	tb.Helper()
	o := struct {
		Posts      []post.Post
		Rejections []source.Rejection
	}{Rejections: slices.Clone(rs)}
	for _, p := range ps {
		p.Raw = nil
		p.Origin.File = filepath.Base(p.Origin.File)
		o.Posts = append(o.Posts, p)
	}
	for i := range o.Rejections {
		o.Rejections[i].File = filepath.Base(o.Rejections[i].File)
	}
	got, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	Golden(tb, path, got)
}

// SinkErrorStops asserts that d stops at the first error its sink returns
// and returns that error. text, read as a file named name, must hold at
// least two posts.
func SinkErrorStops(tb testing.TB, d source.Decoder, name, text string) {
	tb.Helper()
	stop := errors.New("stop")
	n := 0
	err := d.Decode(source.Input{Name: name, R: strings.NewReader(text)},
		source.SinkFuncs{OnPost: func(post.Post) error { n++; return stop }})
	if !errors.Is(err, stop) || n != 1 {
		tb.Errorf("err %v after %d posts, want the sink's error after 1", err, n)
	}
}

// DecodeCase is one row of an importer's table of awkward inputs.
type DecodeCase struct {
	Name string
	In   string
	// WantFormat is set when Decode must return an error wrapping
	// source.ErrFormat; otherwise it must return nil.
	WantFormat bool
	Posts      int
	// Reason is part of the reason of the one rejection expected; empty
	// when none is.
	Reason string
}

// RunDecodeCases decodes each case's In, as a file called name, with d in
// a subtest of t and checks the outcome against the case.
func RunDecodeCases(t *testing.T, d source.Decoder, name string, cases []DecodeCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			ps, rs, err := source.Collect(d, source.Input{Name: name, R: strings.NewReader(tt.In)})
			if got := errors.Is(err, source.ErrFormat); got != tt.WantFormat {
				t.Fatalf("err = %v, want ErrFormat %v", err, tt.WantFormat)
			}
			if !tt.WantFormat && err != nil {
				t.Fatalf("err = %v", err)
			}
			if len(ps) != tt.Posts {
				t.Errorf("got %d posts, want %d", len(ps), tt.Posts)
			}
			if tt.Reason == "" {
				if len(rs) != 0 {
					t.Errorf("rejections %v", rs)
				}
				return
			}
			if len(rs) != 1 || !strings.Contains(rs[0].Reason, tt.Reason) || rs[0].File != name {
				t.Errorf("rejections %v, want one naming %q", rs, tt.Reason)
			}
		})
	}
}

// BenchDecode measures d decoding data, a file called name, and fails the
// benchmark unless every run finds the given number of posts.
func BenchDecode(b *testing.B, d source.Decoder, name string, data []byte, posts int) {
	b.Helper()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		err := d.Decode(source.Input{Name: name, R: bytes.NewReader(data)},
			source.SinkFuncs{OnPost: func(post.Post) error { n++; return nil }})
		if err != nil || n != posts {
			b.Fatalf("err %v, %d posts, want %d", err, n, posts)
		}
	}
}
