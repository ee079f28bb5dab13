package arabic

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestGolden runs every function of the package over the hand-made posts of
// testdata/posts.txt and compares the result with testdata/posts.golden.
func TestGolden(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "posts.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(in))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		e := Extract(line)
		out.WriteString("in:       " + line + "\n")
		out.WriteString("norm:     " + Normalize(line) + "\n")
		out.WriteString("lang:     " + Language(line) + "\n")
		out.WriteString("urls:     " + strings.Join(e.URLs, " | ") + "\n")
		out.WriteString("mentions: " + strings.Join(e.Mentions, " | ") + "\n")
		out.WriteString("hashtags: " + strings.Join(e.Hashtags, " | ") + "\n")
		words := make([]string, len(e.Hashtags))
		for i, h := range e.Hashtags {
			words[i] = HashtagWords(h)
		}
		out.WriteString("tagwords: " + strings.Join(words, " | ") + "\n\n")
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "posts.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got := out.String(); got != string(want) {
		gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gotLines), len(wantLines)) {
			if gotLines[i] != wantLines[i] {
				t.Fatalf("%s:%d differs (go test -update rewrites it):\n got: %s\nwant: %s", golden, i+1, gotLines[i], wantLines[i])
			}
		}
		t.Fatalf("%s: %d lines, want %d (go test -update rewrites it)", golden, len(gotLines), len(wantLines))
	}
}
