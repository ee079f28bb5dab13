package hashbank

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
)

// Errors of the import formats.
var (
	ErrBadHeader    = errors.New("bad header")
	ErrMissingField = errors.New("missing field")
	ErrBadTime      = errors.New("bad time")
	ErrBadRecord    = errors.New("bad record")
	ErrMixedTypes   = errors.New("the format holds one signal type per file")
	ErrBadCell      = errors.New("cell cannot be written")
)

// RowError is one rejected record of an imported file: the reader skips
// it, keeps the other records, and returns every RowError it met.
type RowError struct {
	File  string
	Line  int
	Field string
	Err   error
}

func (e *RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: %s: %v", e.File, e.Line, e.Field, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// Entry fields a table column can fill.
const (
	fHash       = "hash"
	fType       = "type"
	fLabels     = "labels"
	fEntity     = "entity"
	fSource     = "source"
	fProvenance = "provenance" // shared_by|shared_at|case_ref in one cell
	fSharedBy   = "shared_by"
	fSharedAt   = "shared_at"
	fCaseRef    = "case_ref"
	fIgnored    = ""
)

// tableFormat describes one CSV dialect: how header names map to fields.
type tableFormat struct {
	name     string
	aliases  map[string]string
	required []string
	// headerless gives the fields of a file without a header row, which is
	// recognised by a hash in its first cell; nil means a header is required.
	headerless []string
	// typ is the signal type of files without a type column; a column that
	// the registry names as a type's HashColumn (pdq_hash) sets it too.
	typ    string
	header []string
	// typedHeader replaces the hash column of header with the HashColumn of
	// the type written.
	typedHeader bool
}

// csvFormat is raqib's own exchange format: a header row with hash, algo
// (the signal type's name; "type" is accepted too), labels (separated by
// '|'), entity, source and provenance, the latter written
// "shared_by|shared_at|case_ref" with shared_at in RFC 3339.
var csvFormat = tableFormat{
	name: "csv",
	aliases: map[string]string{
		"hash": fHash, "algo": fType, "type": fType, "labels": fLabels, "entity": fEntity,
		"source": fSource, "provenance": fProvenance,
	},
	required: []string{fHash, fType},
	header:   []string{"hash", "algo", "labels", "entity", "source", "provenance"},
}

// hmaFormat reads hash lists in the shape of Meta's Hasher-Matcher-
// Actioner and ThreatExchange exports. No sample export was at hand, so
// the column names are our reading of those tools' vocabulary: a hash
// column named by its signal type's HashColumn in the registry (pdq_hash,
// vpdq_hash), or hash or signal_value holding PDQ unless a signal_type
// column names the type; quality, which is ignored; our optional labels,
// entity, source, shared_by, shared_at and case_ref (content_id and
// bank_content_id are read as the case reference). Unknown columns are an
// error, so a real export that differs is noticed rather than misread. A
// file whose first cell is a PDQ hash has no header and is read as
// pdq_hash[,quality].
var hmaFormat = tableFormat{
	name: "hma",
	aliases: map[string]string{
		"hash": fHash, "signal_value": fHash, "quality": fIgnored,
		"signal_type": fType, "labels": fLabels, "entity": fEntity, "source": fSource,
		"shared_by": fSharedBy, "shared_at": fSharedAt, "case_ref": fCaseRef,
		"content_id": fCaseRef, "bank_content_id": fCaseRef,
	},
	required:    []string{fHash},
	headerless:  []string{fHash, fIgnored},
	typ:         signaltype.PDQ.Name,
	header:      []string{"pdq_hash", "labels", "entity", "source", "shared_by", "shared_at", "case_ref"},
	typedHeader: true,
}

// ReadCSV reads raqib's CSV format (see WriteCSV) into entries of bank,
// enabled. file names the input in errors.
func ReadCSV(r io.Reader, file, bank string) ([]Entry, []*RowError, error) {
	return csvFormat.read(r, file, bank)
}

// ReadHMACSV reads a hash CSV from HMA or ThreatExchange tooling.
func ReadHMACSV(r io.Reader, file, bank string) ([]Entry, []*RowError, error) {
	return hmaFormat.read(r, file, bank)
}

// WriteCSV writes entries in raqib's CSV format.
func WriteCSV(w io.Writer, entries []Entry) error { return csvFormat.write(w, entries) }

// WriteHMACSV writes entries of one signal type that has an HMA hash
// column (PDQ, vPDQ) as an HMA-style CSV; other types, and a mix of types,
// are an error.
func WriteHMACSV(w io.Writer, entries []Entry) error { return hmaFormat.write(w, entries) }

func (f tableFormat) read(r io.Reader, file, bank string) ([]Entry, []*RowError, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	var (
		cols    []string
		typ     string
		entries []Entry
		bad     []*RowError
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			bad = append(bad, &RowError{File: file, Line: pe.Line, Err: fmt.Errorf("%w: %w", ErrBadRecord, pe.Err)})
			continue
		}
		if err != nil {
			return entries, bad, fmt.Errorf("read %s: %w", file, err)
		}
		line, _ := cr.FieldPos(0)
		if cols == nil {
			if cols, typ, err = f.columns(rec); err != nil {
				return nil, nil, fmt.Errorf("%s:%d: %w", file, line, err)
			}
			if !slices.Equal(cols, f.headerless) || !f.looksLikeHash(rec[0]) {
				continue
			}
		}
		e := Entry{Bank: bank, Type: typ, Enabled: true}
		if rerr := f.fill(&e, cols, rec); rerr != nil {
			rerr.File, rerr.Line = file, line
			bad = append(bad, rerr)
			continue
		}
		entries = append(entries, e)
	}
	if cols == nil {
		return nil, nil, fmt.Errorf("%s: %w: empty file", file, ErrBadHeader)
	}
	return entries, bad, nil
}

