package lexicon

import (
	"testing"

	"github.com/raqib-project/raqib/internal/arabic"
)

// TestMarkRejected checks that the group's vocabulary beside a rejection
// counts as quoted and elsewhere does not. The sentences are hand-made.
func TestMarkRejected(t *testing.T) {
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text string
		term       string // a violating term of the text
		rejected   bool
	}{
		{"slogan called a lie", "هذا الشعار باقية وتتمدد كذبة، داعش خوارج العصر فلا تصدقوهم", "باقيه وتتمدد", true},
		{"do not believe before the name", "لا تصدقوا ما يقوله جنود الخلافة في إصداراتهم", "جنود الخلافه", true},
		{"so-called after", "أرض الخلافة المزعومة كانت سجنا", "ارض الخلافه", true},
		{"supporter slogan", "الدولة الإسلامية باقية وتتمدد رغم أنف الرافضة", "باقيه وتتمدد", false},
		{"rejection too far away", "كذبة كبيرة تلك التي قالها المذيع عن المدينة والسوق والناس هناك أما نحن فنقول باقية وتتمدد", "باقيه وتتمدد", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			norm := []byte(arabic.Normalize(tt.text))
			var hits []Hit
			l.Match(norm, func(h Hit) { hits = append(hits, h) })
			MarkRejected(norm, hits)
			found := false
			for _, h := range hits {
				if string(norm[h.Start:h.End]) != tt.term || !h.Entry.Category.Violating() {
					continue
				}
				found = true
				if h.Quoted != tt.rejected {
					t.Errorf("%q rejected %v, want %v", tt.term, h.Quoted, tt.rejected)
				}
			}
			if !found {
				t.Fatalf("no violating hit %q in %q", tt.term, norm)
			}
			// Features sees the same: the slogan's weight moves to quoted.
			dst := make([]float32, NumFeatures)
			l.Features(norm, dst)
			if got := dst[int(numCategories)+int(Slogan)]+dst[int(numCategories)+int(SupporterNaming)]+dst[int(numCategories)+int(Honorific)] > 0; got != tt.rejected {
				t.Errorf("quoted features %v, want %v", got, tt.rejected)
			}
		})
	}
}
