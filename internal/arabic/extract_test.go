package arabic

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// All Arabic texts in this file are hand-made for these tests.

func TestExtract(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Entities
	}{
		{
			name: "arabic tweet with everything",
			in:   "عاجل: بيان جديد #الدولة_الإسلامية #باقية_وتتمدد تابعوا @abu_omar و @NewsAgency https://t.me/s/channel_1 ولله الحمد",
			want: Entities{
				URLs:     []string{"https://t.me/s/channel_1"},
				Mentions: []string{"abu_omar", "NewsAgency"},
				Hashtags: []string{"الدولة_الإسلامية", "باقية_وتتمدد"},
			},
		},
		{
			name: "bare telegram and www links",
			in:   "انضموا: t.me/joinchat/AbC-123 أو www.example.org/page.",
			want: Entities{URLs: []string{"t.me/joinchat/AbC-123", "www.example.org/page"}},
		},
		{
			name: "scheme glued to arabic word",
			in:   "انضمواhttps://t.me/x_y",
			want: Entities{URLs: []string{"https://t.me/x_y"}},
		},
		{
			name: "bare prefix glued to a word is no link",
			in:   "abt.me/x is not a telegram link",
		},
		{
			name: "url ends at arabic punctuation and quotes",
			in:   "الرابط «https://example.com/a?b=1»، وأيضاً (https://example.com/c)؟",
			want: Entities{URLs: []string{"https://example.com/a?b=1", "https://example.com/c"}},
		},
		{
			name: "wikipedia brackets kept",
			in:   "see https://en.wikipedia.org/wiki/Dabiq_(magazine).",
			want: Entities{URLs: []string{"https://en.wikipedia.org/wiki/Dabiq_(magazine)"}},
		},
		{
			name: "only unmatched brackets trimmed",
			in:   "(see https://example.com/a_(b)) and [https://example.com/c]]",
			want: Entities{URLs: []string{"https://example.com/a_(b)", "https://example.com/c"}},
		},
		{
			name: "url ends at bidi mark",
			in:   "https://example.com/x\u200fنص",
			want: Entities{URLs: []string{"https://example.com/x"}},
		},
		{
			name: "hash inside url is no hashtag",
			in:   "https://example.com/page#section",
			want: Entities{URLs: []string{"https://example.com/page#section"}},
		},
		{
			name: "scheme alone is no link",
			in:   "http:// و https://.",
		},
		{
			name: "email is no mention",
			in:   "راسلونا على info@example.com",
		},
		{
			name: "rocket.chat handle with dot and dash",
			in:   "@john.doe-1. مرحبا @أبو_محمد",
			want: Entities{Mentions: []string{"john.doe-1", "أبو_محمد"}},
		},
		{
			name: "duplicates listed once",
			in:   "#خبر #خبر @a @a",
			want: Entities{Mentions: []string{"a"}, Hashtags: []string{"خبر"}},
		},
		{
			name: "hashtag with tashkeel tatweel and persian joiner",
			in:   "#الخِلافـــة #می\u200cخواهم",
			want: Entities{Hashtags: []string{"الخِلافـــة", "می\u200cخواهم"}},
		},
		{
			name: "digits only and html entities are no hashtags",
			in:   "#2024 &#39; C#sharp #_ #٢٠١٤",
		},
		{
			name: "hashtag with digits",
			in:   "#ISIS2014 #ولاية_سيناء_1",
			want: Entities{Hashtags: []string{"ISIS2014", "ولاية_سيناء_1"}},
		},
		{
			name: "double hash",
			in:   "##خلافة",
			want: Entities{Hashtags: []string{"خلافة"}},
		},
		{
			name: "hashtag ends at punctuation",
			in:   "(#نينوى)، #الشام.",
			want: Entities{Hashtags: []string{"نينوى", "الشام"}},
		},
		{name: "empty", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extract(tt.in)
			check := func(field string, got, want []string) {
				if !slices.Equal(got, want) {
					t.Errorf("Extract(%q).%s = %q, want %q", tt.in, field, got, want)
				}
			}
			check("URLs", got.URLs, tt.want.URLs)
			check("Mentions", got.Mentions, tt.want.Mentions)
			check("Hashtags", got.Hashtags, tt.want.Hashtags)
		})
	}
}

func TestHashtagWords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"#الدولة_الإسلامية", "الدوله الاسلاميه"},
		{"الدولة_الإسلامية", "الدوله الاسلاميه"},
		{"#باقية_وتتمدد", "باقيه وتتمدد"},
		{"#IslamicState", "islamic state"},
		{"#ISIS_2014", "isis 2014"},
		{"#2024_عام", "2024 عام"},
		{"##خلافة", "خلافه"},
		{"#ولاية__سيناء_", "ولايه سيناء"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := HashtagWords(tt.in); got != tt.want {
				t.Errorf("HashtagWords(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	// A tag's words must match the lexicon's phrase.
	if got, want := HashtagWords("#الدولة_الإسلامية"), Normalize("الدولة الإسلامية"); got != want {
		t.Errorf("HashtagWords = %q, Normalize(phrase) = %q, want equal", got, want)
	}
}

func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		"", "#الدولة_الإسلامية @abu_x https://t.me/s/x", "www.", "t.me/", "@", "#", "&#1;", "https://a.b/(c))",
		"#می\u200c", "@a.", "@a..b", "x\xff#y", "http://\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Extract(s)
		for field, list := range map[string][]string{"URLs": e.URLs, "Mentions": e.Mentions, "Hashtags": e.Hashtags} {
			for _, x := range list {
				if x == "" || !strings.Contains(s, x) {
					t.Fatalf("Extract(%q).%s has %q, not a non-empty part of the input", s, field, x)
				}
				if utf8.ValidString(s) && !utf8.ValidString(x) {
					t.Fatalf("Extract(%q).%s has invalid UTF-8 %q", s, field, x)
				}
			}
			if len(slices.Compact(slices.Sorted(slices.Values(list)))) != len(list) {
				t.Fatalf("Extract(%q).%s = %q has duplicates", s, field, list)
			}
		}
		for _, h := range e.Hashtags {
			if strings.ContainsAny(h, "# \t\n") {
				t.Fatalf("Extract(%q) hashtag %q contains a separator", s, h)
			}
		}
	})
}

func BenchmarkExtract(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchTweet)))
	for b.Loop() {
		Extract(benchTweet)
	}
}
