package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// entryPageSize is the number of entries a bank page shows.
const entryPageSize = 100

// maxEntryPage is the most entries one API answer holds.
const maxEntryPage = 5000

// errNoBanks answers bank requests when the store keeps no hash banks.
var errNoBanks = fmt.Errorf("this store keeps no hash banks: %w", store.ErrNotFound)

// bankView is a bank with its entry counts, for the pages and the API.
type bankView struct {
	Name      string        `json:"name"`
	Kind      hashbank.Kind `json:"kind"`
	Enabled   bool          `json:"enabled"`
	Distance  int           `json:"distance"`
	Source    string        `json:"source,omitempty"`
	CreatedAt time.Time     `json:"created_at,omitzero"`
	Entries   int           `json:"entries"`
	Live      int           `json:"enabled_entries"`
}

// entryView is the API form of a bank entry.
type entryView struct {
	ID         int64          `json:"id"`
	Bank       string         `json:"bank"`
	Type       string         `json:"type"`
	Hash       string         `json:"hash"`
	Labels     []post.Label   `json:"labels"`
	Entity     string         `json:"entity,omitempty"`
	Source     string         `json:"source,omitempty"`
	Provenance provenanceView `json:"provenance"`
	Enabled    bool           `json:"enabled"`
	AddedAt    time.Time      `json:"added_at,omitzero"`
}

type provenanceView struct {
	SharedBy string    `json:"shared_by,omitempty"`
	SharedAt time.Time `json:"shared_at,omitzero"`
	CaseRef  string    `json:"case_ref,omitempty"`
}

func viewEntry(e hashbank.Entry) entryView {
	labels := e.Labels
	if labels == nil {
		labels = []post.Label{}
	}
	return entryView{
		ID: e.ID, Bank: e.Bank, Type: e.Type, Hash: e.Hash, Labels: labels, Entity: e.Entity, Source: e.Source,
		Provenance: provenanceView(e.Provenance), Enabled: e.Enabled, AddedAt: e.AddedAt,
	}
}

// bankSet is everything the store holds about banks, loaded at once: the
// pages are paginated here rather than in the store, which is fine for
// banks of some hundred thousand entries.
type bankSet struct {
	banks   []bankView
	entries []hashbank.Entry
}

func (s *server) loadBanks(ctx context.Context) (*bankSet, error) {
	if s.Banks == nil {
		return nil, errNoBanks
	}
	bs, es, err := s.Banks.LoadBanks(ctx)
	if err != nil {
		return nil, fmt.Errorf("load banks: %w", err)
	}
	set := &bankSet{entries: es}
	at := map[string]int{}
	for i, b := range bs {
		at[b.Name] = i
		set.banks = append(set.banks, bankView{Name: b.Name, Kind: b.Kind, Enabled: b.Enabled, Distance: b.Distance, Source: b.Source, CreatedAt: b.CreatedAt})
	}
	for _, e := range es {
		i, ok := at[e.Bank]
		if !ok {
			continue
		}
		set.banks[i].Entries++
		if e.Enabled {
			set.banks[i].Live++
		}
	}
	return set, nil
}

func (set *bankSet) bank(name string) (bankView, error) {
	i := slices.IndexFunc(set.banks, func(b bankView) bool { return b.Name == name })
	if i < 0 {
		return bankView{}, fmt.Errorf("bank %q: %w", name, store.ErrNotFound)
	}
	return set.banks[i], nil
}

func (set *bankSet) entry(id int64) (hashbank.Entry, bool) {
	i := slices.IndexFunc(set.entries, func(e hashbank.Entry) bool { return e.ID == id })
	if i < 0 {
		return hashbank.Entry{}, false
	}
	return set.entries[i], true
}

// entryOffset is the offset of the page of entry id's bank that lists it.
func (set *bankSet) entryOffset(bank string, id int64) int {
	n := 0
	for _, x := range set.entries {
		if x.ID == id {
			break
		}
		if x.Bank == bank {
			n++
		}
	}
	return n / entryPageSize * entryPageSize
}

// entryURL links an entry on its bank's pages; the bank page finds the page
// that lists it, so that the link costs the post page nothing.
func entryURL(bank string, id int64) string {
	ids := strconv.FormatInt(id, 10)
	return bankURL(bank) + "?entry=" + ids + "#entry-" + ids
}

// entriesOf returns the entries of bank name from offset, at most limit of
// them, and their total.
func (set *bankSet) entriesOf(name string, offset, limit int) ([]hashbank.Entry, int) {
	var out []hashbank.Entry
	n := 0
	for _, e := range set.entries {
		if e.Bank != name {
			continue
		}
		if n >= offset && len(out) < limit {
			out = append(out, e)
		}
		n++
	}
	return out, n
}

