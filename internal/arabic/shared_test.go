package arabic

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/raqib-project/raqib/internal/shareddata"
)

// readColumn returns one column of a CSV file with a header row.
func readColumn(t *testing.T, path, column string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	col := -1
	for i, name := range rows[0] {
		if name == column {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("%s: no column %q in header %q", path, column, rows[0])
	}
	var out []string
	for _, row := range rows[1:] {
		if col < len(row) {
			out = append(out, row[col])
		}
	}
	return out
}

// TestRealArabicTweets runs the package over the Alfifi development set:
// real tweets carry ligatures, tatweel, hashtags and mixed scripts that
// hand-made tests miss.
func TestRealArabicTweets(t *testing.T) {
	texts := readColumn(t, shareddata.Need(t, "alfifi-dev", "alfifi_dev.csv"), "text")
	arabic := 0
	for _, s := range texts {
		norm := Normalize(s)
		if !utf8.ValidString(norm) || Normalize(norm) != norm {
			t.Errorf("Normalize(%q) = %q: invalid or not idempotent", s, norm)
		}
		if Language(s) == LangArabic {
			arabic++
		}
		for _, tag := range Extract(s).Hashtags {
			if r, _ := utf8.DecodeRuneInString(tag); IsArabicLetter(r) && !strings.Contains(norm, HashtagWords(tag)) {
				t.Errorf("normalized tweet %q lacks the words %q of its hashtag %q", norm, HashtagWords(tag), tag)
			}
		}
	}
	t.Logf("%d tweets, %d identified as Arabic", len(texts), arabic)
	if arabic < len(texts)*95/100 {
		t.Errorf("%d of %d Arabic tweets identified as Arabic, want at least 95%%", arabic, len(texts))
	}
}

// TestRealEnglishTweets checks language identification on the English
// pro-ISIS account set, which also holds some Arabic tweets.
func TestRealEnglishTweets(t *testing.T) {
	texts := readColumn(t, shareddata.Need(t, "isis-fanboy-en", "IsisFanboy.csv"), "tweets")
	counts := map[string]int{}
	for _, s := range texts {
		counts[Language(s)]++
	}
	t.Logf("%d tweets: %v", len(texts), counts)
	if en := counts[LangEnglish]; en < len(texts)*80/100 {
		t.Errorf("%d of %d tweets identified as English, want at least 80%%", en, len(texts))
	}
}
