package pdq

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/shareddata"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestHashesUnchanged pins the exact hash and quality of every image of the
// shared PDQ vectors and of testdata: a change to decoding or filtering
// that moves any bit shows here, where the reference tables allow up to 16.
func TestHashesUnchanged(t *testing.T) {
	root := shareddata.Need(t, "pdq-vectors", "pdq", "data")
	var lines []string
	h := NewHasher()
	for _, dir := range []string{root, "testdata"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".jpg", ".png", ".webp", ".gif":
			default:
				return nil
			}
			res, err := h.HashFile(path, 0)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			lines = append(lines, fmt.Sprintf("%s/%s %s %d %dx%d", filepath.Base(dir), filepath.ToSlash(rel), res.PDQ, res.Quality, res.Width, res.Height))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(lines, "\n") + "\n"
	golden := filepath.Join("testdata", "hashes.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("hashes differ from %s (run with -update only if the change is meant):\n%s", golden, diffLines(string(want), got))
	}
}

// diffLines lists the lines of want and got that differ.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			fmt.Fprintf(&b, "- %s\n+ %s\n", a, c)
		}
	}
	return b.String()
}
