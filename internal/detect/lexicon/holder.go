package lexicon

import (
	"fmt"
	"sync/atomic"
)

// Holder keeps the lexicon in force and swaps it on Reload, so that analysts
// can edit their directory while detection runs.
type Holder struct {
	dir string
	cur atomic.Pointer[Lexicon]
}

// NewHolder loads the lexicon of dir (see Load; "" means the embedded one).
func NewHolder(dir string) (*Holder, error) {
	h := &Holder{dir: dir}
	if err := h.Reload(); err != nil {
		return nil, err
	}
	return h, nil
}

// Lexicon returns the lexicon in force.
func (h *Holder) Lexicon() *Lexicon { return h.cur.Load() }

// Dir returns the analyst directory ("" for the embedded lexicon only).
func (h *Holder) Dir() string { return h.dir }

// Reload re-reads the directory. On any error the lexicon in force stays.
func (h *Holder) Reload() error {
	l, err := Load(h.dir)
	if err != nil {
		return fmt.Errorf("reload lexicon: %w", err)
	}
	h.cur.Store(l)
	return nil
}