// intParam reads a whole number from 0 to max, def when absent.
func intParam(v url.Values, name string, def, max int) (int, error) {
	raw := v.Get(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 || n > max {
		return 0, fmt.Errorf("%w %s=%q: want a whole number from 0 to %d", errBadParam, name, raw, max)
	}
	return n, nil
}

// banksPage is the data of the bank list.
type banksPage struct {
	*page
	Banks   []bankView
	NoBanks bool
}

// bankRow is what the "bankrow" template needs: the page for the
// translations and the bank; a toggle renders it alone for htmx to swap.
type bankRow struct {
	P *page
	B bankView
}

// BankRow pairs a bank with the page for the "bankrow" template.
func (p *page) BankRow(b bankView) bankRow { return bankRow{p, b} }

// entryRow is what the "entryrow" template needs; Offset brings a plain
// form post back to the page the entry is on.
type entryRow struct {
	P      *page
	E      hashbank.Entry
	Offset int
}

// EntryRow pairs an entry with the page for the "entryrow" template.
func (bp bankPage) EntryRow(e hashbank.Entry) entryRow { return entryRow{bp.page, e, bp.Offset} }

func (s *server) handleBanks(w http.ResponseWriter, r *http.Request) {
	bp := banksPage{page: s.newPage(w, r)}
	bp.Title = bp.T("banks.title")
	set, err := s.loadBanks(r.Context())
	switch {
	case errors.Is(err, errNoBanks):
		bp.NoBanks = true
	case err != nil:
		s.pageError(w, r, err)
		return
	default:
		bp.Banks = set.banks
	}
	s.render(w, "banks", "base", http.StatusOK, bp)
}

// bankPage is the data of one bank's entries.
type bankPage struct {
	*page
	Bank     bankView
	Entries  []hashbank.Entry
	Offset   int
	From, To int
	Total    int
	PrevURL  string
	NextURL  string
}

func (s *server) handleBank(w http.ResponseWriter, r *http.Request) {
	offset, err := intParam(r.URL.Query(), "offset", 0, 1<<30)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	set, err := s.loadBanks(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	b, err := set.bank(r.PathValue("name"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if r.URL.Query().Has("entry") {
		id, err := intParam(r.URL.Query(), "entry", 0, math.MaxInt64)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		offset = set.entryOffset(b.Name, int64(id))
	}
	bp := bankPage{page: s.newPage(w, r), Bank: b, Offset: offset}
	bp.Title = bp.T("bank.title") + " " + isolate(b.Name)
	bp.Entries, bp.Total = set.entriesOf(b.Name, offset, entryPageSize)
	if len(bp.Entries) > 0 {
		bp.From, bp.To = offset+1, offset+len(bp.Entries)
	}
	if offset+len(bp.Entries) < bp.Total {
		bp.NextURL = bankPageURL(b.Name, offset+entryPageSize)
	}
	if offset > 0 {
		bp.PrevURL = bankPageURL(b.Name, max(offset-entryPageSize, 0))
	}
	s.render(w, "bank", "base", http.StatusOK, bp)
}

// bankURL links a bank page; the name is one path segment whatever it holds.
func bankURL(name string) string { return "/banks/" + url.PathEscape(name) }

func bankPageURL(name string, offset int) string {
	if offset == 0 {
		return bankURL(name)
	}
	return bankURL(name) + "?offset=" + strconv.Itoa(offset)
}

// formBool reads the "enabled" field of a toggle form.
func formBool(r *http.Request) (bool, error) {
	switch v := r.PostFormValue("enabled"); v {
	case "1", "true", "on":
		return true, nil
	case "0", "false", "off":
		return false, nil
	default:
		return false, fmt.Errorf("%w enabled=%q: want 1 or 0", errBadParam, v)
	}
}

// handleBankToggle switches a bank from its row on the list: htmx swaps the
// row it gets back; a plain form post is sent back to the list.
func (s *server) handleBankToggle(w http.ResponseWriter, r *http.Request) {
	on, err := formBool(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	name := r.PathValue("name")
	if err := s.switchBank(r, name, on); err != nil {
		s.pageError(w, r, err)
		return
	}
	if !fragment(r) {
		http.Redirect(w, r, "/banks", http.StatusSeeOther)
		return
	}
	set, err := s.loadBanks(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	b, err := set.bank(name)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, "banks", "bankrow", http.StatusOK, bankRow{s.newPage(w, r), b})
}

// handleEntryToggle switches one entry from its row on its bank's page.
func (s *server) handleEntryToggle(w http.ResponseWriter, r *http.Request) {
	on, err := formBool(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	offset, err := intParam(r.PostForm, "offset", 0, 1<<30)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	id, err := pathID(r, "entry")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	set, err := s.loadBanks(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	name := r.PathValue("name")
	e, ok := set.entry(id)
	if !ok || e.Bank != name {
		s.pageError(w, r, fmt.Errorf("entry %d of bank %q: %w", id, name, store.ErrNotFound))
		return
	}
	if err := s.switchEntry(r, e, on); err != nil {
		s.pageError(w, r, err)
		return
	}
	if !fragment(r) {
		http.Redirect(w, r, bankPageURL(name, offset)+"#entry-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return
	}
	e.Enabled = on
	s.render(w, "bank", "entryrow", http.StatusOK, entryRow{s.newPage(w, r), e, offset})
}

func (s *server) apiBanks(w http.ResponseWriter, r *http.Request) {
	set, err := s.loadBanks(r.Context())
	if err != nil {
		s.apiError(w, err)
		return
	}
	banks := set.banks
	if banks == nil {
		banks = []bankView{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"banks": banks})
}

func (s *server) apiBank(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	offset, err := intParam(v, "offset", 0, 1<<30)
	if err != nil {
		s.apiError(w, err)
		return
	}
	limit, err := intParam(v, "limit", maxEntryPage, maxEntryPage)
	if err != nil {
		s.apiError(w, err)
		return
	}
	set, err := s.loadBanks(r.Context())
	if err != nil {
		s.apiError(w, err)
		return
	}
	b, err := set.bank(r.PathValue("name"))
	if err != nil {
		s.apiError(w, err)
		return
	}
	es, total := set.entriesOf(b.Name, offset, limit)
	out := make([]entryView, len(es))
	for i, e := range es {
		out[i] = viewEntry(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"bank": b, "entries": out, "total": total, "offset": offset})
}

// readEnabled parses the body of the API's enable calls: {"enabled": bool}.
func readEnabled(body io.Reader) (bool, error) {
	var req struct {
		Enabled *bool `json:"enabled"`
	}
	dec := json.NewDecoder(io.LimitReader(body, 1<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return false, fmt.Errorf("%w body: want {\"enabled\": true or false}: %w", errBadParam, err)
	}
	if req.Enabled == nil {
		return false, fmt.Errorf("%w body: no \"enabled\" field", errBadParam)
	}
	return *req.Enabled, nil
}

func (s *server) apiBankEnabled(w http.ResponseWriter, r *http.Request) {
	on, err := readEnabled(r.Body)
	if err != nil {
		s.apiError(w, err)
		return
	}
	name := r.PathValue("name")
	if err := s.switchBank(r, name, on); err != nil {
		s.apiError(w, err)
		return
	}
	set, err := s.loadBanks(r.Context())
	if err != nil {
		s.apiError(w, err)
		return
	}
	b, err := set.bank(name)
	if err != nil {
		s.apiError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"bank": b})
}

func (s *server) apiEntryEnabled(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "entry")
	if err != nil {
		s.apiError(w, err)
		return
	}
	on, err := readEnabled(r.Body)
	if err != nil {
		s.apiError(w, err)
		return
	}
	if s.Banks == nil {
		s.apiError(w, errNoBanks)
		return
	}
	es, err := s.Banks.Entries(r.Context(), []int64{id})
	if err != nil {
		s.apiError(w, err)
		return
	}
	if len(es) == 0 {
		s.apiError(w, fmt.Errorf("entry %d: %w", id, store.ErrNotFound))
		return
	}
	if err := s.switchEntry(r, es[0], on); err != nil {
		s.apiError(w, err)
		return
	}
	es[0].Enabled = on
	writeJSON(w, http.StatusOK, map[string]any{"entry": viewEntry(es[0])})
}

// switchBank turns a bank on or off and records its settings before and
// after in the audit trail, as `raqib bank enable|disable` does.
func (s *server) switchBank(r *http.Request, name string, on bool) error {
	if s.Banks == nil {
		return errNoBanks
	}
	before, err := s.Banks.Bank(r.Context(), name)
	if err != nil {
		return err
	}
	if err := s.Banks.SetBankEnabled(r.Context(), name, on); err != nil {
		return err
	}
	after := before
	after.Enabled = on
	return s.record(r, enableAction("bank", on), name, before, after)
}

// switchEntry turns bank entry e on or off and records it before and after
// in the audit trail, as the entry BANK#ID.
func (s *server) switchEntry(r *http.Request, e hashbank.Entry, on bool) error {
	if err := s.Banks.SetEntryEnabled(r.Context(), e.ID, on); err != nil {
		return err
	}
	after := e
	after.Enabled = on
	return s.record(r, enableAction("bank.entry", on), fmt.Sprintf("%s#%d", e.Bank, e.ID), e, after)
}

// enableAction names the audit action of switching what on or off.
func enableAction(what string, on bool) string {
	if on {
		return what + ".enable"
	}
	return what + ".disable"
}
