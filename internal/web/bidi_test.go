package web

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/arabic"
	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
)

const (
	sRLO = "\u202e" // RIGHT-TO-LEFT OVERRIDE
	sPDF = "\u202c" // POP DIRECTIONAL FORMATTING
	sRLI = "\u2067" // RIGHT-TO-LEFT ISOLATE
	sPDI = "\u2069" // POP DIRECTIONAL ISOLATE
)

// bidiPost is a hand-made post whose every user-supplied string carries
// unbalanced bidi controls, as a spoofed handle or a "reversed" link does.
func bidiPost() post.Post {
	p := post.Post{
		Platform: post.Telegram, ID: "1" + sRLO + "2",
		Channel:  post.Channel{ID: "chan" + sRLO, Name: "قناة" + sRLO + "abc"},
		Author:   post.Account{ID: "a" + sRLO + "1", DisplayName: "كاتب" + sRLO + "xyz", Handle: "h" + sRLO},
		Title:    "عنوان" + sRLO + "cba",
		Text:     "hello " + sRLO + "gnp.exe " + sPDF + sPDF + sPDI + " بعد " + sRLI + "مفتوح",
		Hashtags: []string{"وسم" + sRLO}, Mentions: []string{"@m" + sRLO},
		Origin:   post.Origin{Format: "telegram", File: "exports/" + sRLO + "x.json"},
		PostedAt: testNow.Add(-time.Hour), CollectedAt: testNow,
		Decision: post.Decision{Label: post.Propaganda, Violating: true, Score: 0.9, Reasons: []string{"سبب" + sRLO}},
	}
	p.Norm = arabic.Normalize(p.Title + "\n" + p.Text)
	p.Signals = []post.Signal{{Detector: "lexicon", Label: post.Propaganda, Score: 0.9, Explanation: "شرح" + sRLO,
		Spans: []post.Span{{Start: 0, End: len(p.Norm), Text: p.Norm, Why: "لماذا" + sRLO}}}}
	return p
}

var (
	tagRE      = regexp.MustCompile(`<(/?)([a-zA-Z0-9]+)([^>]*)>`)
	bidiRE     = regexp.MustCompile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
	voidTags   = map[string]bool{"br": true, "img": true, "input": true, "meta": true, "link": true, "hr": true}
	inlineTags = map[string]bool{"b": true, "mark": true} // inside user text: their parent must isolate
)

// checkBidi reports text of body holding a bidi control that is not
// isolated (its nearest enclosing element, past <b> and <mark>, is neither
// <bdi> nor has a dir attribute) and embeddings, overrides or isolates left
// open at the end of a text node or attribute value.
func checkBidi(t *testing.T, target, body string) {
	t.Helper()
	type el struct{ name, attrs string }
	var stack []el
	pos := 0
	checkText := func(text string) {
		if !bidiRE.MatchString(text) {
			return
		}
		i := len(stack) - 1
		for i >= 0 && inlineTags[stack[i].name] {
			i--
		}
		if i >= 0 && (stack[i].name == "title" || stack[i].name == "option") {
			// Text-only elements: the controls must stand inside FSI ... PDI.
			if !isolatedByControls(text) {
				t.Errorf("%s: bidi control in %q is not isolated by FSI and PDI (in <%s>)", target, text, stack[i].name)
			}
		} else if i < 0 || (stack[i].name != "bdi" && !strings.Contains(stack[i].attrs, "dir=")) || stack[i].name == "html" {
			where := "top"
			if i >= 0 {
				where = "<" + stack[i].name + stack[i].attrs + ">"
			}
			t.Errorf("%s: bidi control in %q is not isolated (in %s)", target, text, where)
		}
		if !balanced(text) {
			t.Errorf("%s: text %q leaves a bidi embedding, override or isolate open or closes one it did not open", target, text)
		}
	}
	for _, m := range tagRE.FindAllStringSubmatchIndex(body, -1) {
		checkText(body[pos:m[0]])
		pos = m[1]
		closing, name, attrs := body[m[2]:m[3]] == "/", strings.ToLower(body[m[4]:m[5]]), body[m[6]:m[7]]
		for _, v := range regexp.MustCompile(`"[^"]*"`).FindAllString(attrs, -1) {
			if !balanced(v) {
				t.Errorf("%s: attribute value %s of <%s> is unbalanced", target, v, name)
			}
		}
		switch {
		case closing:
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].name == name {
					stack = stack[:i]
					break
				}
			}
		case !voidTags[name] && !strings.HasSuffix(attrs, "/"):
			stack = append(stack, el{name, attrs})
		}
	}
	checkText(body[pos:])
}

