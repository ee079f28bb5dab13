package sourcetest

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/source"
)

// recorder is a testing.TB that notes failures instead of reporting them,
// so that the helpers' own failures can be checked.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

// failures runs fn with a recorder in a goroutine of its own, where
// Fatalf may end it, and returns what failed.
func failures(t *testing.T, fn func(tb testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r.failures
}

func TestCheckRaw(t *testing.T) {
	data := []byte(`[{"id":1},{"id":2}]`)
	tests := []struct {
		name  string
		ps    []post.Post
		fails int
	}{
		{"at offsets", []post.Post{{ID: "1", Raw: []byte(`{"id":1}`), Origin: post.Origin{Offset: 1}}, {ID: "2", Raw: []byte(`{"id":2}`), Origin: post.Origin{Offset: 10}}}, 0},
		{"wrong offset", []post.Post{{ID: "1", Raw: []byte(`{"id":1}`), Origin: post.Origin{Offset: 2}}}, 1},
		{"offset zero", []post.Post{{ID: "1", Raw: []byte(`[`)}}, 1},
		{"past the end", []post.Post{{ID: "2", Raw: []byte(`{"id":2}]x`), Origin: post.Origin{Offset: 10}}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := failures(t, func(tb testing.TB) { CheckRaw(tb, data, tt.ps) }); len(got) != tt.fails {
				t.Errorf("failures %q, want %d", got, tt.fails)
			}
		})
	}
}

func TestByID(t *testing.T) {
	m := ByID([]post.Post{{ID: "a", Text: "1"}, {ID: "b"}, {ID: "a", Text: "2"}})
	if len(m) != 2 || m["a"].Text != "2" {
		t.Errorf("ByID = %+v", m)
	}
}

func TestGolden(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.golden.json")
	if err := os.WriteFile(path, []byte("{\"a\": 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		path  string
		got   string
		fails int
	}{
		{"same but for the final newline", path, `{"a": 1}`, 0},
		{"different", path, `{"a": 2}`, 1},
		{"missing file", filepath.Join(dir, "none.json"), `{}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := failures(t, func(tb testing.TB) { Golden(tb, tt.path, []byte(tt.got)) }); len(got) != tt.fails {
				t.Errorf("failures %q, want %d", got, tt.fails)
			}
		})
	}
	t.Run("update writes the file and its folder", func(t *testing.T) {
		*Update = true
		t.Cleanup(func() { *Update = false })
		p := filepath.Join(dir, "new", "y.json")
		if got := failures(t, func(tb testing.TB) { Golden(tb, p, []byte(`{"b": 1}`)) }); len(got) != 0 {
			t.Fatalf("failures %q", got)
		}
		if b, err := os.ReadFile(p); err != nil || string(b) != "{\"b\": 1}\n" {
			t.Errorf("wrote %q, %v", b, err)
		}
	})
}

func TestGoldenPosts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.golden.json")
	ps := []post.Post{{ID: "1", Raw: []byte("raw"), Origin: post.Origin{File: "/a/b/in.json", Offset: 3}}}
	rs := []source.Rejection{{File: "/a/b/in.json", Offset: 9, Reason: "bad"}}
	*Update = true
	GoldenPosts(t, path, ps, rs)
	*Update = false
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{`"Posts": [`, `"Rejections": [`, `"file": "in.json"`, `"reason": "bad"`} {
		if !strings.Contains(got, want) {
			t.Errorf("golden file lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "/a/b") || strings.Contains(got, "cmF3") {
		t.Errorf("golden file keeps the folder or Raw:\n%s", got)
	}
	if rs[0].File != "/a/b/in.json" || string(ps[0].Raw) != "raw" {
		t.Error("GoldenPosts changed its arguments")
	}
}

// lines posts one post per line; careless ignores the sink's errors.
type lines struct{ careless bool }

func (lines) Name() string              { return "lines" }
func (lines) Sniff(string, []byte) bool { return true }
func (d lines) Decode(in source.Input, sink source.Sink) error {
	sc := bufio.NewScanner(in.R)
	for n := 1; sc.Scan(); n++ {
		if err := sink.Post(post.Post{ID: fmt.Sprint(n), Text: sc.Text()}); err != nil && !d.careless {
			return err
		}
	}
	return sc.Err()
}

func TestSinkErrorStops(t *testing.T) {
	tests := []struct {
		name  string
		d     source.Decoder
		fails int
	}{
		{"stops", lines{}, 0},
		{"goes on", lines{careless: true}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := failures(t, func(tb testing.TB) { SinkErrorStops(tb, tt.d, "in.txt", "a\nb\n") }); len(got) != tt.fails {
				t.Errorf("failures %q, want %d", got, tt.fails)
			}
		})
	}
}

func TestDecodeFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(path, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ps, rs, data := DecodeFile(t, lines{}, path)
	if len(ps) != 2 || len(rs) != 0 || string(data) != "a\nb\n" {
		t.Errorf("posts %+v rejections %v data %q", ps, rs, data)
	}
	if got := failures(t, func(tb testing.TB) { DecodeFile(tb, lines{}, filepath.Join(dir, "none.txt")) }); len(got) != 1 {
		t.Errorf("failures %q, want 1 for a missing file", got)
	}
}
