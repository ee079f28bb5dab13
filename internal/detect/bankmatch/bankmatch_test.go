package bankmatch_test

import (
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/detect"
	"github.com/raqib-project/raqib/internal/detect/bankmatch"
	"github.com/raqib-project/raqib/internal/detect/lexicon"
	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/rules"
	"github.com/raqib-project/raqib/internal/signaltype"
)

const (
	bankedPDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
	// nearPDQ differs from bankedPDQ in its first 8 bits.
	nearPDQ   = "07f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
	benignPDQ = "0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff"
)

func matcher(t *testing.T) *hashbank.Matcher {
	t.Helper()
	m := hashbank.NewMatcher()
	err := m.Load([]hashbank.Bank{
		{Name: "partner", Kind: hashbank.KindPartner, Enabled: true, Distance: 31, Source: "hand-made test list"},
		{Name: "benign", Kind: hashbank.KindNegative, Enabled: true, Distance: 10},
	}, []hashbank.Entry{
		{ID: 1, Bank: "partner", Type: signaltype.PDQ.Name, Hash: bankedPDQ, Labels: []post.Label{post.Propaganda}, Entity: "isis", Enabled: true,
			Provenance: hashbank.Provenance{SharedBy: "partner unit", CaseRef: "P-7"}},
		{ID: 2, Bank: "partner", Type: signaltype.PDQ.Name, Hash: benignPDQ, Labels: []post.Label{post.Propaganda}, Enabled: true},
		{ID: 3, Bank: "benign", Type: signaltype.PDQ.Name, Hash: benignPDQ, Enabled: true},
		{ID: 4, Bank: "partner", Type: signaltype.TextSHA256.Name, Hash: textHash(t, "نص دعائي محفوظ في البنك"), Labels: []post.Label{post.Recruitment}, Enabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func textHash(t *testing.T, text string) string {
	t.Helper()
	v, ok := signaltype.TextHash(arabic.Normalize(text))
	if !ok {
		t.Fatalf("no text hash of %q", text)
	}
	return v
}

func photo(typ, value string) []post.Media {
	return []post.Media{{Kind: "photo", Hashes: []post.Hash{{Type: typ, Value: value}}}}
}

func stack(t *testing.T, d detect.Detector) *rules.Stack {
	t.Helper()
	lex, err := lexicon.NewHolder("")
	if err != nil {
		t.Fatal(err)
	}
	s, err := rules.NewStack(rules.StackConfig{Lexicon: lex, Detectors: []detect.Detector{d}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBankMatches(t *testing.T) {
	d := &bankmatch.Detector{Banks: matcher(t)}
	s := stack(t, d)
	for _, tc := range []struct {
		name      string
		p         post.Post
		violating bool
		label     post.Label
		explain   string
	}{
		{"near image", post.Post{Text: "صورة اليوم", Media: photo("pdq", nearPDQ)}, true, post.Propaganda, "PDQ distance 8"},
		{"benign image vetoed", post.Post{Text: "صورة اليوم", Media: photo("pdq", benignPDQ)}, false, "", "known benign"},
		{"banked text with diacritics", post.Post{Text: "نَصٌّ دعائيّ محفوظٌ في البنك"}, true, post.Recruitment, "exact normalized-text hash"},
		{"nothing", post.Post{Text: "صورة اليوم", Media: []post.Media{{Kind: "photo"}}}, false, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			p.Platform, p.ID, p.Kind = post.Telegram, "1", post.Message
			p.Norm = arabic.Normalize(p.Text)
			sigs, err := d.Detect(&p, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			fx := s.Check(&p, nil)
			if v := p.Decision; v.Violating != tc.violating || (tc.violating && v.Label != tc.label) {
				t.Errorf("verdict %s violating=%v, want %s %v; reasons %v", v.Label, v.Violating, tc.label, tc.violating, v.Reasons)
			}
			if tc.violating && len(fx.Cases) == 0 {
				t.Error("no case proposed for known content")
			}
			if tc.explain == "" {
				if len(sigs) != 0 {
					t.Errorf("signals %+v", sigs)
				}
				return
			}
			if len(sigs) == 0 || !strings.Contains(sigs[0].Explanation, tc.explain) {
				t.Errorf("signals %+v, want an explanation with %q", sigs, tc.explain)
			}
		})
	}
}
