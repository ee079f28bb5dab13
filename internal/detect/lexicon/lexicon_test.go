package lexicon

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raqib-project/raqib/internal/arabic"
)

// testLexicon is a small hand-made lexicon for matching tests.
const testLexicon = `# hand-made test lexicon
الدولة الإسلامية	supporter_naming	2	isis	# self-name
الله	supporter_naming	0.1	-	# to test the لله form
ولاية سيناء	supporter_naming	2	isis-sinai	# province
داعش	opponent_naming	1.5	isis	# media naming
مرتد*	slur	1	-	# prefix entry: مرتدين، مرتدون
باقية وتتمدد	slogan	3	isis	# slogan
isis	opponent_naming	1	isis	# outsider acronym
عاجل |	news_marker	1.5	-	# ticker format
`

func mustLexicon(t testing.TB, src string) *Lexicon {
	t.Helper()
	entries, err := Parse(strings.NewReader(src), "test.tsv")
	if err != nil {
		t.Fatal(err)
	}
	l, err := New(entries)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type gotHit struct {
	text   string
	term   string
	quoted bool
}

func matchAll(l *Lexicon, text string) (string, []gotHit) {
	norm := arabic.Normalize(text)
	var hits []gotHit
	l.Match([]byte(norm), func(h Hit) {
		hits = append(hits, gotHit{norm[h.Start:h.End], h.Entry.Term, h.Quoted})
	})
	return norm, hits
}

// The Arabic in these cases is hand-made.
func TestMatch(t *testing.T) {
	l := mustLexicon(t, testLexicon)
	tests := []struct {
		name string
		text string
		want []gotHit
	}{
		{"plain", "جنود الدولة الإسلامية في الميدان", []gotHit{{"الدوله الاسلاميه", "الدولة الإسلامية", false}}},
		{"diacritics and hamza folded", "الدَّوْلَةُ الإِسْلامِيَّة", []gotHit{{"الدوله الاسلاميه", "الدولة الإسلامية", false}}},
		{"hashtag", "#الدولة_الإسلامية تتقدم", []gotHit{{"الدوله الاسلاميه", "الدولة الإسلامية", false}}},
		{"clitic waw", "والدولة الإسلامية", []gotHit{{"الدوله الاسلاميه", "الدولة الإسلامية", false}}},
		{"clitic ba", "بالدولة الإسلامية", []gotHit{{"الدوله الاسلاميه", "الدولة الإسلامية", false}}},
		{"two clitics", "وبالدولة الإسلامية", []gotHit{{"الدوله الاسلاميه", "الدولة الإسلامية", false}}},
		{"lam drops the alef", "للدولة الإسلامية", []gotHit{{"للدوله الاسلاميه", "الدولة الإسلامية", false}}},
		{"waw then lam form", "وللدولة الإسلامية", []gotHit{{"للدوله الاسلاميه", "الدولة الإسلامية", false}}},
		{"lillah", "الحمد لله", []gotHit{{"لله", "الله", false}}},
		{"three letters before are a word, not clitics", "وبكالدولة الإسلامية", nil},
		{"no match inside a longer word", "الدولة الإسلاميةوالعلم", nil},
		{"no match with a non-clitic letter before", "مداعش", nil},
		{"suffix makes another word", "داعشيون", nil},
		{"punctuation is a boundary", "(داعش)، داعش.", []gotHit{{"داعش", "داعش", false}, {"داعش", "داعش", false}}},
		{"prefix entry takes the whole word", "قتال المرتدين واجب", []gotHit{{"المرتدين", "مرتد*", false}}},
		{"prefix entry with clitic", "والمرتدون", []gotHit{{"المرتدون", "مرتد*", false}}},
		{"latin boundaries", "crisis in ISIS-held areas", []gotHit{{"isis", "isis", false}}},
		{"latin no clitics", "wisis", nil},
		{"province", "#ولاية_سيناء", []gotHit{{"ولايه سيناء", "ولاية سيناء", false}}},
		{"ticker bar", "عاجل | انفجار", []gotHit{{"عاجل |", "عاجل |", false}}},
		{"straight quotes", `قالوا "الدولة الإسلامية باقية وتتمدد" ثم`, []gotHit{
			{"الدوله الاسلاميه", "الدولة الإسلامية", true}, {"باقيه وتتمدد", "باقية وتتمدد", true}}},
		{"guillemets", "مقاتلون من «الدولة الإسلامية» في المدينة", []gotHit{{"الدوله الاسلاميه", "الدولة الإسلامية", true}}},
		{"curly quotes", "تنظيم “الدولة الإسلامية” وداعش", []gotHit{
			{"الدوله الاسلاميه", "الدولة الإسلامية", true}, {"داعش", "داعش", false}}},
		{"closing curly quote used twice", "لـ”داعش” ثم داعش", []gotHit{{"داعش", "داعش", true}, {"داعش", "داعش", false}}},
		{"single quotes", "عناصر من تنظيم 'الدولة الإسلامية' في الأنبار", []gotHit{{"الدوله الاسلاميه", "الدولة الإسلامية", true}}},
		{"apostrophe is not a quote", "ISIS's fighters and isis' media", []gotHit{{"isis", "isis", false}, {"isis", "isis", false}}},
		{"unclosed quote quotes nothing", `قال "الدولة الإسلامية باقية`, []gotHit{{"الدوله الاسلاميه", "الدولة الإسلامية", false}}},
		{"second quotation", `"داعش" و داعش و "داعش"`, []gotHit{{"داعش", "داعش", true}, {"داعش", "داعش", false}, {"داعش", "داعش", true}}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			norm, got := matchAll(l, tt.text)
			if len(got) != len(tt.want) {
				t.Fatalf("Match(%q) = %v, want %v", norm, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("Match(%q) hit %d = %+v, want %+v", norm, i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestMatchOverlapping(t *testing.T) {
	l := mustLexicon(t, "الدولة\tsupporter_naming\t0.5\t-\t# short\nالدولة الإسلامية\tsupporter_naming\t2\tisis\t# long\nالإسلامية\tsupporter_naming\t0.2\t-\t# inner\n")
	_, got := matchAll(l, "الدولة الإسلامية")
	want := []string{"الدولة", "الدولة الإسلامية", "الإسلامية"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want terms %v", got, want)
	}
	for i := range want {
		if got[i].term != want[i] {
			t.Errorf("hit %d = %q, want %q", i, got[i].term, want[i])
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"too few fields", "داعش\topponent_naming\t1", `bad.tsv:2: syntax error: want 5 tab-separated fields`},
		{"unknown category", "داعش\tnews\t1\t-\t# x", `bad.tsv:2: unknown category "news"`},
		{"bad weight", "داعش\topponent_naming\theavy\t-\t# x", `bad.tsv:2: syntax error: weight "heavy"`},
		{"negative weight", "داعش\topponent_naming\t-1\t-\t# x", `weight "-1"`},
		{"weight too big", "داعش\topponent_naming\t11\t-\t# x", `weight "11"`},
		{"no why", "داعش\topponent_naming\t1\t-\tbecause", `the last field must be "# why`},
		{"empty why", "داعش\topponent_naming\t1\t-\t#  ", `the last field must be "# why`},
		{"bad entity", "داعش\topponent_naming\t1\tISIS Core\t# x", `entity "ISIS Core"`},
		{"empty term", "\u064b\u0640\topponent_naming\t1\t-\t# only marks", `empty term`},
		{"star inside", "دا*عش\topponent_naming\t1\t-\t# x", `'*' inside`},
		{"duplicate after normalization", "الدولة الاسلامية\tsupporter_naming\t1\t-\t# x\nالدَّولة الإسلامية\tsupporter_naming\t1\t-\t# y", `bad.tsv:3: duplicate entry: same term and category as line 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "# header\n" + tt.line + "\nداعش\topponent_naming\t1.5\tisis\t# a good line is kept\n"
			entries, err := Parse(strings.NewReader(src), "bad.tsv")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, tt.want)
			}
			if len(entries) == 0 || entries[len(entries)-1].Why != "a good line is kept" {
				t.Errorf("the good line after the bad one was not kept: %+v", entries)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	entries, err := Parse(strings.NewReader("\ufeffمرتد*\tslur\t1.5\t-\t# why\r\n\n# comment\nولاية سيناء\tsupporter_naming\t2\tisis-sinai\t# province\n"), "f.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("got %d entries, want 2", len(entries))
	}
	e := entries[0]
	if !e.Prefix || e.Norm != "مرتد" || e.Category != Slur || e.Weight != 1.5 || e.Entity != "" || e.Why != "why" || e.Source != "f.tsv:1" {
		t.Errorf("entry 0 = %+v", e)
	}
	if e := entries[1]; e.Norm != "ولايه سيناء" || e.Entity != "isis-sinai" || e.Source != "f.tsv:4" {
		t.Errorf("entry 1 = %+v", e)
	}
}

func TestDefault(t *testing.T) {
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() < 300 {
		t.Errorf("default lexicon has %d entries, want several hundred", l.Len())
	}
	for _, c := range Categories {
		n := 0
		for _, e := range l.Entries() {
			if e.Category == c {
				n++
			}
		}
		if n == 0 {
			t.Errorf("category %s has no default entries", c)
		}
	}
}

// TestDefaultKeysUnique guards against one embedded file silently
// overriding another's entry, which merge would allow.
func TestDefaultKeysUnique(t *testing.T) {
	names, err := fs.Glob(embedded, "data/*.tsv")
	if err != nil || len(names) == 0 {
		t.Fatalf("no embedded lexicon files: %v", err)
	}
	seen := map[string]string{}
	for _, name := range names {
		f, err := embedded.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := Parse(f, name)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if prev, dup := seen[e.key()]; dup {
				t.Errorf("%s: %q %s also at %s", e.Source, e.Term, e.Category, prev)
			}
			seen[e.key()] = e.Source
		}
	}
}

func TestLoadOverride(t *testing.T) {
	l, err := Load("testdata/override")
	if err != nil {
		t.Fatal(err)
	}
	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != def.Len() {
		t.Errorf("override removes one entry and adds one: got %d entries, want %d", l.Len(), def.Len())
	}
	terms := map[string]bool{}
	l.Match([]byte(arabic.Normalize("قال الباحث إن الخلافة الرقمية وهم")), func(h Hit) { terms[h.Entry.Term] = true })
	if terms["قال"] {
		t.Error("قال was switched off by the override but still matched")
	}
	if !terms["الخلافة الرقمية"] {
		t.Error("the term added by the override did not match")
	}
}

func TestLoadBadDir(t *testing.T) {
	if _, err := Load("testdata/absent"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing directory = %v, want ErrNotExist", err)
	}
	if _, err := Load("testdata/tweets.txt"); !errors.Is(err, ErrNotDir) {
		t.Errorf("Load of a file = %v, want ErrNotDir", err)
	}
	if _, err := NewHolder("testdata/absent"); err == nil {
		t.Error("NewHolder of a missing directory succeeded")
	}
}

func TestHolderReload(t *testing.T) {
	dir := t.TempDir()
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "custom.tsv"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("# analyst file\nكلمة السر\tthreat\t3\t-\t# test term\n")
	h, err := NewHolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	first := h.Lexicon()

	write("# analyst file\nكلمة السر\tthreat\t3\t-\t# test term\nكلمة أخرى\tx\t1\t-\t# bad category\n")
	err = h.Reload()
	if err == nil || !strings.Contains(err.Error(), `custom.tsv:3: unknown category "x"`) {
		t.Fatalf("Reload with a bad line = %v, want custom.tsv:3: unknown category", err)
	}
	if !errors.Is(err, ErrUnknownCategory) {
		t.Errorf("error %v does not wrap ErrUnknownCategory", err)
	}
	if h.Lexicon() != first {
		t.Error("a failed reload replaced the lexicon in force")
	}

	write("# analyst file\nكلمة أخرى\tthreat\t3\t-\t# fixed\n")
	if err := h.Reload(); err != nil {
		t.Fatal(err)
	}
	if h.Lexicon() == first {
		t.Fatal("a good reload kept the old lexicon")
	}
	found := false
	h.Lexicon().Match([]byte(arabic.Normalize("كلمة أخرى")), func(Hit) { found = true })
	if !found {
		t.Error("the reloaded term does not match")
	}
}

func TestFeatures(t *testing.T) {
	l := mustLexicon(t, testLexicon)
	dst := make([]float32, NumFeatures)
	dst[0] = 99 // stale values must be cleared
	l.Features([]byte(arabic.Normalize(`داعش قال "باقية وتتمدد" الدولة الإسلامية`)), dst)
	want := map[string]float32{"opponent_naming": 1.5, "quoted_slogan": 3, "supporter_naming": 2}
	for i, name := range FeatureNames {
		if dst[i] != want[name] {
			t.Errorf("feature %s = %v, want %v", name, dst[i], want[name])
		}
	}
	if len(FeatureNames) != NumFeatures {
		t.Errorf("len(FeatureNames) = %d, want %d", len(FeatureNames), NumFeatures)
	}
}

func TestMatchAllocs(t *testing.T) {
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	norm := []byte(arabic.Normalize(`عاجل تمكن جنود الخلافة من "دولة الخلافة" والمرتدين ولله الحمد`))
	dst := make([]float32, NumFeatures)
	n := 0
	if a := testing.AllocsPerRun(50, func() { l.Match(norm, func(Hit) { n++ }) }); a != 0 {
		t.Errorf("Match allocates %v times per call", a)
	}
	if a := testing.AllocsPerRun(50, func() { l.Features(norm, dst) }); a != 0 {
		t.Errorf("Features allocates %v times per call", a)
	}
}

// readTweets returns the hand-made posts of testdata/tweets.txt, normalized.
func readTweets(tb testing.TB) [][]byte {
	tb.Helper()
	f, err := os.Open("testdata/tweets.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := sc.Text(); s != "" && !strings.HasPrefix(s, "# ") {
			out = append(out, []byte(arabic.Normalize(s)))
		}
	}
	return out
}

func BenchmarkMatch(b *testing.B) {
	l, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	tweets := readTweets(b)
	size := 0
	for _, t := range tweets {
		size += len(t)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	hits := 0
	for b.Loop() {
		for _, t := range tweets {
			l.Match(t, func(Hit) { hits++ })
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(tweets)), "ns/tweet")
}

func BenchmarkBuild(b *testing.B) {
	def, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(def.Entries()); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(testLexicon))
	f.Add([]byte("داعش\topponent_naming\t1\t-\t# x\n\xff\xfe\tslur\tNaN\t-\t# y\n"))
	f.Add([]byte("a*\tslur\t10\t-\t#z\r\n*\tslur\t1\t-\t# star only\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := Parse(strings.NewReader(string(data)), "fuzz.tsv")
		if err != nil && !strings.Contains(err.Error(), "fuzz.tsv:") {
			t.Fatalf("error without file:line: %v", err)
		}
		for _, e := range entries {
			if e.Norm == "" || e.Category >= numCategories || e.Weight < 0 || e.Weight > MaxWeight || e.Why == "" {
				t.Fatalf("invalid entry accepted: %+v", e)
			}
		}
		l, err := New(entries)
		if err != nil {
			return
		}
		for _, e := range l.Entries() {
			found := false
			l.Match([]byte(e.Norm), func(h Hit) { found = found || h.Entry.Norm == e.Norm })
			if !found && isWordRune(firstRune([]byte(e.Norm))) && isWordRune(lastRune([]byte(e.Norm))) {
				t.Fatalf("entry %q does not match its own text", e.Norm)
			}
		}
	})
}

func FuzzMatch(f *testing.F) {
	l, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	for _, t := range readTweets(f) {
		f.Add(string(t))
	}
	f.Add(`"«داعش» “ولاية سيناء' للدولة الإسلامية`)
	f.Fuzz(func(t *testing.T, text string) {
		norm := []byte(arabic.Normalize(text))
		lastEnd := 0
		l.Match(norm, func(h Hit) {
			if h.Start < 0 || h.End > len(norm) || h.Start >= h.End {
				t.Fatalf("hit [%d,%d) out of range of %d bytes", h.Start, h.End, len(norm))
			}
			if h.End < lastEnd && !h.Entry.Prefix {
				t.Fatalf("hits out of order: end %d after %d", h.End, lastEnd)
			}
			lastEnd = max(lastEnd, h.End)
			if !strings.Contains(string(norm[h.Start:h.End]), strings.TrimPrefix(h.Entry.Norm, "ا")) {
				t.Fatalf("hit %q does not contain entry %q", norm[h.Start:h.End], h.Entry.Norm)
			}
		})
	})
}
