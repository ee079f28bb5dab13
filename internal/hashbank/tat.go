package hashbank

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
)

// tatRecord is our reading of a Tech Against Terrorism hash list: a JSON
// array of objects, one per hash. We had no formal schema or sample of the
// lists, so this is our design: each field accepts several likely names:
//
//	hash            hash, hash_value
//	hash type       hash_type, type, algorithm: a shared signal type of the
//	                registry (md5, sha256, pdq, vpdq) or an alias (any case)
//	classification  classification, labels, category: a taxonomy label or an
//	                array of them (case, spaces and hyphens are forgiven)
//	entity          group, entity, organisation, organization
//	source          source, platform, url
//	provenance      shared_by, date_added (or added, created_at; RFC 3339 or
//	                YYYY-MM-DD), reference (or case_ref, id; a number is
//	                accepted)
//
// Other fields are ignored. WriteTATJSON writes the first name of each.
type tatRecord struct {
	Hash           string          `json:"hash"`
	HashType       string          `json:"hash_type"`
	Classification json.RawMessage `json:"classification,omitempty"`
	Group          string          `json:"group,omitempty"`
	Source         string          `json:"source,omitempty"`
	SharedBy       string          `json:"shared_by,omitempty"`
	DateAdded      string          `json:"date_added,omitempty"`
	Reference      string          `json:"reference,omitempty"`
}

var tatAliases = map[string][]string{
	"hash": {"hash", "hash_value"}, "hash_type": {"hash_type", "type", "algorithm"},
	"classification": {"classification", "labels", "category"},
	"group":          {"group", "entity", "organisation", "organization"},
	"source":         {"source", "platform", "url"}, "shared_by": {"shared_by"},
	"date_added": {"date_added", "added", "created_at"}, "reference": {"reference", "case_ref", "id"},
}

// ReadTATJSON reads a Tech Against Terrorism style hash list into entries of
// bank, enabled; the bank's Source says the list came from TAT. Malformed JSON stops the reading (the position after it is
// unknown); an element with bad content is skipped and reported.
func ReadTATJSON(r io.Reader, file, bank string) ([]Entry, []*RowError, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", file, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	lineAt := func(off int64) int {
		for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
			off++
		}
		return 1 + bytes.Count(data[:off], []byte("\n"))
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, nil, fmt.Errorf("%s:%d: %w: want a JSON array of hash objects", file, lineAt(0), ErrBadRecord)
	}
	var (
		entries []Entry
		bad     []*RowError
	)
	for dec.More() {
		line := lineAt(dec.InputOffset())
		var obj map[string]json.RawMessage
		if err := dec.Decode(&obj); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				bad = append(bad, &RowError{File: file, Line: line, Err: fmt.Errorf("%w: element is not an object", ErrBadRecord)})
				continue
			}
			return entries, bad, fmt.Errorf("%s:%d: %w: %w", file, lineAt(dec.InputOffset()), ErrBadRecord, err)
		}
		e, field, err := tatEntry(obj, bank)
		if err != nil {
			bad = append(bad, &RowError{File: file, Line: line, Field: field, Err: err})
			continue
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil {
		return entries, bad, fmt.Errorf("%s:%d: %w: %w", file, lineAt(dec.InputOffset()), ErrBadRecord, err)
	}
	return entries, bad, nil
}

// tatEntry converts one object; on error it names the field at fault.
func tatEntry(obj map[string]json.RawMessage, bank string) (Entry, string, error) {
	str := func(field string) (string, error) {
		for _, k := range tatAliases[field] {
			if raw, ok := obj[k]; ok {
				var s string
				if err := json.Unmarshal(raw, &s); err == nil {
					return strings.TrimSpace(s), nil
				}
				// Lists often number their records: a numeric id is a
				// fine reference, a numeric hash is not.
				var n json.Number
				if field == "reference" && json.Unmarshal(raw, &n) == nil {
					return n.String(), nil
				}
				return "", fmt.Errorf("%w: want a string", ErrBadRecord)
			}
		}
		return "", nil
	}
	e := Entry{Bank: bank, Enabled: true}
	fields := []struct {
		name string
		dst  *string
	}{
		{"hash", &e.Hash}, {"hash_type", &e.Type}, {"group", &e.Entity}, {"source", &e.Source},
		{"shared_by", &e.Provenance.SharedBy}, {"reference", &e.Provenance.CaseRef},
	}
	for _, f := range fields {
		v, err := str(f.name)
		if err != nil {
			return e, f.name, err
		}
		*f.dst = v
	}
	if e.Hash == "" {
		return e, "hash", ErrMissingField
	}
	if e.Type == "" {
		return e, "hash_type", ErrMissingField
	}
	if err := shared(e.Type); err != nil {
		return e, "hash_type", err
	}
	date, err := str("date_added")
	if err != nil {
		return e, "date_added", err
	}
	if e.Provenance.SharedAt, err = parseTime(date); err != nil {
		return e, "date_added", err
	}
	if e.Labels, err = tatLabels(obj); err != nil {
		return e, "classification", err
	}
	if err := e.Validate(); err != nil {
		if errors.Is(err, signaltype.ErrUnknown) {
			return e, "hash_type", err
		}
		return e, "hash", err
	}
	return e, "", nil
}

// shared checks that typ is a type partner lists carry.
func shared(typ string) error {
	t, err := signaltype.Lookup(typ)
	if err != nil {
		return err
	}
	if !t.Shared {
		return fmt.Errorf("%w: %q is not shared in partner lists", signaltype.ErrUnknown, typ)
	}
	return nil
}

func tatLabels(obj map[string]json.RawMessage) ([]post.Label, error) {
	var raw json.RawMessage
	for _, k := range tatAliases["classification"] {
		if v, ok := obj[k]; ok {
			raw = v
			break
		}
	}
	if raw == nil || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		var one string
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, fmt.Errorf("%w: want a string or an array of strings", ErrBadRecord)
		}
		list = []string{one}
	}
	var out []post.Label
	for _, s := range list {
		l := post.Label(strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s))))
		if !l.Valid() {
			return nil, fmt.Errorf("%w: %q", ErrBadLabel, s)
		}
		out = append(out, l)
	}
	return out, nil
}

// WriteTATJSON writes entries as a TAT-style JSON array; text hashes, which
// the format does not carry, are an error.
func WriteTATJSON(w io.Writer, entries []Entry) error {
	recs := make([]tatRecord, 0, len(entries))
	for _, e := range entries {
		if err := shared(e.Type); err != nil {
			return fmt.Errorf("write tat json: entry %d: %w", e.ID, err)
		}
		rec := tatRecord{Hash: e.Hash, HashType: e.Type, Group: e.Entity, Source: e.Source,
			SharedBy: e.Provenance.SharedBy, DateAdded: formatTime(e.Provenance.SharedAt), Reference: e.Provenance.CaseRef}
		if len(e.Labels) > 0 {
			b, err := json.Marshal(e.Labels)
			if err != nil {
				return fmt.Errorf("write tat json: %w", err)
			}
			rec.Classification = b
		}
		recs = append(recs, rec)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(recs); err != nil {
		return fmt.Errorf("write tat json: %w", err)
	}
	return nil
}
