// Package audit is raqib's tamper-evident audit trail: an append-only log
// of who changed or read what, when and from where, in which every entry
// commits to the hash of the one before it. Changing, inserting or
// deleting an entry in the middle breaks the chain, and Verify finds it.
//
// The hash of an entry is the SHA-256, written as 64 lower-case hex
// digits, of this encoding, so that an outside verifier can recompute it:
//
//	"raqib-audit-v1"
//	then, for each field in this order:
//	  seq, at, actor, source, action, subject, before, after, prev_hash
//	the field's length in bytes as an 8-byte big-endian unsigned integer,
//	followed by its bytes.
//
// seq is the decimal Seq; at is the time in Unix microseconds (UTC), in
// decimal; before and after are the JSON bytes exactly as stored (compacted
// by Seal; empty when absent); prev_hash is the previous entry's hash in
// hex, or Genesis for the first entry. The length prefixes make the
// encoding unambiguous: no two different entries encode to the same bytes.
//
// The chain proves that the entries up to its head were not changed since
// they were written; it cannot tell that the newest entries were cut off.
// Keeping the head hash that `raqib audit verify` prints somewhere else
// closes that gap.
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Genesis is the PrevHash of the first entry of every chain.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// domain starts every encoding, so that an audit hash never equals a hash
// of other data, and a later encoding can change the version.
const domain = "raqib-audit-v1"

var (
	// ErrBadEntry is returned (wrapped, saying why) for an entry that
	// cannot be appended.
	ErrBadEntry = errors.New("bad audit entry")
	// ErrBroken is returned (wrapped in a *BrokenError) when the chain
	// does not verify.
	ErrBroken = errors.New("audit chain broken")
)

