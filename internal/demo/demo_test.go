package demo_test

import (
	"bufio"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/demo"
	"github.com/raqib-project/raqib/internal/detect/classifier"
	"github.com/raqib-project/raqib/internal/detect/lexicon"
	"github.com/raqib-project/raqib/internal/enrich"
	"github.com/raqib-project/raqib/internal/ingest"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/rules"
	"github.com/raqib-project/raqib/internal/source"
)

// expected reads expected.tsv: platform, id (WhatsApp: header line), label.
func expected(t *testing.T) map[string]post.Label {
	t.Helper()
	f, err := demo.Corpus().Open("expected.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]post.Label{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "platform\t") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 3 || !post.Label(cols[2]).Valid() {
			t.Fatalf("expected.tsv:%d: want platform, id, label: %q", n, line)
		}
		want[cols[0]+"/"+cols[1]] = post.Label(cols[2])
	}
	return want
}

// TestCorpusDetections imports the demo corpus with the real importers and
// runs the real detection stack: every post of expected.tsv is found, every
// violating label it contains is detected at least once, and nothing the
// corpus marks as not violating (news above all) is flagged.
func TestCorpusDetections(t *testing.T) {
	dir := t.TempDir()
	if err := demo.WriteCorpus(dir); err != nil {
		t.Fatal(err)
	}
	lex, err := lexicon.NewHolder("")
	if err != nil {
		t.Fatal(err)
	}
	model, err := classifier.Default()
	if err != nil {
		t.Fatal(err)
	}
	stack, err := rules.NewStack(rules.StackConfig{Lexicon: lex, Model: model})
	if err != nil {
		t.Fatal(err)
	}
	want := expected(t)
	got := map[string]post.Post{}
	sum, err := ingest.Run(context.Background(), ingest.Options{
		Publish: func(_ context.Context, ps []post.Post) error {
			for _, p := range ps {
				enrich.Post(&p)
				stack.Check(&p, nil)
				id := p.ID
				if p.Platform == post.WhatsApp {
					id = strconv.Itoa(p.Origin.Line)
				}
				got[string(p.Platform)+"/"+id] = p
			}
			return nil
		},
		Reject: func(r source.Rejection) { t.Errorf("demo corpus record rejected: %v", r) },
	}, []string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 4 {
		t.Errorf("imported %d files, want 4 (skipped %v)", sum.Files, sum.Skipped)
	}
	detected := map[post.Label]int{}
	for key, label := range want {
		p, ok := got[key]
		if !ok {
			t.Errorf("%s (%s) is in expected.tsv but was not imported", key, label)
			continue
		}
		d := p.Decision
		switch {
		case label.Violating() && d.Violating && d.Label == label:
			detected[label]++
		case !label.Violating() && d.Violating:
			t.Errorf("%s: expected %s but flagged %s (%s): %s", key, label, d.Label, strings.Join(d.Reasons, "; "), p.Text)
		case label.Violating():
			t.Logf("%s: expected %s, got %s violating=%v: %s", key, label, d.Label, d.Violating, p.Text)
		}
	}
	for _, l := range post.Labels {
		if !l.Violating() {
			continue
		}
		n := 0
		for _, w := range want {
			if w == l {
				n++
			}
		}
		if n > 0 && detected[l] == 0 {
			t.Errorf("no true detection of %s among its %d demo posts", l, n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("imported %d posts, expected.tsv lists %d", len(got), len(want))
	}
}
