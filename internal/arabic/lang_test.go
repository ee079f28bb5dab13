package arabic

import "testing"

// All texts in this file are hand-made for these tests.

func TestLanguage(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"arabic news", "قال المتحدث باسم الجيش إن القوات استعادت السيطرة على المدينة", LangArabic},
		{"arabic with diacritics and hashtag", "بِسْمِ اللَّهِ #باقية_وتتمدد", LangArabic},
		{"arabic with english link and mentions", "تابعوا القناة @NewsChannelOfficial https://t.me/s/SomeLongEnglishChannelName", LangArabic},
		{"arabic with english acronym", "هجوم جديد يتبناه تنظيم ISIS في المنطقة", LangArabic},
		{"presentation forms", "ﺍﻟﺪﻭﻟﺔ ﻻ", LangArabic},
		{"english", "The group claimed responsibility for the attack on Monday", LangEnglish},
		{"english with arabic word", "They call it the Caliphate: الخلافة", LangEnglish},
		{"english upper case", "THIS IS NOT A DRILL", LangEnglish},
		{"german", "Die Gruppe hat sich zu dem Anschlag bekannt und das ist nicht neu", LangUndefined},
		{"french", "Le groupe a revendiqué l'attaque dans la ville", LangUndefined},
		{"spanish", "El grupo reivindicó el ataque en la ciudad", LangUndefined},
		{"arabizi", "ya akhi ana fi el bait", LangUndefined},
		{"persian", "ما می خواهیم این کتاب را بخوانیم", LangUndefined},
		{"latin names only", "Assad Regime Bombards Aleppo", LangUndefined},
		{"only a link", "https://t.me/s/channel", LangUndefined},
		{"only digits and emoji", "2014 ٢٠١٤ 🏴", LangUndefined},
		{"too few letters", "ok", LangUndefined},
		{"empty", "", LangUndefined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Language(tt.in); got != tt.want {
				t.Errorf("Language(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFunctionWordsFitBuffer(t *testing.T) {
	for w := range functionWords {
		if len(w) > maxFunctionWord {
			t.Errorf("function word %q is longer than maxFunctionWord = %d: it would never match", w, maxFunctionWord)
		}
	}
}

func TestLanguageZeroAlloc(t *testing.T) {
	for _, s := range []string{benchTweet, "The group claimed responsibility for the attack, didn't it?"} {
		if allocs := testing.AllocsPerRun(100, func() { Language(s) }); allocs != 0 {
			t.Errorf("Language(%q): %v allocs per run, want 0", s, allocs)
		}
	}
}

func TestIsArabicLetter(t *testing.T) {
	tests := []struct {
		r    rune
		want bool
	}{
		{'ا', true}, {'ء', true}, {'ة', true}, {'ی', true}, {'پ', true}, {'ﻻ', true},
		{'ـ', false}, {'\u064e', false}, {'٣', false}, {'،', false}, {'a', false}, {'א', false}, {' ', false},
	}
	for _, tt := range tests {
		if got := IsArabicLetter(tt.r); got != tt.want {
			t.Errorf("IsArabicLetter(%q) = %v, want %v", tt.r, got, tt.want)
		}
	}
}

func BenchmarkLanguage(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchTweet)))
	for b.Loop() {
		Language(benchTweet)
	}
}
