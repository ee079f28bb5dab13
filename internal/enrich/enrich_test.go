package enrich

import (
	"slices"
	"testing"

	"github.com/raqib-project/raqib/internal/post"
)

func TestPost(t *testing.T) {
	// Hand-made Arabic post.
	p := post.Post{
		Title:    "عنوان",
		Text:     "بِسْمِ اللَّهِ #الدولة_الإسلامية @someone https://t.me/example",
		Hashtags: []string{"#الدولة_الإسلامية"},
	}
	Post(&p)
	if p.Lang != "ar" {
		t.Errorf("lang = %q, want ar", p.Lang)
	}
	if p.Norm == "" || p.Norm == p.Text {
		t.Errorf("norm = %q", p.Norm)
	}
	if len(p.Outlinks) != 1 || len(p.Mentions) != 1 {
		t.Errorf("outlinks %v mentions %v", p.Outlinks, p.Mentions)
	}
	if !slices.Equal(p.Hashtags, []string{"الدولة_الإسلامية"}) {
		t.Errorf("hashtags %v", p.Hashtags)
	}
	again := p
	Post(&again)
	if !slices.Equal(again.Hashtags, p.Hashtags) || !slices.Equal(again.Outlinks, p.Outlinks) {
		t.Error("enriching twice adds duplicates")
	}
}
