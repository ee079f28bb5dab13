package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/audit"
	"github.com/raqib-project/raqib/internal/store"
)

// Tamper runs stmt on the store's database behind its back, lifting
// whatever keeps raqib itself from changing the audit table, as someone
// with access to the database could.
type Tamper func(t *testing.T, s store.Auditor, stmt string)

// RunAudit runs the audit-trail suite against fresh, empty stores made by
// open.
func RunAudit(t *testing.T, open func(t *testing.T) store.Auditor, tamper Tamper) {
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC)
	sample := []audit.Entry{
		{At: at, Actor: "amina", Source: "cli:amina@desk", Action: "bank.import", Subject: "own",
			Before: json.RawMessage(`{ "entries": 0 }`), After: json.RawMessage(`{"entries": 3, "name": "بنك"}`)},
		{At: at.Add(time.Hour), Actor: "omar", Source: "10.0.0.7", Action: "bank.disable", Subject: "own",
			Before: json.RawMessage(`{"enabled":true}`), After: json.RawMessage(`{"enabled":false}`)},
		{At: at.Add(2 * time.Hour), Actor: "amina", Source: "worker:w1", Action: "ingest.run", Subject: "telegram:abc"},
	}
	fill := func(t *testing.T, s store.Auditor) []audit.Entry {
		t.Helper()
		var out []audit.Entry
		for _, e := range sample {
			got, err := s.Append(ctx, e)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, got)
		}
		return out
	}

	t.Run("append and read back", func(t *testing.T) {
		s := open(t)
		stored := fill(t, s)
		prev := audit.Genesis
		for i, e := range stored {
			if e.Seq != int64(i+1) || e.PrevHash != prev || e.Hash != e.Sum() || len(e.Hash) != 64 {
				t.Errorf("entry %d: seq %d prev %s hash %s, want seq %d chained to %s", i, e.Seq, e.PrevHash, e.Hash, i+1, prev)
			}
			prev = e.Hash
		}
		if !stored[0].At.Equal(at.Truncate(time.Microsecond)) || string(stored[0].Before) != `{"entries":0}` {
			t.Errorf("first entry at %v before %s, want the time to the microsecond and compact JSON", stored[0].At, stored[0].Before)
		}
		all, err := s.AuditEntries(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(stored) {
			t.Fatalf("listed %d entries, want %d", len(all), len(stored))
		}
		for i := range all {
			if a, b := fmt.Sprintf("%+v", all[i]), fmt.Sprintf("%+v", stored[i]); a != b {
				t.Errorf("entry %d read back as\n%s\nwant\n%s", i+1, a, b)
			}
		}
		r, err := audit.Verify(s.AuditLog(ctx))
		if err != nil || r.Entries != 3 || r.Head != stored[2].Hash {
			t.Errorf("Verify = %+v, %v; want 3 entries, head %s", r, err, stored[2].Hash)
		}
	})

	t.Run("filter", func(t *testing.T) {
		s := open(t)
		fill(t, s)
		for _, tc := range []struct {
			name string
			f    store.AuditFilter
			want []int64
		}{
			{"all", store.AuditFilter{}, []int64{1, 2, 3}},
			{"actor", store.AuditFilter{Actor: "amina"}, []int64{1, 3}},
			{"since", store.AuditFilter{Since: at.Add(30 * time.Minute)}, []int64{2, 3}},
			{"since exactly", store.AuditFilter{Since: at.Add(time.Hour)}, []int64{2, 3}},
			{"after", store.AuditFilter{After: 1}, []int64{2, 3}},
			{"limit", store.AuditFilter{Limit: 2}, []int64{1, 2}},
			{"actor since", store.AuditFilter{Actor: "amina", Since: at.Add(time.Minute)}, []int64{3}},
			{"nobody", store.AuditFilter{Actor: "nobody"}, nil},
			{"action", store.AuditFilter{Action: "bank.disable"}, []int64{2}},
			{"subject prefix", store.AuditFilter{Subject: "tele"}, []int64{3}},
			{"subject exactly", store.AuditFilter{Subject: "own"}, []int64{1, 2}},
			{"subject longer than any", store.AuditFilter{Subject: "telegram:abcd"}, nil},
			{"actor action", store.AuditFilter{Actor: "amina", Action: "ingest.run"}, []int64{3}},
			{"last", store.AuditFilter{Last: true, Limit: 2}, []int64{2, 3}},
			{"last of actor", store.AuditFilter{Actor: "amina", Last: true, Limit: 1}, []int64{3}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				es, err := s.AuditEntries(ctx, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, e := range es {
					got = append(got, e.Seq)
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("seqs %v, want %v", got, tc.want)
				}
			})
		}
	})

	t.Run("bad entries are refused", func(t *testing.T) {
		s := open(t)
		for _, e := range []audit.Entry{
			{Action: "bank.enable"},
			{Actor: "amina"},
			{Actor: "amina", Action: "bank.enable", After: json.RawMessage(`{"enabled":`)},
			{Actor: "amina", Action: "bank.enable", Subject: "own\x00"},
		} {
			if _, err := s.Append(ctx, e); !errors.Is(err, audit.ErrBadEntry) {
				t.Errorf("Append(%+v) = %v, want ErrBadEntry", e, err)
			}
		}
		if r, err := audit.Verify(s.AuditLog(ctx)); err != nil || r.Entries != 0 || r.Head != audit.Genesis {
			t.Errorf("Verify after refusals = %+v, %v; want an empty chain", r, err)
		}
	})

	t.Run("concurrent appends make one chain", func(t *testing.T) {
		AppendConcurrently(t, []store.Auditor{open(t)}, 8, 25)
	})

	for _, tc := range []struct {
		name    string
		stmt    string
		seq     int64
		problem audit.Problem
	}{
		{"changed field", `UPDATE audit SET actor = 'mallory' WHERE seq = 2`, 2, audit.HashMismatch},
		{"changed json", `UPDATE audit SET after_json = before_json WHERE seq = 2`, 2, audit.HashMismatch},
		{"rehashed entry", `UPDATE audit SET prev_hash = hash WHERE seq = 3`, 3, audit.BrokenLink},
		{"deleted middle entry", `DELETE FROM audit WHERE seq = 2`, 3, audit.SeqGap},
		{"deleted first entry", `DELETE FROM audit WHERE seq = 1`, 2, audit.SeqGap},
	} {
		t.Run("tampered: "+tc.name, func(t *testing.T) {
			s := open(t)
			fill(t, s)
			tamper(t, s, tc.stmt)
			_, err := audit.Verify(s.AuditLog(ctx))
			var be *audit.BrokenError
			if !errors.As(err, &be) || be.Seq != tc.seq || be.Problem != tc.problem {
				t.Fatalf("Verify = %v, want %s at entry %d", err, tc.problem, tc.seq)
			}
		})
	}
}

// AppendConcurrently appends each entries from goroutines goroutines on
// every one of stores, which share one database, at once, and checks that
// each store sees one valid chain of them all.
func AppendConcurrently(t *testing.T, stores []store.Auditor, goroutines, each int) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, len(stores)*goroutines)
	for i, s := range stores {
		for g := range goroutines {
			wg.Go(func() {
				for n := range each {
					e := audit.Entry{Actor: fmt.Sprintf("store%d", i), Source: fmt.Sprintf("worker:%d", g), Action: "test.append", Subject: fmt.Sprint(n)}
					if _, err := s.Append(ctx, e); err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := int64(len(stores) * goroutines * each)
	for i, s := range stores {
		if r, err := audit.Verify(s.AuditLog(ctx)); err != nil || r.Entries != want {
			t.Errorf("store %d: Verify = %+v, %v; want %d entries", i, r, err, want)
		}
	}
}
