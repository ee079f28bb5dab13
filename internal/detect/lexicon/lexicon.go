// Package lexicon finds the terms of an analyst-maintained Arabic and English
// lexicon in normalized post text: the group's own names, honorifics,
// slogans, slurs, outlets, claim formulas and calls to act, and the negative
// cues of news, counter-speech and research. Matching is one pass of an
// Aho-Corasick automaton with whole-word boundaries, Arabic clitic prefixes
// and quotation awareness; the hits feed a Detector and the per-category
// Features that the classifier uses.
package lexicon

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:embed data/*.tsv
var embedded embed.FS

// Errors of Load and New.
var (
	ErrEmpty  = errors.New("lexicon has no entries")
	ErrNotDir = errors.New("not a directory")
)

// Hit is one occurrence of an entry. Start and End are byte offsets into the
// normalized text; a match after a clitic prefix starts at the term, except
// the "لل" form of "ال" terms, which starts at the "لل".
type Hit struct {
	Start, End int
	Entry      *Entry
	// Quoted reports that the hit lies inside quotation marks, as when news
	// quotes the group's own names or slogans, or, after MarkRejected,
	// beside words that reject it.
	Quoted bool
}

// Lexicon is an immutable, compiled set of entries, safe for concurrent use.
type Lexicon struct {
	entries  []Entry
	patterns []pattern
	ac       *automaton
}

// pattern is one byte string of the automaton; an entry has one or two.
type pattern struct {
	entry  int32
	n      int32 // length in bytes
	arabic bool  // starts with an Arabic letter: clitic prefixes apply
}

// New compiles entries (as returned by Parse). Entries of weight zero are
// left out.
func New(entries []Entry) (*Lexicon, error) {
	l := &Lexicon{}
	for _, e := range entries {
		if e.Weight == 0 {
			continue
		}
		if e.Norm == "" || e.Category >= numCategories {
			return nil, fmt.Errorf("%s: %w: empty term or bad category", e.Source, ErrSyntax)
		}
		why := e.Category.String() + ": " + e.Term
		e.why = [2]string{why, why + " (quoted)"}
		l.entries = append(l.entries, e)
	}
	if len(l.entries) == 0 {
		return nil, ErrEmpty
	}
	var pats [][]byte
	for i := range l.entries {
		n := l.entries[i].Norm
		r, _ := utf8.DecodeRuneInString(n)
		ar := isArabicLetter(r)
		l.patterns = append(l.patterns, pattern{entry: int32(i), n: int32(len(n)), arabic: ar})
		pats = append(pats, []byte(n))
		// ل before the article drops the alef: ل + الدوله is written للدوله,
		// ل + الله is لله.
		if rest, ok := strings.CutPrefix(n, "ال"); ok && rest != "" {
			lil := "ل" + strings.TrimPrefix(n, "ا")
			if strings.HasPrefix(rest, "ل") {
				lil = "ل" + rest
			}
			l.patterns = append(l.patterns, pattern{entry: int32(i), n: int32(len(lil)), arabic: true})
			pats = append(pats, []byte(lil))
		}
	}
	l.ac = buildAutomaton(pats)
	return l, nil
}

// Entries returns the compiled entries; callers must not modify them.
func (l *Lexicon) Entries() []Entry { return l.entries }

// Len returns the number of entries.
func (l *Lexicon) Len() int { return len(l.entries) }

var defaultLexicon = sync.OnceValues(func() (*Lexicon, error) {
	entries, err := readDir(embedded, "data")
	if err != nil {
		return nil, err
	}
	return New(entries)
})

// Default returns the embedded lexicon (data/*.tsv in this package).
func Default() (*Lexicon, error) { return defaultLexicon() }

// Load returns the embedded entries overridden and extended by the *.tsv
// files of dir, read in name order. An entry of dir with the same term and
// category as an earlier one replaces it; weight 0 switches it off. Any bad
// line makes Load fail with every problem listed as file:line.
func Load(dir string) (*Lexicon, error) {
	if dir == "" {
		return Default()
	}
	// A mistyped directory must not silently leave the analysts' terms out.
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("lexicon directory: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("lexicon directory %s: %w", dir, ErrNotDir)
	}
	base, err := readDir(embedded, "data")
	if err != nil {
		return nil, err
	}
	extra, err := readDir(os.DirFS(dir), ".")
	if err != nil {
		return nil, err
	}
	return New(merge(base, extra))
}

// readDir parses every *.tsv of dir in fsys, in name order.
func readDir(fsys fs.FS, dir string) ([]Entry, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.tsv"))
	if err != nil {
		return nil, fmt.Errorf("list lexicon files: %w", err)
	}
	sort.Strings(names)
	var (
		all  []Entry
		errs []error
	)
	for _, name := range names {
		f, err := fsys.Open(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("open lexicon file: %w", err))
			continue
		}
		entries, err := Parse(f, path.Base(name))
		f.Close()
		if err != nil {
			errs = append(errs, err)
		}
		all = merge(all, entries)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return all, nil
}

// merge returns base with over applied: same key replaces, new keys append.
func merge(base, over []Entry) []Entry {
	idx := make(map[string]int, len(base))
	out := append([]Entry(nil), base...)
	for i := range out {
		idx[out[i].key()] = i
	}
	for _, e := range over {
		if i, ok := idx[e.key()]; ok {
			out[i] = e
			continue
		}
		idx[e.key()] = len(out)
		out = append(out, e)
	}
	return out
}

const article = "ال"

// Match calls fn for every whole-word occurrence of an entry in norm, which
// must be arabic.Normalize output. Hits come in the order in which their
// terms end (a stem's hit extends to the end of its word). Match does not
// allocate.
func (l *Lexicon) Match(norm []byte, fn func(Hit)) {
	q := quotes{text: norm, start: -1, end: -1}
	l.ac.scan(norm, func(pi int32, end int) {
		p := &l.patterns[pi]
		e := &l.entries[p.entry]
		start := end - int(p.n)
		// The quotation check takes the automaton's end, which never
		// decreases from one hit to the next, as quotes.contains needs.
		quoted := q.contains(start, end)
		if e.Prefix {
			end = wordEnd(norm, end)
			// A stem takes the article too: مرتد* finds المرتدين.
			if p.arabic && start >= len(article) && string(norm[start-len(article):start]) == article {
				start -= len(article)
			}
		} else if end < len(norm) && isWordRune(firstRune(norm[end:])) {
			return
		}
		if !leftBoundary(norm, start, p.arabic) {
			return
		}
		fn(Hit{Start: start, End: end, Entry: e, Quoted: quoted})
	})
}

// NumFeatures is the length of the vector Features fills.
const NumFeatures = 2 * int(numCategories)

// FeatureNames names the Features vector: one weight sum per category in
// Categories order, then the same for hits inside quotation marks, prefixed
// "quoted_".
var FeatureNames = func() []string {
	names := make([]string, 0, NumFeatures)
	for _, c := range Categories {
		names = append(names, c.String())
	}
	for _, c := range Categories {
		names = append(names, "quoted_"+c.String())
	}
	return names
}()

// Features writes per-category sums of hit weights into dst[:NumFeatures],
// quoted (or rejected, see MarkRejected) hits apart (see FeatureNames). It
// does not allocate: hits past the first featureHits are summed as found,
// without looking for rejections.
func (l *Lexicon) Features(norm []byte, dst []float32) {
	dst = dst[:NumFeatures]
	clear(dst)
	var buf [featureHits]Hit
	n := 0
	add := func(h Hit) {
		i := int(h.Entry.Category)
		if h.Quoted {
			i += int(numCategories)
		}
		dst[i] += h.Entry.Weight
	}
	l.Match(norm, func(h Hit) {
		if n < len(buf) {
			buf[n] = h
			n++
			return
		}
		add(h)
	})
	MarkRejected(norm, buf[:n])
	for _, h := range buf[:n] {
		add(h)
	}
}

// featureHits is how many hits Features holds to look for rejections: a
// post has a handful.
const featureHits = 64

// leftBoundary reports whether a term starting at start begins a word,
// allowing up to two Arabic clitic letters (و ف ب ل ك) before it.
func leftBoundary(t []byte, start int, arabic bool) bool {
	for range 3 {
		if start == 0 {
			return true
		}
		r, size := utf8.DecodeLastRune(t[:start])
		if !isWordRune(r) {
			return true
		}
		if !arabic || !isClitic(r) {
			return false
		}
		start -= size
	}
	return false
}

func isClitic(r rune) bool {
	switch r {
	case 'و', 'ف', 'ب', 'ل', 'ك':
		return true
	}
	return false
}

// wordEnd returns the end of the word that continues at i.
func wordEnd(t []byte, i int) int {
	for i < len(t) {
		r, size := utf8.DecodeRune(t[i:])
		if !isWordRune(r) {
			break
		}
		i += size
	}
	return i
}

func firstRune(b []byte) rune {
	if b[0] < utf8.RuneSelf {
		return rune(b[0])
	}
	r, _ := utf8.DecodeRune(b)
	return r
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isArabicLetter(r rune) bool {
	return 0x0620 <= r && r <= 0x064a || 0x066e <= r && r <= 0x06d3
}