// Entry is one audited event.
type Entry struct {
	Seq     int64     `json:"seq"`     // 1, 2, 3 ... in order of appending; assigned by the store
	At      time.Time `json:"at"`      // UTC, to the microsecond
	Actor   string    `json:"actor"`   // who: a user, or the OS user for the CLI
	Source  string    `json:"source"`  // where from: "cli:<user>@<host>", an IP, a worker
	Action  string    `json:"action"`  // what was done, e.g. "bank.import", "ingest.run"
	Subject string    `json:"subject"` // what it was done to: a bank name, a source id, a case id
	// Before and After are the state the action changed, as JSON; either
	// may be empty.
	Before   json.RawMessage `json:"before,omitempty"`
	After    json.RawMessage `json:"after,omitempty"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// Sum returns the hash of e over every field but Hash, as the package
// documentation describes.
func (e Entry) Sum() string {
	h := sha256.New()
	h.Write([]byte(domain))
	var n [8]byte
	for _, f := range [][]byte{
		[]byte(strconv.FormatInt(e.Seq, 10)),
		[]byte(strconv.FormatInt(e.At.UnixMicro(), 10)),
		[]byte(e.Actor), []byte(e.Source), []byte(e.Action), []byte(e.Subject),
		e.Before, e.After,
		[]byte(e.PrevHash),
	} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Seal makes e the entry that follows prev (the zero Entry for the first):
// it sets Seq, PrevHash and Hash, takes At (now when zero) to UTC
// microseconds and compacts Before and After. Stores call it while they
// hold the log's write lock.
func Seal(prev, e Entry, now time.Time) (Entry, error) {
	if e.Actor == "" || e.Action == "" {
		return Entry{}, fmt.Errorf("%w: actor and action are required", ErrBadEntry)
	}
	// Every store must keep the text fields byte for byte, and PostgreSQL
	// text holds neither invalid UTF-8 nor NUL.
	for _, f := range []string{e.Actor, e.Source, e.Action, e.Subject} {
		if !utf8.ValidString(f) || strings.ContainsRune(f, 0) {
			return Entry{}, fmt.Errorf("%w: %q of %s is not valid UTF-8 text", ErrBadEntry, f, e.Action)
		}
	}
	var err error
	if e.Before, err = compact(e.Before); err != nil {
		return Entry{}, fmt.Errorf("%w: before of %s %q: %w", ErrBadEntry, e.Action, e.Subject, err)
	}
	if e.After, err = compact(e.After); err != nil {
		return Entry{}, fmt.Errorf("%w: after of %s %q: %w", ErrBadEntry, e.Action, e.Subject, err)
	}
	if e.At.IsZero() {
		e.At = now
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Seq = prev.Seq + 1
	e.PrevHash = prev.Hash
	if prev.Seq == 0 {
		e.PrevHash = Genesis
	}
	e.Hash = e.Sum()
	return e, nil
}

// ParseSince reads a lower time bound as people write it: an RFC 3339
// time, a date (UTC midnight), or a duration back from now ("24h"). Empty
// is the zero time.
func ParseSince(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q: want a time (2026-03-01T09:00:00Z), a date (2026-03-01) or a duration back from now (24h)", v)
}

// Marshal returns v as the JSON of an entry's Before or After; nil leaves
// it empty.
func Marshal(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// compact returns j without insignificant space, nil when empty.
func compact(j json.RawMessage) (json.RawMessage, error) {
	if len(j) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, j); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Problem says how an entry breaks the chain.
type Problem string

// The ways an entry can break the chain.
const (
	HashMismatch Problem = "hash mismatch" // a field or the hash was changed
	BrokenLink   Problem = "broken link"   // PrevHash is not the previous entry's hash
	SeqGap       Problem = "gap in seq"    // entries before this one are missing
)

// BrokenError names the first entry that breaks the chain.
type BrokenError struct {
	Seq     int64
	Problem Problem
	Detail  string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit entry %d: %s: %s", e.Seq, e.Problem, e.Detail)
}

// Unwrap makes errors.Is(err, ErrBroken) true.
func (e *BrokenError) Unwrap() error { return ErrBroken }

// Result is what a verified chain holds.
type Result struct {
	Entries int64  // how many entries verified
	Head    string // the hash of the last entry; Genesis for an empty log
}

// Verify walks entries, which must come in Seq order, and checks that each
// one's hash matches its fields and that it links to the one before. It
// keeps only the previous entry, so a log of any length verifies in
// constant memory. The first broken entry stops it with a *BrokenError;
// an error of entries itself is returned as it is.
func Verify(entries iter.Seq2[Entry, error]) (Result, error) {
	return VerifyFrom(Result{Head: Genesis}, entries)
}

// VerifyFrom continues Verify after the first prev.Entries entries, which
// verified to prev.Head: entries must start with the entry after them. It
// checks only what was appended since, so it cannot see a change to the
// prefix; Verify can.
func VerifyFrom(prev Result, entries iter.Seq2[Entry, error]) (Result, error) {
	r := prev
	prevSeq := prev.Entries
	for e, err := range entries {
		if err != nil {
			return r, err
		}
		switch {
		case e.Seq > prevSeq+1:
			return r, &BrokenError{e.Seq, SeqGap, fmt.Sprintf("follows entry %d: entries %d to %d are missing", prevSeq, prevSeq+1, e.Seq-1)}
		case e.Seq != prevSeq+1:
			return r, &BrokenError{e.Seq, SeqGap, fmt.Sprintf("follows entry %d: want seq %d", prevSeq, prevSeq+1)}
		case e.PrevHash != r.Head:
			return r, &BrokenError{e.Seq, BrokenLink, fmt.Sprintf("prev_hash %s, but the previous entry's hash is %s", e.PrevHash, r.Head)}
		}
		if sum := e.Sum(); sum != e.Hash {
			return r, &BrokenError{e.Seq, HashMismatch, fmt.Sprintf("stored hash %s, but its fields hash to %s", e.Hash, sum)}
		}
		prevSeq, r.Head = e.Seq, e.Hash
		r.Entries++
	}
	return r, nil
}
