package hashbank

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/raqib-project/raqib/internal/pdq"
	"github.com/raqib-project/raqib/internal/post"
)

// Errors of bank and entry handling.
var (
	ErrUnknownAlgo  = errors.New("unknown hash algorithm")
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

// Hash algorithms. "text" is the exact hash of normalized text that
// internal/arabic's caller computes; near-duplicate text is neardup's job.
const (
	AlgoPDQ    = "pdq"
	AlgoMD5    = "md5"
	AlgoSHA256 = "sha256"
	AlgoText   = "text"
)

// Bank is a named list of hashes with one policy.
type Bank struct {
	Name    string
	Kind    Kind
	Enabled bool
	// Distance is the largest PDQ Hamming distance that counts as a match
	// for this bank's entries (exact algorithms ignore it).
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
	Algo       string
	Hash       string // canonical form: lower-case hex, or the text hash as given
	Labels     []post.Label
	Entity     string // entity registry id, e.g. isis
	Source     string // where the content was seen
	Provenance Provenance
	Enabled    bool
	AddedAt    time.Time
}

// CanonicalHash validates hash for algo and returns its canonical form.
func CanonicalHash(algo, hash string) (string, error) {
	hash = strings.TrimSpace(hash)
	hexLen := map[string]int{AlgoPDQ: 64, AlgoMD5: 32, AlgoSHA256: 64}
	switch algo {
	case AlgoPDQ, AlgoMD5, AlgoSHA256:
		if len(hash) != hexLen[algo] {
			return "", fmt.Errorf("%w: %s wants %d hex digits, got %d characters", ErrBadHash, algo, hexLen[algo], len(hash))
		}
		if _, err := hex.DecodeString(hash); err != nil {
			return "", fmt.Errorf("%w: %w", ErrBadHash, err)
		}
		return strings.ToLower(hash), nil
	case AlgoText:
		if hash == "" {
			return "", fmt.Errorf("%w: empty text hash", ErrBadHash)
		}
		return hash, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownAlgo, algo)
}

// Validate checks the entry's algorithm, hash and labels and canonicalizes
// its hash.
func (e *Entry) Validate() error {
	h, err := CanonicalHash(e.Algo, e.Hash)
	if err != nil {
		return err
	}
	e.Hash = h
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

// Matcher matches hashes against banks. It is safe for concurrent use:
// queries share a read lock, changes take the write lock.
type Matcher struct {
	mu      sync.RWMutex
	banks   map[string]*Bank
	entries []Entry
	byID    map[int64]int
	pdq     *Index
	pdqEnt  []int // index id -> position in entries
	exact   map[string][]int
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
	m.pdq = NewIndex(nil)
	m.pdqEnt = nil
	m.exact = map[string][]int{}
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
	// Building the index once is much faster than adding hash by hash.
	var hashes []pdq.Hash
	for _, e := range entries {
		h, err := m.prepare(&e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if e.Algo == AlgoPDQ {
			hashes = append(hashes, h)
		}
		m.store(e)
	}
	m.pdq = NewIndex(hashes)
	return errors.Join(errs...)
}

// Add adds entries to banks already loaded; invalid entries are skipped and
// reported in the returned error.
func (m *Matcher) Add(entries []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, e := range entries {
		h, err := m.prepare(&e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if e.Algo == AlgoPDQ {
			m.pdq.Add(h)
		}
		m.store(e)
	}
	return errors.Join(errs...)
}

func (m *Matcher) prepare(e *Entry) (pdq.Hash, error) {
	if err := e.Validate(); err != nil {
		return pdq.Hash{}, fmt.Errorf("entry %d: %w", e.ID, err)
	}
	if _, ok := m.banks[e.Bank]; !ok {
		return pdq.Hash{}, fmt.Errorf("entry %d: %w %q", e.ID, ErrUnknownBank, e.Bank)
	}
	if _, dup := m.byID[e.ID]; dup {
		return pdq.Hash{}, fmt.Errorf("entry %d: %w", e.ID, ErrDuplicateID)
	}
	e.Labels = slices.Clone(e.Labels)
	if e.Algo != AlgoPDQ {
		return pdq.Hash{}, nil
	}
	h, err := pdq.ParseHash(e.Hash)
	if err != nil {
		return pdq.Hash{}, fmt.Errorf("entry %d: %w", e.ID, err)
	}
	return h, nil
}

func (m *Matcher) store(e Entry) {
	i := len(m.entries)
	m.entries = append(m.entries, e)
	m.byID[e.ID] = i
	if e.Algo == AlgoPDQ {
		m.pdqEnt = append(m.pdqEnt, i)
		return
	}
	k := e.Algo + ":" + e.Hash
	m.exact[k] = append(m.exact[k], i)
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

// Match looks hash up in every enabled bank. PDQ hashes match within each
// bank's Distance; the other algorithms match exactly.
func (m *Matcher) Match(algo, hash string) (Result, error) {
	h, err := CanonicalHash(algo, hash)
	if err != nil {
		return Result{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var found []Match
	if algo == AlgoPDQ {
		q, err := pdq.ParseHash(h)
		if err != nil {
			return Result{}, err
		}
		for _, r := range m.pdq.Query(q, m.maxDist) {
			found = m.appendIfLive(found, m.pdqEnt[r.ID], r.Distance)
		}
	} else {
		for _, i := range m.exact[algo+":"+h] {
			found = m.appendIfLive(found, i, 0)
		}
	}
	return split(found), nil
}

func (m *Matcher) appendIfLive(found []Match, i, dist int) []Match {
	e := &m.entries[i]
	b := m.banks[e.Bank]
	if !e.Enabled || !b.Enabled || dist > b.Distance {
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
