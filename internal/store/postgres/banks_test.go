package postgres

import (
	"context"
	"errors"
	"fmt"
	"github.com/raqib-project/raqib/internal/signaltype"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

func pdqEntry(bank string, i int) hashbank.Entry {
	return hashbank.Entry{Bank: bank, Type: signaltype.PDQ.Name, Hash: fmt.Sprintf("%064x", i), Enabled: true}
}

func newBank(tb testing.TB, s *Store, name string) {
	tb.Helper()
	if err := s.PutBank(context.Background(), hashbank.Bank{Name: name, Kind: hashbank.KindOwn, Enabled: true, Distance: 31}); err != nil {
		tb.Fatal(err)
	}
}

func TestAddEntries(t *testing.T) {
	url := testURL(t)
	ctx := context.Background()
	upper := pdqEntry("own", 0xabc)
	upper.Hash = strings.ToUpper(upper.Hash)
	tests := []struct {
		name    string
		stored  []hashbank.Entry
		add     []hashbank.Entry
		fails   bool
		wantErr error    // when fails, the error expected, if a sentinel
		want    []string // hashes added, in order
		total   int      // entries stored afterwards
	}{
		{
			name:  "new entries keep their order",
			add:   []hashbank.Entry{pdqEntry("own", 3), pdqEntry("own", 1), pdqEntry("own", 2)},
			want:  []string{pdqEntry("", 3).Hash, pdqEntry("", 1).Hash, pdqEntry("", 2).Hash},
			total: 3,
		},
		{
			name:  "a hash repeated in one call is stored once",
			add:   []hashbank.Entry{pdqEntry("own", 1), pdqEntry("own", 1)},
			want:  []string{pdqEntry("", 1).Hash},
			total: 1,
		},
		{
			name:   "upper-case hex matches the stored canonical hash",
			stored: []hashbank.Entry{pdqEntry("own", 0xabc)},
			add:    []hashbank.Entry{upper, pdqEntry("own", 1)},
			want:   []string{pdqEntry("", 1).Hash},
			total:  2,
		},
		{
			name:   "the same hash in another bank is another entry",
			stored: []hashbank.Entry{pdqEntry("own", 1)},
			add:    []hashbank.Entry{pdqEntry("other", 1)},
			want:   []string{pdqEntry("", 1).Hash},
			total:  2,
		},
		{
			name:    "a bad label rejects the whole call",
			fails:   true,
			add:     []hashbank.Entry{pdqEntry("own", 1), {Bank: "own", Type: signaltype.MD5.Name, Hash: fmt.Sprintf("%032x", 1), Labels: []post.Label{"nope"}}},
			wantErr: hashbank.ErrBadLabel,
		},
		{
			name:    "a text hash that is not UTF-8 rejects the whole call",
			fails:   true,
			add:     []hashbank.Entry{pdqEntry("own", 1), {Bank: "own", Type: signaltype.TextSHA256.Name, Hash: "\xff"}},
			wantErr: ErrBadEntry,
		},
		{
			name:   "an unknown bank rejects the whole call",
			stored: []hashbank.Entry{pdqEntry("own", 1)},
			add:    []hashbank.Entry{pdqEntry("own", 2), pdqEntry("missing", 3)},
			fails:  true,
			total:  1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openSchema(t, url, newSchema(t, url))
			newBank(t, s, "own")
			newBank(t, s, "other")
			if _, err := s.AddEntries(ctx, tc.stored); err != nil {
				t.Fatal(err)
			}
			added, err := s.AddEntries(ctx, tc.add)
			switch {
			case !tc.fails && err != nil:
				t.Fatal(err)
			case tc.fails && err == nil:
				t.Fatal("no error")
			case tc.fails && tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			var got []string
			for _, e := range added {
				got = append(got, e.Hash)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("added %v, want %v", got, tc.want)
			}
			_, es, err := s.LoadBanks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != tc.total {
				t.Errorf("%d entries stored, want %d", len(es), tc.total)
			}
			for i, e := range added {
				if j := slices.IndexFunc(es, func(s hashbank.Entry) bool { return s.ID == e.ID }); j < 0 || es[j].Hash != e.Hash {
					t.Errorf("added entry %d (id %d) is not stored as returned", i, e.ID)
				}
			}
		})
	}
}

// TestAddEntriesConcurrently imports overlapping lists, larger than a chunk,
// from two stores at once in opposite orders: without the import lock they
// would deadlock on each other's uncommitted hashes.
func TestAddEntriesConcurrently(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	workers := []*Store{openSchema(t, url, schema), openSchema(t, url, schema)}
	newBank(t, workers[0], "own")
	const total, overlap = addChunk + 1000, 1000
	per := (total + overlap) / 2
	var (
		wg    sync.WaitGroup
		added = make([][]hashbank.Entry, len(workers))
		errs  = make([]error, len(workers))
	)
	for w, s := range workers {
		wg.Go(func() {
			es := make([]hashbank.Entry, per)
			for j := range es {
				i := j
				if w == 1 {
					i = total - 1 - j
				}
				es[j] = pdqEntry("own", i)
			}
			added[w], errs[w] = s.AddEntries(context.Background(), es)
		})
	}
	wg.Wait()
	ids := map[int64]bool{}
	for w := range workers {
		if errs[w] != nil {
			t.Fatalf("worker %d: %v", w, errs[w])
		}
		for _, e := range added[w] {
			ids[e.ID] = true
		}
	}
	if n := len(added[0]) + len(added[1]); n != total || len(ids) != total {
		t.Errorf("added %d entries with %d distinct ids, want %d", n, len(ids), total)
	}
	_, es, err := workers[1].LoadBanks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != total || !slices.IsSortedFunc(es, func(a, b hashbank.Entry) int { return int(a.ID - b.ID) }) {
		t.Errorf("loaded %d entries (sorted by id: %v), want %d", len(es), slices.IsSortedFunc(es, func(a, b hashbank.Entry) int { return int(a.ID - b.ID) }), total)
	}
}

func TestBankStamp(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	ctx := context.Background()
	s := openSchema(t, url, schema)
	newBank(t, s, "own")
	added, err := s.AddEntries(ctx, []hashbank.Entry{pdqEntry("own", 1), pdqEntry("own", 2)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetEntryEnabled(ctx, added[1].ID, false); err != nil {
		t.Fatal(err)
	}
	// outside changes the banks from a session whose search_path does not
	// hold the schema, as an operator's psql would.
	outside := func(sql string) func() error {
		return func() error {
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			_, err = conn.Exec(ctx, fmt.Sprintf(sql, pgx.Identifier{schema}.Sanitize()))
			return err
		}
	}
	tests := []struct {
		name    string
		do      func() error
		changes bool
	}{
		{"saving a bank unchanged", func() error {
			return s.PutBank(ctx, hashbank.Bank{Name: "own", Kind: hashbank.KindOwn, Enabled: true, Distance: 31})
		}, false},
		{"changing a bank's distance", func() error {
			return s.PutBank(ctx, hashbank.Bank{Name: "own", Kind: hashbank.KindOwn, Enabled: true, Distance: 20})
		}, true},
		{"adding a bank", func() error {
			return s.PutBank(ctx, hashbank.Bank{Name: "partner", Kind: hashbank.KindPartner, Enabled: true})
		}, true},
		{"adding entries", func() error {
			_, err := s.AddEntries(ctx, []hashbank.Entry{pdqEntry("own", 3)})
			return err
		}, true},
		{"re-adding stored entries", func() error {
			_, err := s.AddEntries(ctx, []hashbank.Entry{pdqEntry("own", 3), pdqEntry("own", 1)})
			return err
		}, false},
		{"switching one entry off and another on", func() error {
			if err := s.SetEntryEnabled(ctx, added[0].ID, false); err != nil {
				return err
			}
			return s.SetEntryEnabled(ctx, added[1].ID, true)
		}, true},
		{"switching a bank off", func() error { return s.SetBankEnabled(ctx, "own", false) }, true},
		{"switching a missing entry", func() error {
			if err := s.SetEntryEnabled(ctx, -1, false); !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("switching a missing entry: %v, want ErrNotFound", err)
			}
			return nil
		}, false},
		{"a failed import", func() error {
			if _, err := s.AddEntries(ctx, []hashbank.Entry{pdqEntry("own", 4), pdqEntry("missing", 5)}); err == nil {
				return errors.New("an entry of a missing bank was stored")
			}
			return nil
		}, false},
		{"saving posts", func() error {
			_, err := s.SavePosts(ctx, []post.Post{sample("1", "نص")})
			return err
		}, false},
		{"an entry changed outside raqib", outside(`UPDATE %s.bank_entries SET case_ref = 'C-9' WHERE id = 1`), true},
		{"an entry deleted outside raqib", outside(`DELETE FROM %s.bank_entries WHERE id = 1`), true},
		{"reopening the store", func() error {
			s.Close()
			s = openSchema(t, url, schema)
			return nil
		}, false},
	}
	before, err := s.BankStamp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); err != nil {
				t.Fatal(err)
			}
			after, err := s.BankStamp(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if changed := after != before; changed != tc.changes {
				t.Errorf("stamp %q -> %q: changed %v, want %v", before, after, changed, tc.changes)
			}
			before = after
		})
	}
	other := openTest(t)
	if stamp, err := other.BankStamp(ctx); err != nil || stamp == before {
		t.Errorf("a new schema's stamp %q (err %v) repeats %q", stamp, err, before)
	}
}

