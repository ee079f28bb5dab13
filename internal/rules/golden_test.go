package rules

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/detect/classifier"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestStackGolden pins what the stack decides about every tweet of the
// Alfifi development set: its label, the classifier's score, and a digest
// of everything else it produces (normalized text, decision with reasons,
// signals with their spans and explanations, effects, the classifier's
// strongest features). Speed work on the hot path (normalization, matching,
// hashing, buffers) must leave this file unchanged bit for bit; a change to
// what is detected (model, lexicon, rules) changes it on purpose, and is
// then reviewed and written with go test -update. The file holds line
// numbers, labels, scores and digests, none of the licensed text.
func TestStackGolden(t *testing.T) {
	posts := devPosts(t)
	s := newStack(t)
	var cs classifier.Scratch
	var out bytes.Buffer
	for i := range posts {
		p := &posts[i]
		fx := s.Check(p, nil)
		score, top := model.Explain([]byte(p.Norm), nil, &cs, 5)
		all, err := json.Marshal(struct {
			Norm     string
			Decision any
			Signals  any
			Effects  any
			Top      any
		}{p.Norm, p.Decision, p.Signals, fx, top})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s\t%s\t%v\t%v\t%v\t%x\n", p.ID, p.Decision.Label, p.Decision.Violating, score, p.Decision.Score, sha256.Sum256(all))
	}
	golden := filepath.Join("testdata", "stack_dev.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	wantLines := lines(want)
	gotLines := lines(out.Bytes())
	if len(gotLines) != len(wantLines) {
		t.Fatalf("%d tweets, %s has %d", len(gotLines), golden, len(wantLines))
	}
	differ := 0
	for i := range gotLines {
		if gotLines[i] != wantLines[i] {
			if differ < 5 {
				t.Errorf("got  %s\nwant %s", gotLines[i], wantLines[i])
			}
			differ++
		}
	}
	if differ > 0 {
		t.Errorf("%d of %d tweets differ from %s; if detection was meant to change, review and rewrite it with go test -update", differ, len(gotLines), golden)
	}
}

func lines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out = append(out, strings.TrimSpace(sc.Text()))
	}
	return out
}
