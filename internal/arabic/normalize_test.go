package arabic

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// All Arabic sentences in this file are hand-made for these tests.

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"tashkeel", "بِسْمِ اللَّهِ الرَّحْمَٰنِ الرَّحِيمِ", "بسم الله الرحمن الرحيم"},
		{"tanween and sukun", "كِتَابٌ مُفِيدٌ جِدًّا", "كتاب مفيد جدا"},
		{"superscript alef", "هٰذا", "هذا"},
		{"quranic marks", "ذَٰلِكَ ٱلْكِتَٰبُ لَا رَيْبَ ۛ فِيهِ ۛ هُدًى", "ذلك الكتب لا ريب فيه هدي"},
		{"tatweel", "الـــدولـــة", "الدوله"},
		{"alef with hamza above", "أمير المؤمنين", "امير المومنين"},
		{"alef with hamza below", "إعلان", "اعلان"},
		{"alef madda", "آمنوا", "امنوا"},
		{"alef wasla", "ٱلحمد", "الحمد"},
		{"alef maqsura", "على مستوى", "علي مستوي"},
		{"ta marbuta", "الدولة الإسلامية", "الدوله الاسلاميه"},
		{"waw with hamza", "مؤسسة", "موسسه"},
		{"yeh with hamza", "رئيس هيئة", "رييس هييه"},
		{"lone hamza kept", "سماء وشيء", "سماء وشيء"},
		{"combining hamza", "ا\u0654مير", "امير"},
		{"lam-alef ligature", "ياكﻻب", "ياكلاب"},
		{"presentation forms", "ﺍﻟﺪﻭﻟﺔ", "الدوله"},
		{"allah ligature", "ﷲ أكبر", "الله اكبر"},
		{"isolated fatha form", "كتﹶاب", "كتاب"},
		{"persian letters", "کتاب یک", "كتاب يك"},
		{"arabic-indic digits", "عام ٢٠١٤", "عام 2014"},
		{"persian digits", "سال ۱۴۰۲", "سال 1402"},
		{"bidi controls", "\u202bالدولة\u202c \u200fباقية\u200e", "الدوله باقيه"},
		{"zero width inside word", "دا\u200bعش", "داعش"},
		{"arabic letter mark", "\u061cخبر", "خبر"},
		{"byte order mark", "\ufeffخبر", "خبر"},
		{"hashtag", "#الدولة_الإسلامية", "الدوله الاسلاميه"},
		{"hashtag in sentence", "نشر وسم #باقية_وتتمدد اليوم", "نشر وسم باقيه وتتمدد اليوم"},
		{"latin hashtag", "#Islamic_State news", "islamic state news"},
		{"hashtag run", "##خلافة", "خلافه"},
		{"hash after word kept", "C# و F#", "c# و f#"},
		{"hash before digit kept", "#1 في القائمة", "#1 في القايمه"},
		{"lone hash kept", "# عنوان", "# عنوان"},
		{"underscore outside hashtag kept", "user_name @abu_x", "user_name @abu_x"},
		{"hash glued to a hashtag kept", "#أ_ب#ج", "ا ب#ج"},
		{"latin lower-cased", "ISIS Claims ATTACK", "isis claims attack"},
		{"whitespace runs", "  قال\t\tالمتحدث \n\n  اليوم  ", "قال المتحدث اليوم"},
		{"no-break space", "قال\u00a0المتحدث", "قال المتحدث"},
		{"quotes kept", "ما يسمى \"الدولة الإسلامية\" و«الخلافة»", "ما يسمي \"الدوله الاسلاميه\" و«الخلافه»"},
		{"arabic punctuation kept", "هل قالوا ذلك؟ نعم، قالوه؛ انتهى.", "هل قالوا ذلك؟ نعم، قالوه؛ انتهي."},
		{"emoji kept", "باقية 🏴 ✌️", "باقيه 🏴 ✌️"},
		{"control characters dropped", "خبر\x00\x07 عاجل", "خبر عاجل"},
		{"invalid utf-8", "خبر\xff", "خبر\ufffd"},
		{"empty", "", ""},
		{"only spaces", " \t\n ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := Normalize(tt.want); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want it unchanged (idempotence)", tt.want, got)
			}
		})
	}
}