func TestLoadBanksRoundTrip(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	created := time.Date(2023, 5, 6, 7, 8, 9, 0, time.FixedZone("AST", 3*3600))
	b := hashbank.Bank{Name: "شريك", Kind: hashbank.KindPartner, Distance: 12, Source: "وحدة الرصد", CreatedAt: created}
	if err := s.PutBank(ctx, b); err != nil {
		t.Fatal(err)
	}
	e := hashbank.Entry{Bank: b.Name, Type: signaltype.TextSHA256.Name, Hash: "نص-مجزأ", Labels: []post.Label{post.Recruitment, post.Incitement},
		Entity: "isis", Source: "قناة", Provenance: hashbank.Provenance{SharedBy: "جهة", CaseRef: "C-2"}, AddedAt: created}
	if _, err := s.AddEntries(ctx, []hashbank.Entry{e}); err != nil {
		t.Fatal(err)
	}
	banks, es, err := s.LoadBanks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.CreatedAt = created.UTC()
	if len(banks) != 1 || banks[0] != b {
		t.Errorf("banks %+v, want %+v", banks, b)
	}
	if len(es) != 1 {
		t.Fatalf("%d entries, want 1", len(es))
	}
	got := es[0]
	e.ID, e.AddedAt = got.ID, created.UTC()
	if !reflect.DeepEqual(got, e) {
		t.Errorf("entry %+v, want %+v", got, e)
	}
}

