// Package hashbank keeps banks of known content hashes (our own, partners',
// imported lists such as Tech Against Terrorism's and negative lists of
// known-benign content) and matches incoming signals against them. Each
// entry is a value of a type of the signaltype registry, which also says
// how the type is indexed: exact types through maps, PDQ through a
// multi-index hashing index (package mih), vPDQ through its frames.
package hashbank

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
)

// Errors of bank and entry handling.
var (
	ErrUnknownBank  = errors.New("unknown bank")
	ErrUnknownEntry = errors.New("unknown entry")
	ErrBadLabel     = errors.New("label not in the taxonomy")
	ErrDuplicateID  = errors.New("duplicate entry id")
	ErrBadBank      = errors.New("bad bank")
)

// Kind says where a bank's hashes come from and what a match means.
type Kind string

// Bank kinds. A match in a negative bank (known-benign content, e.g. a news
// photo that propaganda reuses) suppresses every other match of the query.
const (
	KindOwn      Kind = "own"
	KindPartner  Kind = "partner"
	KindImported Kind = "imported"
	KindNegative Kind = "negative"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	switch k {
	case KindOwn, KindPartner, KindImported, KindNegative:
		return true
	}
	return false
}

// Bank is a named list of hashes with one policy.
type Bank struct {
	Name    string
	Kind    Kind
	Enabled bool
	// Distance is the largest PDQ Hamming distance that counts as a match
	// for this bank's entries, for the types whose registry entry says
	// BankDistance; the other types use their own threshold.
	Distance  int
	Source    string // where the list comes from: "TAT TCAP", a partner's name, "analysts"
	CreatedAt time.Time
}

// Provenance records who shared a hash, when, and under which case.
type Provenance struct {
	SharedBy string
	SharedAt time.Time
	CaseRef  string
}

// Entry is one hash of a bank.
type Entry struct {
	ID         int64
	Bank       string
	Type       string // signaltype name
	Hash       string // the type's canonical form
	Labels     []post.Label
	Entity     string // entity registry id, e.g. isis
	Source     string // where the content was seen
	Provenance Provenance
	Enabled    bool
	AddedAt    time.Time
}

// Validate checks the entry's type, hash and labels and canonicalizes its
// type name and hash.
func (e *Entry) Validate() error {
	h, t, err := signaltype.Canonical(e.Type, e.Hash)
	if err != nil {
		return err
	}
	e.Type, e.Hash = t.Name, h
	for _, l := range e.Labels {
		if !l.Valid() {
			return fmt.Errorf("%w: %q", ErrBadLabel, l)
		}
	}
	return nil
}

// Match is one bank entry that a query hash matched, with everything an
// analyst needs to see why: the bank (kind, source), the entry (labels,
// entity, provenance) and the distance.
type Match struct {
	Bank     Bank
	Entry    Entry
	Distance int
}

// Result is the answer to one query. When a negative bank matched,
// Matches is empty and Suppressed holds the negative entries that explain
// why; Vetoed holds the matches they cancelled.
type Result struct {
	Matches    []Match
	Suppressed []Match
	Vetoed     []Match
}

// Matcher matches signals against banks. It is safe for concurrent use:
// queries share a read lock, changes take the write lock.
type Matcher struct {
	mu      sync.RWMutex
	banks   map[string]*Bank
	entries []Entry
	byID    map[int64]int
	// indexes holds one index per signal type that has entries, built by
	// the type; pos maps an index's ids to positions in entries.
	indexes map[*signaltype.Type]signaltype.Index
	pos     map[*signaltype.Type][]int
	maxDist int
}

// NewMatcher returns an empty matcher; fill it with Load.
func NewMatcher() *Matcher {
	m := &Matcher{}
	m.reset()
	return m
}

func (m *Matcher) reset() {
	m.banks = map[string]*Bank{}
	m.entries = nil
	m.byID = map[int64]int{}
	m.indexes = map[*signaltype.Type]signaltype.Index{}
	m.pos = map[*signaltype.Type][]int{}
	m.maxDist = 0
}

// Load replaces the matcher's content. Invalid entries are skipped and
// reported in the returned error; the valid ones are loaded.
func (m *Matcher) Load(banks []Bank, entries []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reset()
	var errs []error
	for _, b := range banks {
		if err := m.putBank(b); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, m.add(entries))...)
}

// Add adds entries to banks already loaded; invalid entries are skipped and
// reported in the returned error.
func (m *Matcher) Add(entries []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.add(entries)
}