func TestNormalizeEquivalences(t *testing.T) {
	tests := []struct {
		name, a, b string
	}{
		{"allah with tashkeel", "اللَّهِ", "الله"},
		{"islamic spelled two ways", "الإسلامية", "الاسلاميه"},
		{"hashtag and phrase", "#الدولة_الإسلامية", "الدولة الإسلامية"},
		{"ligature and letters", "ﻻ إله إﻻ الله", "لا اله الا الله"},
		{"digits", "٢٠١٤", "2014"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if na, nb := Normalize(tt.a), Normalize(tt.b); na != nb {
				t.Errorf("Normalize(%q) = %q, Normalize(%q) = %q, want equal", tt.a, na, tt.b, nb)
			}
		})
	}
	// A search must find the diacritized word inside a diacritized verse.
	if !strings.Contains(Normalize("قُلْ هُوَ اللَّهُ أَحَدٌ"), Normalize("الله")) {
		t.Error("normalized verse does not contain normalized الله")
	}
}

func TestAppendNormalizeKeepsPrefix(t *testing.T) {
	dst := []byte("prefix|")
	got := string(AppendNormalize(dst, "  #الدولة  "))
	if want := "prefix|الدوله"; got != want {
		t.Errorf("AppendNormalize = %q, want %q", got, want)
	}
	// A hashtag at the start of s must not look behind into dst.
	got = string(AppendNormalize([]byte("word"), "#tag"))
	if want := "wordtag"; got != want {
		t.Errorf("AppendNormalize = %q, want %q", got, want)
	}
}

func TestAppendNormalizeZeroAlloc(t *testing.T) {
	buf := make([]byte, 0, 4*len(benchTweet))
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendNormalize(buf[:0], benchTweet)
	})
	if allocs != 0 {
		t.Errorf("AppendNormalize with capacity: %v allocs per run, want 0", allocs)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", "#الدولة_الإسلامية", "اللَّهِ", "ياكﻻب", "ﷺ", "##a_b", "a#_b", "# _", "#\u200bx", "#\u064eب",
		"\ufe70", "x\xffy", "İSTANBUL ǅ", "ﻵ ﻷ ﻹ", "٠١٢ ۰۱۲", benchTweet,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := Normalize(s)
		if !utf8.ValidString(once) {
			t.Fatalf("Normalize(%q) = %q: invalid UTF-8", s, once)
		}
		if twice := Normalize(once); twice != once {
			t.Fatalf("not idempotent: Normalize(%q) = %q, Normalize of that = %q", s, once, twice)
		}
		if once != strings.TrimSpace(once) || strings.Contains(once, "  ") {
			t.Fatalf("Normalize(%q) = %q: untrimmed or doubled spaces", s, once)
		}
	})
}

// benchTweet is a hand-made tweet of about 140 characters with the usual
// noise: tashkeel, tatweel, a hashtag, a ligature, digits and a link.
const benchTweet = "عـــاجل: جُنُودُ الخِلافة يعلنون السيطرة على المدينة ﻻ إله إﻻ الله " +
	"#الدولة_الإسلامية ٢٠١٤ تابعونا وانشروا https://t.me/example_channel 🏴"

func BenchmarkNormalize(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchTweet)))
	for b.Loop() {
		Normalize(benchTweet)
	}
}

func BenchmarkAppendNormalize(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchTweet)))
	buf := make([]byte, 0, 4*len(benchTweet))
	for b.Loop() {
		buf = AppendNormalize(buf[:0], benchTweet)
	}
}

// TestNormalizeIdempotentEveryRune checks idempotence for every rune of the
// Basic Multilingual Plane, alone and in the hashtag contexts where the
// rules interact.
func TestNormalizeIdempotentEveryRune(t *testing.T) {
	contexts := []string{"%s", "#%sب", "#ب_%s_a", "#a%sB", "a %s#x"}
	for _, c := range contexts {
		before, after, _ := strings.Cut(c, "%s")
		for r := rune(0); r <= 0xffff; r++ {
			if r >= 0xd800 && r <= 0xdfff {
				continue
			}
			s := before + string(r) + after
			once := Normalize(s)
			if twice := Normalize(once); twice != once {
				t.Errorf("not idempotent for U+%04X in %q: %q then %q", r, c, once, twice)
			}
		}
	}
}

// TestNormalizeIdempotentCombinations checks idempotence on many short
// strings over the runes whose rules interact (hashtags, case, spaces,
// removed marks, ligatures), which random fuzzing reaches only slowly.
func TestNormalizeIdempotentCombinations(t *testing.T) {
	alphabet := []string{
		"#", "_", " ", "\n", "A", "a", "B", "1", "ب", "ة", "\u064e", "ـ", "ﻻ", "\ufe70", "ﷺ", "\u200b", "\u200c",
		"İ", "Σ", "\u0301", "&", ".", "@", "\xff", "٣", "🏴",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for range 20000 {
		b.Reset()
		for range 1 + rng.IntN(8) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s := b.String()
		once := Normalize(s)
		if twice := Normalize(once); twice != once {
			t.Fatalf("not idempotent: Normalize(%q) = %q, Normalize of that = %q", s, once, twice)
		}
	}
}
