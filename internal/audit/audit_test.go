package audit

import (
	"encoding/json"
	"errors"
	"iter"
	"slices"
	"testing"
	"time"
)

var at = time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC)

// chain seals es one after the other.
func chain(t *testing.T, es ...Entry) []Entry {
	t.Helper()
	var prev Entry
	out := make([]Entry, 0, len(es))
	for _, e := range es {
		var err error
		if prev, err = Seal(prev, e, at); err != nil {
			t.Fatal(err)
		}
		out = append(out, prev)
	}
	return out
}

func sample(t *testing.T) []Entry {
	return chain(t,
		Entry{At: at, Actor: "amina", Source: "cli:amina@desk", Action: "bank.import", Subject: "own",
			Before: json.RawMessage(`{ "entries": 0 }`), After: json.RawMessage(`{"entries": 3, "name": "بنك"}`)},
		Entry{Actor: "omar", Action: "bank.enable", Subject: "own"},
		Entry{Actor: "amina", Source: "worker:1", Action: "ingest.run", Subject: "telegram:1"},
	)
}

// TestKnownHashes pins the encoding: the hashes were computed by
// testdata/verify.py, an implementation of the documented encoding that
// shares no code with this package.
func TestKnownHashes(t *testing.T) {
	es := sample(t)
	for i, want := range []string{
		"25f40057a73d2342a2e8a0453e52bfe28f4d15016b89de05bba803926ad03bbc",
		"9c06fda1eabd9826c8ec3d99c63b74b5874e9c59b5f49c1ab797de703f7a96e8",
	} {
		if es[i].Hash != want {
			t.Errorf("entry %d hash %s, want %s", i+1, es[i].Hash, want)
		}
	}
	if es[0].PrevHash != Genesis || es[1].PrevHash != es[0].Hash || es[2].Seq != 3 {
		t.Errorf("chain %+v does not link from Genesis", es)
	}
}

func TestSumCoversEveryField(t *testing.T) {
	base := sample(t)[0]
	for _, tc := range []struct {
		name   string
		change func(*Entry)
	}{
		{"seq", func(e *Entry) { e.Seq++ }},
		{"at", func(e *Entry) { e.At = e.At.Add(time.Microsecond) }},
		{"actor", func(e *Entry) { e.Actor += "x" }},
		{"source", func(e *Entry) { e.Source = "" }},
		{"action", func(e *Entry) { e.Action = "bank.export" }},
		{"subject", func(e *Entry) { e.Subject = "partner" }},
		{"before", func(e *Entry) { e.Before = json.RawMessage(`{"entries":1}`) }},
		{"after", func(e *Entry) { e.After = nil }},
		{"prev hash", func(e *Entry) { e.PrevHash = base.Hash }},
		// Without length prefixes these two would encode alike.
		{"boundary between fields", func(e *Entry) { e.Actor, e.Source = e.Actor+e.Source[:4], e.Source[4:] }},
		{"before and after swapped", func(e *Entry) { e.Before, e.After = e.After, e.Before }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := base
			tc.change(&e)
			if e.Sum() == base.Hash {
				t.Errorf("hash unchanged after changing %s", tc.name)
			}
		})
	}
}

func TestSealRefuses(t *testing.T) {
	for _, e := range []Entry{
		{Action: "bank.enable"},
		{Actor: "amina"},
		{Actor: "amina", Action: "bank.enable", Before: json.RawMessage(`{`)},
		{Actor: "amina", Action: "bank.enable", After: json.RawMessage(`nope`)},
		{Actor: "amina\xff", Action: "bank.enable"},
		{Actor: "amina", Action: "bank.enable", Subject: "own\x00"},
	} {
		if _, err := Seal(Entry{}, e, at); !errors.Is(err, ErrBadEntry) {
			t.Errorf("Seal(%+v) = %v, want ErrBadEntry", e, err)
		}
	}
}

func entries(es []Entry, err error) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
		if err != nil {
			yield(Entry{}, err)
		}
	}
}