func TestStreamStopsOnError(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	var ps []post.Post
	for i := range 3 {
		p := sample(fmt.Sprint(i), "نص")
		p.Media[0].SetHash(post.Hash{Type: "pdq", Value: fmt.Sprintf("%064x", i)})
		ps = append(ps, p)
	}
	if _, err := s.SavePosts(ctx, ps); err != nil {
		t.Fatal(err)
	}
	errStop := errors.New("stop")
	tests := []struct {
		name string
		scan func(fn func() error) error
	}{
		{"media hashes", func(fn func() error) error {
			return s.MediaHashes(ctx, signaltype.PDQ.Name, func(string, string) error { return fn() })
		}},
		{"post texts", func(fn func() error) error {
			return s.PostTexts(ctx, false, func(string, string, post.Label) error { return fn() })
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := tc.scan(func() error {
				calls++
				return errStop
			})
			if err != errStop || calls != 1 {
				t.Errorf("err %v after %d calls, want the callback's error after 1", err, calls)
			}
			// The connection is usable again.
			calls = 0
			if err := tc.scan(func() error { calls++; return nil }); err != nil || calls != 3 {
				t.Errorf("second scan: %d calls, err %v", calls, err)
			}
		})
	}
	if err := s.MediaHashes(ctx, "crc32", func(string, string) error { return nil }); !errors.Is(err, signaltype.ErrUnknown) {
		t.Errorf("unknown algorithm: %v, want signaltype.ErrUnknown", err)
	}
}

func BenchmarkAddEntries(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	newBank(b, s, "own")
	const n = 20_000
	b.ReportAllocs()
	start := time.Now()
	for it := 0; b.Loop(); it++ {
		es := make([]hashbank.Entry, n)
		for i := range es {
			es[i] = pdqEntry("own", it*n+i)
			es[i].Labels = []post.Label{post.Propaganda}
		}
		if _, err := s.AddEntries(ctx, es); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "entries/s")
}