// add indexes entries type by type, each type's values in one call: an
// index built at once is much faster than one grown value by value.
func (m *Matcher) add(entries []Entry) error {
	var errs []error
	values := map[*signaltype.Type][]string{}
	for _, e := range entries {
		if err := m.prepare(&e); err != nil {
			errs = append(errs, err)
			continue
		}
		t, _ := signaltype.Lookup(e.Type) // prepare validated it
		i := len(m.entries)
		m.entries = append(m.entries, e)
		m.byID[e.ID] = i
		m.pos[t] = append(m.pos[t], i)
		values[t] = append(values[t], e.Hash)
	}
	for t, vs := range values {
		ix, ok := m.indexes[t]
		if !ok {
			ix = t.Index()
			m.indexes[t] = ix
		}
		if err := ix.Add(vs...); err != nil {
			// Canonical values that an index refuses are a bug of the type;
			// drop the type's new entries rather than misnumber the index.
			errs = append(errs, fmt.Errorf("index %s: %w", t.Name, err))
			m.pos[t] = m.pos[t][:len(m.pos[t])-len(vs)]
		}
	}
	return errors.Join(errs...)
}

func (m *Matcher) prepare(e *Entry) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("entry %d: %w", e.ID, err)
	}
	if _, ok := m.banks[e.Bank]; !ok {
		return fmt.Errorf("entry %d: %w %q", e.ID, ErrUnknownBank, e.Bank)
	}
	if _, dup := m.byID[e.ID]; dup {
		return fmt.Errorf("entry %d: %w", e.ID, ErrDuplicateID)
	}
	e.Labels = slices.Clone(e.Labels)
	return nil
}

// Has reports whether any entry of type typ is loaded, so that callers
// skip computing values nothing could match.
func (m *Matcher) Has(typ string) bool {
	t, err := signaltype.Lookup(typ)
	if err != nil {
		return false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.pos[t]) > 0
}

// PutBank adds a bank or replaces the settings of the bank of that name;
// its entries stay.
func (m *Matcher) PutBank(b Bank) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.putBank(b)
}

func (m *Matcher) putBank(b Bank) error {
	if b.Name == "" || !b.Kind.Valid() || b.Distance < 0 || b.Distance > 255 {
		return fmt.Errorf("bank %q: %w: kind %q, distance %d", b.Name, ErrBadBank, b.Kind, b.Distance)
	}
	m.banks[b.Name] = &b
	m.maxDist = 0
	for _, x := range m.banks {
		m.maxDist = max(m.maxDist, x.Distance)
	}
	return nil
}

// SetBankEnabled turns a whole bank on or off.
func (m *Matcher) SetBankEnabled(name string, on bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.banks[name]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownBank, name)
	}
	b.Enabled = on
	return nil
}

// SetEntryEnabled turns one entry on or off.
func (m *Matcher) SetEntryEnabled(id int64, on bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.byID[id]
	if !ok {
		return fmt.Errorf("%w %d", ErrUnknownEntry, id)
	}
	m.entries[i].Enabled = on
	return nil
}

// Banks returns a copy of the banks, sorted by name.
func (m *Matcher) Banks() []Bank {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Bank, 0, len(m.banks))
	for _, b := range m.banks {
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b Bank) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Match looks a value of signal type typ up in every enabled bank. Types
// with a distance match within their threshold (for PDQ, each bank's
// Distance); the others match exactly.
func (m *Matcher) Match(typ, value string) (Result, error) {
	v, t, err := signaltype.Canonical(typ, value)
	if err != nil {
		return Result{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	ix, ok := m.indexes[t]
	if !ok {
		return Result{}, nil
	}
	radius := t.Threshold
	if t.BankDistance {
		radius = m.maxDist
	}
	hits, err := ix.Query(v, radius)
	if err != nil {
		return Result{}, err
	}
	var found []Match
	for _, h := range hits {
		found = m.appendIfLive(found, t, m.pos[t][h.ID], h.Distance)
	}
	return split(found), nil
}

// Threshold is the largest distance of type t that counts as a match in
// bank b.
func Threshold(t *signaltype.Type, b Bank) int {
	if t.BankDistance {
		return b.Distance
	}
	return t.Threshold
}

func (m *Matcher) appendIfLive(found []Match, t *signaltype.Type, i, dist int) []Match {
	e := &m.entries[i]
	b := m.banks[e.Bank]
	if !e.Enabled || !b.Enabled || dist > Threshold(t, *b) {
		return found
	}
	e2 := *e
	e2.Labels = slices.Clone(e.Labels)
	return append(found, Match{Bank: *b, Entry: e2, Distance: dist})
}

func split(found []Match) Result {
	var r Result
	for _, f := range found {
		if f.Bank.Kind == KindNegative {
			r.Suppressed = append(r.Suppressed, f)
		} else {
			r.Matches = append(r.Matches, f)
		}
	}
	if len(r.Suppressed) > 0 {
		r.Vetoed, r.Matches = r.Matches, nil
	}
	return r
}
