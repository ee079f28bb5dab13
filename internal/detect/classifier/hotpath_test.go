package classifier

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"

	"github.com/raqib-project/raqib/internal/arabic"
)

// TestFamiliarCountedWhileScoring checks the share Familiar reports, which
// scoring counts on the way, against its definition: the features of the
// text last scored whose weight reaches the median trained magnitude. The
// texts are the hand-made sentences of testdata (Arabic and English), and
// the scratch is reused across them as the stack reuses it.
func TestFamiliarCountedWhileScoring(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var s Scratch
	for _, name := range []string{"counter_speech.txt", "generic.txt", "news_heldout.txt"} {
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			m.Score([]byte(arabic.Normalize(sc.Text())), &s)
			want := float32(0)
			if len(s.feats) > 0 {
				n := 0
				for _, ft := range s.feats {
					if w := m.W[ft.hash&(m.Buckets-1)]; w >= m.known || -w >= m.known {
						n++
					}
				}
				want = float32(n) / float32(len(s.feats))
			}
			if got := m.Familiar(&s); got != want {
				t.Errorf("%s: %q: Familiar %v, want %v", name, sc.Text(), got, want)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
}