// isolatedByControls says whether every bidi control of s stands between an
// isolate opener and its PDI.
func isolatedByControls(s string) bool {
	depth := 0
	for _, r := range s {
		switch {
		case r >= 0x2066 && r <= 0x2068:
			depth++
		case r == 0x2069:
			depth--
		case depth == 0 && bidiRE.MatchString(string(r)):
			return false
		}
	}
	return true
}

// balanced says whether every embedding, override and isolate s opens is
// closed in s, and s closes none it did not open.
func balanced(s string) bool {
	var open []rune
	for _, r := range s {
		switch r {
		case 0x202a, 0x202b, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068:
			open = append(open, r)
		case 0x202c:
			if len(open) == 0 || open[len(open)-1] >= 0x2066 {
				return false
			}
			open = open[:len(open)-1]
		case 0x2069:
			if len(open) == 0 || open[len(open)-1] < 0x2066 {
				return false
			}
			open = open[:len(open)-1]
		}
	}
	return len(open) == 0
}

// TestBidiIsolated renders a post full of right-to-left overrides: every
// user-supplied string is isolated, and no override outlives its string to
// reorder the rest of the page.
func TestBidiIsolated(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	p := bidiPost()
	if _, err := st.SavePosts(ctx, []post.Post{p}); err != nil {
		t.Fatal(err)
	}
	bank := "بنك" + sRLO + "abc"
	if err := st.PutBank(ctx, hashbank.Bank{Name: bank, Kind: hashbank.KindPartner, Enabled: true, Distance: 31, Source: "مصدر" + sRLO}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddEntries(ctx, []hashbank.Entry{{Bank: bank, Type: signaltype.MD5.Name, Hash: strings.Repeat("ab", 16), Enabled: true,
		Source: "src" + sRLO, Entity: "isis" + sRLO, Provenance: hashbank.Provenance{SharedBy: "وحدة" + sRLO, CaseRef: "C" + sRLO}}}); err != nil {
		t.Fatal(err)
	}
	h := New(Options{Authenticate: asAdmin, Store: st, Banks: st, Version: "test", Now: func() time.Time { return testNow }})
	for _, target := range []string{"/", "/?lang=en", postURL(p.Key()), "/cases", "/sources", "/banks", bankURL(bank)} {
		w := get(t, h, target)
		if w.Code != 200 {
			t.Fatalf("%s: status %d", target, w.Code)
		}
		body := w.Body.String()
		if target == postURL(p.Key()) && !strings.Contains(body, "gnp.exe") {
			t.Fatalf("%s: the post text is not shown", target)
		}
		checkBidi(t, target, body)
	}
}

func TestBalanceBidi(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"a" + sRLO + "b", "a" + sRLO + "b" + sPDF},
		{"a" + sPDF + "b" + sPDI, "ab"},
		{sRLO + "x" + sPDF + sPDF, sRLO + "x" + sPDF},
		{sRLI + sRLO + "x" + sPDI + "y", sRLI + sRLO + "x" + sPDF + sPDI + "y"},
		{sRLO + sRLI + "x" + sPDF + "y", sRLO + sRLI + "xy" + sPDI + sPDF},
		{"<p>" + sRLO + "x</p>" + sPDF, "<p>" + sRLO + "x" + sPDF + "</p>"},
		{`title="` + sRLI + `a" b`, `title="` + sRLI + "a" + sPDI + `" b`},
		{"\u200fmark\u061c", "\u200fmark\u061c"},
	} {
		if got := string(balanceBidi([]byte(tc.in))); got != tc.want {
			t.Errorf("balanceBidi(%+q) = %+q, want %+q", tc.in, got, tc.want)
		}
	}
}

func FuzzBalanceBidi(f *testing.F) {
	for _, s := range []string{"", "a" + sRLO + "b", sPDF + sPDI, sRLI + sRLO + "x" + sPDI, "<b>" + sRLO + "</b>", `"` + sRLO + `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := string(balanceBidi([]byte(s)))
		for _, part := range regexp.MustCompile(`[<>"']`).Split(out, -1) {
			if !balanced(part) {
				t.Fatalf("balanceBidi(%+q) = %+q: %+q is unbalanced", s, out, part)
			}
		}
		if bidiRE.ReplaceAllString(out, "") != bidiRE.ReplaceAllString(s, "") {
			t.Fatalf("balanceBidi(%+q) = %+q changed more than bidi controls", s, out)
		}
	})
}