func TestVerify(t *testing.T) {
	errRead := errors.New("disk gone")
	for _, tc := range []struct {
		name    string
		change  func([]Entry) []Entry
		err     error
		seq     int64
		problem Problem
	}{
		{name: "intact", change: func(es []Entry) []Entry { return es }},
		{name: "empty", change: func([]Entry) []Entry { return nil }},
		{name: "changed field", change: func(es []Entry) []Entry { es[1].Subject = "other"; return es }, seq: 2, problem: HashMismatch},
		{name: "changed hash", change: func(es []Entry) []Entry { es[1].Hash = es[1].Hash[:63] + "0"; return es }, seq: 2, problem: HashMismatch},
		{name: "changed json", change: func(es []Entry) []Entry { es[0].After = json.RawMessage(`{"entries":4}`); return es }, seq: 1, problem: HashMismatch},
		{name: "changed and rehashed", change: func(es []Entry) []Entry {
			es[1].Actor = "mallory"
			es[1].Hash = es[1].Sum()
			return es
		}, seq: 3, problem: BrokenLink},
		{name: "first not from genesis", change: func(es []Entry) []Entry {
			es[0].PrevHash = es[2].Hash
			es[0].Hash = es[0].Sum()
			return es
		}, seq: 1, problem: BrokenLink},
		{name: "middle deleted", change: func(es []Entry) []Entry { return append(es[:1], es[2]) }, seq: 3, problem: SeqGap},
		{name: "first deleted", change: func(es []Entry) []Entry { return es[1:] }, seq: 2, problem: SeqGap},
		{name: "repeated", change: func(es []Entry) []Entry { return append(es[:2], es[1], es[2]) }, seq: 2, problem: SeqGap},
		{name: "read error", change: func(es []Entry) []Entry { return es }, err: errRead},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es := tc.change(sample(t))
			r, err := Verify(entries(es, tc.err))
			var be *BrokenError
			switch {
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("Verify = %v, want %v", err, tc.err)
				}
			case tc.problem == "":
				want := Genesis
				if len(es) > 0 {
					want = es[len(es)-1].Hash
				}
				if err != nil || r.Entries != int64(len(es)) || r.Head != want {
					t.Fatalf("Verify = %+v, %v; want %d entries, head %s", r, err, len(es), want)
				}
			case !errors.As(err, &be) || !errors.Is(err, ErrBroken) || be.Seq != tc.seq || be.Problem != tc.problem:
				t.Fatalf("Verify = %v, want %s at entry %d", err, tc.problem, tc.seq)
			case r.Entries != tc.seq-1 && tc.problem != SeqGap:
				t.Errorf("verified %d entries before the break at %d", r.Entries, tc.seq)
			}
		})
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"", time.Time{}, true},
		{"2026-03-01T09:00:00Z", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), true},
		{"2026-03-01", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), true},
		{"24h", now.Add(-24 * time.Hour), true},
		{"-1h", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	} {
		got, err := ParseSince(tt.in, now)
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("ParseSince(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestVerifyFrom(t *testing.T) {
	es := chain(t, Entry{Actor: "amina", Action: "post.read", Subject: "1"}, Entry{Actor: "amina", Action: "post.read", Subject: "2"},
		Entry{Actor: "omar", Action: "login", Subject: "omar"}, Entry{Actor: "omar", Action: "post.raw", Subject: "3"}, Entry{Actor: "amina", Action: "logout", Subject: "amina"})
	seq := func(es []Entry) iter.Seq2[Entry, error] {
		return func(yield func(Entry, error) bool) {
			for _, e := range es {
				if !yield(e, nil) {
					return
				}
			}
		}
	}
	full, err := Verify(seq(es))
	if err != nil {
		t.Fatal(err)
	}
	head, err := Verify(seq(es[:3]))
	if err != nil {
		t.Fatal(err)
	}
	rest, err := VerifyFrom(head, seq(es[3:]))
	if err != nil || rest != full {
		t.Fatalf("VerifyFrom = %+v, %v; want %+v", rest, err, full)
	}
	bad := slices.Clone(es)
	bad[4].Subject = "changed"
	if _, err := VerifyFrom(head, seq(bad[3:])); !errors.Is(err, ErrBroken) {
		t.Errorf("a changed new entry: %v", err)
	}
	if _, err := VerifyFrom(head, seq(es[4:])); !errors.Is(err, ErrBroken) {
		t.Errorf("a missing new entry: %v", err)
	}
}