// looksLikeHash reports whether s is a value of the format's default type,
// which marks a headerless file.
func (f tableFormat) looksLikeHash(s string) bool {
	_, _, err := signaltype.Canonical(f.typ, s)
	return err == nil
}

// column maps a header name to a field, and to a signal type when the name
// is a type's hash column.
func (f tableFormat) column(name string) (field, typ string, ok bool) {
	if field, ok := f.aliases[name]; ok {
		return field, "", true
	}
	if f.typedHeader {
		for _, t := range signaltype.All() {
			if t.HashColumn != "" && t.HashColumn == name {
				return fHash, t.Name, true
			}
		}
	}
	return "", "", false
}

// columns maps a header row to fields, or picks the headerless layout, and
// returns the signal type the header implies.
func (f tableFormat) columns(rec []string) ([]string, string, error) {
	if f.headerless != nil && len(rec) > 0 && f.looksLikeHash(rec[0]) {
		return f.headerless, f.typ, nil
	}
	cols := make([]string, len(rec))
	typ := f.typ
	for i, name := range rec {
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
		field, t, ok := f.column(name)
		if !ok {
			return nil, "", fmt.Errorf("%w: unknown column %q for the %s format", ErrBadHeader, name, f.name)
		}
		if field != fIgnored && slices.Contains(cols[:i], field) {
			return nil, "", fmt.Errorf("%w: column %q given twice", ErrBadHeader, name)
		}
		if t != "" {
			typ = t
		}
		cols[i] = field
	}
	for _, req := range f.required {
		if !slices.Contains(cols, req) {
			return nil, "", fmt.Errorf("%w: no %s column", ErrBadHeader, req)
		}
	}
	return cols, typ, nil
}

func (f tableFormat) fill(e *Entry, cols, rec []string) *RowError {
	for i, field := range cols {
		v := ""
		if i < len(rec) {
			v = strings.TrimSpace(rec[i])
		}
		if err := setField(e, field, v); err != nil {
			return &RowError{Field: field, Err: err}
		}
	}
	if e.Hash == "" {
		return &RowError{Field: fHash, Err: ErrMissingField}
	}
	if err := e.Validate(); err != nil {
		field := fHash
		if errors.Is(err, ErrBadLabel) {
			field = fLabels
		} else if errors.Is(err, signaltype.ErrUnknown) {
			field = fType
		}
		return &RowError{Field: field, Err: err}
	}
	return nil
}

