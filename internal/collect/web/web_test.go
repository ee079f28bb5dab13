package web

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/post"
)

func TestParse(t *testing.T) {
	b, err := os.ReadFile("testdata/thread.html")
	if err != nil {
		t.Fatal(err)
	}
	ps, rejected, err := Parse(bytes.NewReader(b), "https://forum.example.invalid/t/42", "article.post")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || len(rejected) != 1 || !strings.Contains(rejected[0].Reason, "item 3: no text") {
		t.Fatalf("%d posts, rejected %+v", len(ps), rejected)
	}
	p := ps[0]
	if p.ID != "post-1001" || p.Title != "الرد الأول" || p.Author.DisplayName != "عضو_مختلق" || p.URL != "https://forum.example.invalid/go?to=1" {
		t.Errorf("first = %+v", p)
	}
	if p.Text != "الرد الأول\nعضو_مختلق\nنص الرد الأول في المنتدى.\nسطر ثان رابط داخلي" {
		t.Errorf("text %q (scripts must be dropped, blocks on lines)", p.Text)
	}
	if !bytes.Contains(p.Raw, []byte(`<article class="post" id="post-1001">`)) || p.Channel.Name != "منتدى مختلق – موضوع تجريبي" || p.Platform != post.Web {
		t.Errorf("raw %.60s channel %+v", p.Raw, p.Channel)
	}
	if ps[1].ID != "https://t.me/another_fake_chan" || !slices.Equal(ps[1].Outlinks, []string{"https://t.me/another_fake_chan"}) {
		t.Errorf("second id %q outlinks %q", ps[1].ID, ps[1].Outlinks)
	}
	if ps[2].ID != post.StableID("English reply, no links.") {
		t.Errorf("third id %q: want the text's stable id", ps[2].ID)
	}
	if _, _, err := Parse(bytes.NewReader(b), "https://forum.example.invalid/t/42", "article[["); !errors.Is(err, collect.ErrBadSource) {
		t.Errorf("bad selector: %v", err)
	}
}

// FuzzParse: hostile pages and selectors must not panic, and every item
// must have an id, text and its raw HTML.
func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/thread.html")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, "article.post")
	f.Add([]byte(`<ul><li>a<li>b<br>c</ul>`), "li")
	f.Add([]byte(`<div id=""><a href="javascript:alert(1)">x</a><a href="//evil">y</a></div>`), "div")
	f.Add([]byte(`<p>`), "*")
	f.Fuzz(func(t *testing.T, page []byte, selector string) {
		ps, _, err := Parse(bytes.NewReader(page), "https://forum.example.invalid/t/1", selector)
		if err != nil {
			return
		}
		if len(ps) > maxItems {
			t.Fatalf("%d items", len(ps))
		}
		for _, p := range ps {
			if p.ID == "" || strings.TrimSpace(p.Text) == "" || len(p.Raw) == 0 {
				t.Fatalf("bad item %+v", p)
			}
			for _, l := range p.Outlinks {
				if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
					t.Fatalf("outlink %q", l)
				}
			}
		}
	})
}
