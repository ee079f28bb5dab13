package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/hashbank"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/signaltype"
	"github.com/raqib-project/raqib/internal/store"
)

// BankStore is a store that also keeps hash banks.
type BankStore interface {
	store.Store
	store.Banks
}

// RunBanks runs the hash-bank suite against a fresh, empty store.
func RunBanks(t *testing.T, open func(t *testing.T) BankStore) {
	ctx := context.Background()
	s := open(t)
	bank := hashbank.Bank{Name: "own", Kind: hashbank.KindOwn, Enabled: true, Distance: 31, Source: "analysts"}
	if err := s.PutBank(ctx, bank); err != nil {
		t.Fatal(err)
	}
	pdqHash := "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
	entries := []hashbank.Entry{
		{Bank: "own", Type: signaltype.PDQ.Name, Hash: pdqHash, Labels: []post.Label{post.Propaganda}, Entity: "isis", Enabled: true,
			Provenance: hashbank.Provenance{SharedBy: "unit", SharedAt: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), CaseRef: "C-1"}},
		{Bank: "own", Type: signaltype.SHA256.Name, Hash: "AB" + pdqHash[2:], Enabled: true},
		// Two minutes of video: a value of 10 KB, beyond what a B-tree
		// index entry may hold in PostgreSQL.
		{Bank: "own", Type: "VPDQ", Hash: longVPDQ(pdqHash, 120), Enabled: true},
	}
	added, err := s.AddEntries(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 3 || added[0].ID == 0 || added[0].ID == added[1].ID || added[2].Type != "vpdq" {
		t.Fatalf("added %+v", added)
	}
	if again, err := s.AddEntries(ctx, entries); err != nil || len(again) != 0 {
		t.Errorf("re-adding the same entries added %d (err %v), want 0", len(again), err)
	}
	if _, err := s.AddEntries(ctx, []hashbank.Entry{{Bank: "own", Type: "pdq", Hash: "xyz"}}); err == nil {
		t.Error("a bad hash was stored")
	}
	if err := s.SetEntryEnabled(ctx, added[1].ID, false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetBankEnabled(ctx, "nope", false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("disabling a missing bank: %v, want ErrNotFound", err)
	}
	banks, es, err := s.LoadBanks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(banks) != 1 || banks[0].Name != "own" || banks[0].Distance != 31 || !banks[0].Enabled {
		t.Errorf("banks %+v", banks)
	}
	if len(es) != 3 || es[2].Hash != added[2].Hash || es[0].Provenance.CaseRef != "C-1" || es[0].Labels[0] != post.Propaganda || es[1].Enabled ||
		es[1].Hash != "ab"+pdqHash[2:] || !es[0].Provenance.SharedAt.Equal(entries[0].Provenance.SharedAt) {
		t.Errorf("entries %+v", es)
	}
	byID, err := s.Entries(ctx, []int64{added[2].ID, added[0].ID, -1})
	if err != nil || len(byID) != 2 || byID[0].ID != added[0].ID || byID[1].Type != "vpdq" {
		t.Errorf("entries by id: %+v, %v", byID, err)
	}
	if b, err := s.Bank(ctx, "own"); err != nil || b.Source != "analysts" || b.Kind != hashbank.KindOwn {
		t.Errorf("bank %+v, %v", b, err)
	}
	if _, err := s.Bank(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing bank: %v, want ErrNotFound", err)
	}
	// The matcher loads what the store returns.
	m := hashbank.NewMatcher()
	if err := m.Load(banks, es); err != nil {
		t.Fatal(err)
	}

	p := sample("1", "صورة")
	p.Media = []post.Media{{Kind: "photo", Hashes: []post.Hash{{Type: "pdq", Value: pdqHash, Quality: 90}, {Type: "sha256", Value: "ff"}}},
		{Kind: "video", Hashes: []post.Hash{{Type: "vpdq", Value: added[2].Hash}}}}
	if _, err := s.SavePosts(ctx, []post.Post{p}); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := s.MediaHashes(ctx, signaltype.PDQ.Name, func(h, key string) error {
		got = append(got, h+" "+key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != pdqHash+" "+p.Key() {
		t.Errorf("media hashes %v", got)
	}
	if err := s.MediaHashes(ctx, "crc32", func(string, string) error { return nil }); !errors.Is(err, signaltype.ErrUnknown) {
		t.Errorf("unknown type: %v, want ErrUnknown", err)
	}
	for _, h := range []post.Hash{p.Media[0].Hashes[1], p.Media[1].Hashes[0]} {
		if keys, err := s.HashPosts(ctx, h.Type, h.Value, 5); err != nil || len(keys) != 1 || keys[0] != p.Key() {
			t.Errorf("posts with %s hash: %v, %v", h.Type, keys, err)
		}
	}
	if keys, err := s.HashPosts(ctx, "sha256", "fe", 5); err != nil || len(keys) != 0 {
		t.Errorf("posts with an unknown hash: %v, %v", keys, err)
	}

	bad := sample("2", "نص مخالف")
	bad.Decision = post.Decision{Label: post.Propaganda, Violating: true}
	if _, err := s.SavePosts(ctx, []post.Post{bad}); err != nil {
		t.Fatal(err)
	}
	for _, only := range []bool{false, true} {
		var keys []string
		if err := s.PostTexts(ctx, only, func(key, norm string, label post.Label) error {
			if norm == "" {
				t.Errorf("post %s: empty text", key)
			}
			keys = append(keys, key+"="+string(label))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 2, true: 1}[only]; len(keys) != want || only && keys[0] != bad.Key()+"=propaganda" {
			t.Errorf("post texts (violating only %v): %v", only, keys)
		}
	}

	before, err := s.BankStamp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetBankEnabled(ctx, "own", false); err != nil {
		t.Fatal(err)
	}
	after, err := s.BankStamp(ctx)
	if err != nil || after == before {
		t.Errorf("bank stamp %q -> %q (err %v): switching a bank must change it", before, after, err)
	}
	// Switching one entry off and another on changes it too.
	if err := s.SetEntryEnabled(ctx, added[0].ID, false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetEntryEnabled(ctx, added[1].ID, true); err != nil {
		t.Fatal(err)
	}
	if swapped, err := s.BankStamp(ctx); err != nil || swapped == after {
		t.Errorf("bank stamp unchanged after swapping which entry is enabled (err %v)", err)
	}
}

// longVPDQ is a vPDQ value of n frames, each a variation of h in its last byte.
func longVPDQ(h string, n int) string {
	frames := make([]string, n)
	for i := range frames {
		frames[i] = fmt.Sprintf("%d,90,%s%02x,%d.000", i, h[:62], i, i)
	}
	return strings.Join(frames, ";")
}