func setField(e *Entry, field, v string) error {
	var err error
	switch field {
	case fHash:
		e.Hash = v
	case fType:
		if v != "" {
			e.Type = strings.ToLower(v)
		}
	case fLabels:
		e.Labels, err = parseLabels(v)
	case fEntity:
		e.Entity = v
	case fSource:
		e.Source = v
	case fSharedBy:
		e.Provenance.SharedBy = v
	case fSharedAt:
		e.Provenance.SharedAt, err = parseTime(v)
	case fCaseRef:
		e.Provenance.CaseRef = v
	case fProvenance:
		e.Provenance, err = parseProvenance(v)
	}
	return err
}

func parseLabels(v string) ([]post.Label, error) {
	if v == "" {
		return nil, nil
	}
	var out []post.Label
	for _, s := range strings.Split(v, "|") {
		l := post.Label(strings.ToLower(strings.TrimSpace(s)))
		if !l.Valid() {
			return nil, fmt.Errorf("%w: %q", ErrBadLabel, s)
		}
		out = append(out, l)
	}
	return out, nil
}

// parseTime accepts RFC 3339 and plain dates (lists shared by hand often
// carry only the day).
func parseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %q is neither RFC 3339 nor YYYY-MM-DD", ErrBadTime, v)
}

func parseProvenance(v string) (Provenance, error) {
	if v == "" {
		return Provenance{}, nil
	}
	parts := strings.Split(v, "|")
	if len(parts) != 3 {
		return Provenance{}, fmt.Errorf("%w: want shared_by|shared_at|case_ref, got %d parts", ErrBadRecord, len(parts))
	}
	at, err := parseTime(strings.TrimSpace(parts[1]))
	return Provenance{SharedBy: strings.TrimSpace(parts[0]), SharedAt: at, CaseRef: strings.TrimSpace(parts[2])}, err
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func formatLabels(ls []post.Label) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = string(l)
	}
	return strings.Join(s, "|")
}

// cell returns the text of one field; a '|' inside a value that is written
// '|'-separated would not read back, so it is refused.
func cell(e Entry, field string) (string, error) {
	noPipe := func(name, v string) (string, error) {
		if strings.Contains(v, "|") {
			return "", fmt.Errorf("entry %d: %w: %s %q contains '|'", e.ID, ErrBadCell, name, v)
		}
		return v, nil
	}
	switch field {
	case fHash:
		return e.Hash, nil
	case fType:
		return e.Type, nil
	case fLabels:
		return formatLabels(e.Labels), nil
	case fEntity:
		return e.Entity, nil
	case fSource:
		return e.Source, nil
	case fSharedBy:
		return e.Provenance.SharedBy, nil
	case fSharedAt:
		return formatTime(e.Provenance.SharedAt), nil
	case fCaseRef:
		return e.Provenance.CaseRef, nil
	case fProvenance:
		p := e.Provenance
		if p == (Provenance{}) {
			return "", nil
		}
		by, err := noPipe("shared_by", p.SharedBy)
		if err != nil {
			return "", err
		}
		ref, err := noPipe("case_ref", p.CaseRef)
		if err != nil {
			return "", err
		}
		return by + "|" + formatTime(p.SharedAt) + "|" + ref, nil
	}
	return "", nil
}

// writeHeader returns the header to write entries with: for a typed
// header, the hash column is that of the entries' one type.
func (f tableFormat) writeHeader(entries []Entry) ([]string, error) {
	if !f.typedHeader {
		return f.header, nil
	}
	typ := f.typ
	if len(entries) > 0 {
		typ = entries[0].Type
	}
	t, err := signaltype.Lookup(typ)
	if err != nil || t.HashColumn == "" {
		return nil, fmt.Errorf("write %s: %w: type %q has no hash column", f.name, ErrMixedTypes, typ)
	}
	for _, e := range entries {
		if e.Type != t.Name {
			return nil, fmt.Errorf("write %s: entry %d: %w: %q after %q", f.name, e.ID, ErrMixedTypes, e.Type, t.Name)
		}
	}
	return append([]string{t.HashColumn}, f.header[1:]...), nil
}

func (f tableFormat) write(w io.Writer, entries []Entry) error {
	header, err := f.writeHeader(entries)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write %s: %w", f.name, err)
	}
	row := make([]string, len(header))
	for _, e := range entries {
		for i, name := range header {
			field, _, _ := f.column(name)
			v, err := cell(e, field)
			if err != nil {
				return fmt.Errorf("write %s: %w", f.name, err)
			}
			row[i] = v
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write %s: %w", f.name, err)
	}
	return nil
}
