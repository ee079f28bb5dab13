// Package signaltype is the registry of signal types: the kinds of hash
// raqib computes from content and matches against hash banks (PDQ, vPDQ,
// MD5, SHA-256, the hash of normalized text, the text MinHash signature).
// A type says how to validate a value and put it in canonical form, how far
// apart two values are, which index finds close values, what distance
// counts as a match by default, which content it applies to and how bank
// files name it. Everything downstream (post media hashes, banks and their
// file formats, the matcher, the detector, the stores, the web UI) works
// through a type, never through a hard-coded list of algorithms, so that a
// new type is one file here plus a line in builtins (registry.go).
package signaltype

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Errors of the registry and of values.
var (
	ErrUnknown  = errors.New("unknown signal type")
	ErrBadValue = errors.New("bad signal value")
	ErrRegister = errors.New("cannot register signal type")
)

// Content is a kind of content a type applies to.
type Content string

// Contents. File means the bytes of any media file, whatever it shows.
const (
	File  Content = "file"
	Image Content = "image"
	Video Content = "video"
	Text  Content = "text"
)

// Type is one signal type. Name, Content and Canonical are required; a
// type without Distance matches exactly.
type Type struct {
	// Name is stable: it is stored with every hash and bank entry.
	Name string
	// Title names the type in explanations an analyst reads.
	Title string
	// Aliases are other spellings accepted in bank files' type columns
	// (matched without regard to case).
	Aliases []string
	// HashColumn is the header of a column that carries values of this
	// type in HMA-style CSV exports (pdq_hash), "" when they have none.
	HashColumn string
	// Shared says partner hash lists (TAT JSON) may carry the type; types
	// of our own making, such as the hash of our text normalization, are
	// meaningless to partners.
	Shared  bool
	Content []Content
	// Canonical validates a value and returns its canonical form, the one
	// stored and compared.
	Canonical func(value string) (string, error)
	// Distance compares two canonical values; nil means exact matching.
	Distance func(a, b string) (int, error)
	// Threshold is the largest distance that counts as a match by default.
	Threshold int
	// MaxDistance is the largest distance there is, which scores a match:
	// score = 1 - distance/MaxDistance.
	MaxDistance int
	// BankDistance says a bank's own distance setting (a PDQ Hamming
	// radius) replaces Threshold for this type.
	BankDistance bool
	// NewIndex builds the index of bank values; nil means an exact map for
	// exact types and a linear scan with Distance for the others.
	NewIndex func() Index
	// FromText computes the value of a text type from a post's normalized
	// text; ok is false when the text has none.
	FromText func(norm string) (value string, ok bool)
}

// Applies reports whether t applies to content c.
func (t *Type) Applies(c Content) bool { return slices.Contains(t.Content, c) }

// Exact reports whether values of t match only when equal.
func (t *Type) Exact() bool { return t.Distance == nil }

// Index returns a new, empty index for values of t.
func (t *Type) Index() Index {
	switch {
	case t.NewIndex != nil:
		return t.NewIndex()
	case t.Distance == nil:
		return newExactIndex()
	}
	return &scanIndex{distance: t.Distance}
}

// Score turns a distance into a score from 0 to 1.
func (t *Type) Score(distance int) float64 {
	if t.MaxDistance <= 0 {
		return 1
	}
	return max(0, 1-float64(distance)/float64(t.MaxDistance))
}

// distanceBy makes a Type.Distance of a parser and a distance of parsed
// values.
func distanceBy[T any](parse func(string) (T, error), dist func(T, T) int) func(a, b string) (int, error) {
	return func(a, b string) (int, error) {
		x, err := parse(a)
		if err != nil {
			return 0, err
		}
		y, err := parse(b)
		if err != nil {
			return 0, err
		}
		return dist(x, y), nil
	}
}

// Hit is one indexed value a query found: its id (the order in which values
// were added, from 0) and its distance from the query.
type Hit struct {
	ID       int
	Distance int
}

// Index finds the values close to a query. Queries may run concurrently
// with each other; Add needs exclusive access.
type Index interface {
	// Add appends canonical values; their ids continue from those added
	// before. A value that cannot be indexed fails the call and leaves the
	// index as it was.
	Add(values ...string) error
	// Query returns the values within threshold of the canonical value q,
	// nearest first.
	Query(q string, threshold int) ([]Hit, error)
}

var (
	types  []*Type
	byName = map[string]*Type{}
)

// Register adds a type to the registry. Names and aliases must be new.
// Register and Unregister must not run concurrently with lookups: call them
// from init, or at the start of a test before anything matches.
func Register(t *Type) error {
	if t.Name == "" || t.Canonical == nil || len(t.Content) == 0 {
		return fmt.Errorf("%w %q: name, canonical form and content are required", ErrRegister, t.Name)
	}
	names := append([]string{t.Name}, t.Aliases...)
	for _, n := range names {
		if _, dup := byName[strings.ToLower(n)]; dup {
			return fmt.Errorf("%w %q: name %q is taken", ErrRegister, t.Name, n)
		}
	}
	for _, n := range names {
		byName[strings.ToLower(n)] = t
	}
	types = append(types, t)
	return nil
}

// Unregister removes a type; tests use it to undo Register.
func Unregister(t *Type) {
	types = slices.DeleteFunc(types, func(x *Type) bool { return x == t })
	for n, x := range byName {
		if x == t {
			delete(byName, n)
		}
	}
}

// Lookup finds a type by name or alias, regardless of case.
func Lookup(name string) (*Type, error) {
	t, ok := byName[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknown, name)
	}
	return t, nil
}

// All returns every registered type, in registration order.
func All() []*Type { return slices.Clone(types) }

// Canonical looks the type up by name and returns the canonical form of
// value, the type's own name and the type.
func Canonical(name, value string) (string, *Type, error) {
	t, err := Lookup(name)
	if err != nil {
		return "", nil, err
	}
	v, err := t.Canonical(value)
	if err != nil {
		return "", t, err
	}
	return v, t, nil
}
