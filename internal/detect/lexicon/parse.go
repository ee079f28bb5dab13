package lexicon

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/raqib-project/raqib/internal/arabic"
)

// Errors of lexicon files. Parse wraps them with the file name and line.
var (
	ErrUnknownCategory = errors.New("unknown category")
	ErrSyntax          = errors.New("syntax error")
	ErrDuplicate       = errors.New("duplicate entry")
)

// MaxWeight bounds entry weights so that one term cannot drown all others.
const MaxWeight = 10

// Entry is one lexicon term.
type Entry struct {
	Term     string   // as the analyst wrote it
	Norm     string   // arabic.Normalize(Term): what is matched
	Category Category //
	// Weight is the strength of the evidence, 0..MaxWeight. Zero, in an
	// analyst file, switches off an embedded entry with the same term and
	// category.
	Weight float32
	Entity string // entity registry id (taxonomy), or "" when the term names none
	Why    string // why the term is diagnostic, without the leading '#'
	// Prefix entries (written with a trailing '*') match any word that
	// begins with the term, with or without the article, for Arabic
	// suffixes: مرتد* finds مرتدين، المرتدون.
	Prefix bool
	Source string // file:line

	// why is a span's reason for a hit of the entry, unquoted and quoted,
	// written once by New rather than once per hit.
	why [2]string
}

// key identifies an entry for overrides and duplicate detection.
func (e *Entry) key() string {
	k := e.Norm + "\t" + e.Category.String()
	if e.Prefix {
		k += "*"
	}
	return k
}

// Parse reads a lexicon file: one entry per line,
//
//	term<TAB>category<TAB>weight<TAB>entity<TAB># why it is diagnostic
//
// Blank lines and lines starting with '#' are comments; entity may be empty
// or "-". Bad lines are skipped and reported, each as "name:line: reason",
// in the returned error (errors.Join); the good entries are returned either
// way so that a caller can decide.
func Parse(r io.Reader, name string) ([]Entry, error) {
	var (
		entries []Entry
		errs    []error
		seen    = map[string]int{}
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if strings.TrimSpace(text) == "" || strings.HasPrefix(strings.TrimSpace(text), "#") {
			continue
		}
		e, err := parseLine(text)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", name, line, err))
			continue
		}
		e.Source = name + ":" + strconv.Itoa(line)
		if prev, dup := seen[e.key()]; dup {
			errs = append(errs, fmt.Errorf("%s:%d: %w: same term and category as line %d", name, line, ErrDuplicate, prev))
			continue
		}
		seen[e.key()] = line
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s:%d: %w", name, line+1, err))
	}
	return entries, errors.Join(errs...)
}

func parseLine(text string) (Entry, error) {
	f := strings.Split(text, "\t")
	if len(f) != 5 {
		return Entry{}, fmt.Errorf("%w: want 5 tab-separated fields (term, category, weight, entity, # why), got %d", ErrSyntax, len(f))
	}
	var e Entry
	e.Term = strings.TrimSpace(f[0])
	term := e.Term
	if strings.HasSuffix(term, "*") {
		e.Prefix = true
		term = strings.TrimSuffix(term, "*")
	}
	e.Norm = arabic.Normalize(term)
	if e.Norm == "" || strings.ContainsRune(e.Norm, '*') {
		return Entry{}, fmt.Errorf("%w: empty term or '*' inside it: %q", ErrSyntax, e.Term)
	}
	c, err := ParseCategory(strings.TrimSpace(f[1]))
	if err != nil {
		return Entry{}, err
	}
	e.Category = c
	w, err := strconv.ParseFloat(strings.TrimSpace(f[2]), 32)
	if err != nil || w < 0 || w > MaxWeight || w != w {
		return Entry{}, fmt.Errorf("%w: weight %q is not a number from 0 to %d", ErrSyntax, f[2], MaxWeight)
	}
	e.Weight = float32(w)
	e.Entity = strings.TrimSpace(f[3])
	if e.Entity == "-" {
		e.Entity = ""
	}
	if !validEntityID(e.Entity) {
		return Entry{}, fmt.Errorf("%w: entity %q: want lower-case letters, digits and '-'", ErrSyntax, e.Entity)
	}
	why := strings.TrimSpace(f[4])
	if !strings.HasPrefix(why, "#") || strings.TrimSpace(why[1:]) == "" {
		return Entry{}, fmt.Errorf("%w: the last field must be \"# why the term is diagnostic\"", ErrSyntax)
	}
	e.Why = strings.TrimSpace(why[1:])
	return e, nil
}

func validEntityID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
