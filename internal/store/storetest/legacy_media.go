package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/raqib-project/raqib/internal/signaltype"
)

// LegacyMedia is a post stored when media hashes were md5, sha256 and pdq
// columns and post documents carried them as fields of those names, with
// a bank entry of the same time; migration tests write it with the schema
// of the time and check the result with CheckLegacyMedia.
var LegacyMedia = struct {
	Key, MD5, SHA256, PDQ, Doc string
}{
	Key:    "telegram:c:5",
	MD5:    "e83d401468f0570c0fb14f2b82992c6d",
	SHA256: "a1e8c6951745aff1a03d9a4484907afd961d5f0a3bfb5949b76e0c1bbe7c5dce",
	PDQ:    "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
	Doc: `{"platform":"telegram","id":"5","kind":"message","channel":{"platform":"telegram","id":"c"},"author":{"platform":"telegram","id":"a"},` +
		`"text":"x","media":[{"kind":"photo","md5":"e83d401468f0570c0fb14f2b82992c6d","sha256":"a1e8c6951745aff1a03d9a4484907afd961d5f0a3bfb5949b76e0c1bbe7c5dce",` +
		`"pdq":"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22","pdq_quality":93}],"origin":{"format":"telegram"}}`,
}

// CheckLegacyMedia checks a store migrated from LegacyMedia: the hashes are
// found by type and by value, the document reads them back as typed
// hashes, and the bank entry (of bank "own", type pdq) kept its type.
func CheckLegacyMedia(t *testing.T, s BankStore) {
	t.Helper()
	ctx := context.Background()
	lm := LegacyMedia
	for typ, want := range map[string]string{"md5": lm.MD5, "sha256": lm.SHA256, "pdq": lm.PDQ} {
		var got []string
		err := s.MediaHashes(ctx, typ, func(v, key string) error {
			got = append(got, v+" "+key)
			return nil
		})
		if err != nil || len(got) != 1 || got[0] != want+" "+lm.Key {
			t.Errorf("media hashes of %s: %v, %v", typ, got, err)
		}
		if keys, err := s.HashPosts(ctx, typ, want, 5); err != nil || len(keys) != 1 || keys[0] != lm.Key {
			t.Errorf("posts with %s %s: %v, %v", typ, want, keys, err)
		}
	}
	p, _, err := s.Post(ctx, lm.Key)
	if err != nil {
		t.Fatal(err)
	}
	if m := p.Media[0]; m.Hash("pdq") != lm.PDQ || m.Hash("md5") != lm.MD5 || m.Hashes[2].Quality != 93 {
		t.Errorf("stored document read as %+v", m)
	}
	_, es, err := s.LoadBanks(ctx)
	if err != nil || len(es) != 1 || es[0].Type != "pdq" || es[0].Hash != lm.PDQ {
		t.Errorf("bank entries %+v, %v", es, err)
	}
	// The uniqueness of entries survived the migration.
	again := es[0]
	again.ID = 0
	if added, err := s.AddEntries(ctx, append(es[:0:0], again)); err != nil || len(added) != 0 {
		t.Errorf("re-adding the migrated entry: %d added, %v", len(added), err)
	}
	if err := s.MediaHashes(ctx, "crc32", nil); !errors.Is(err, signaltype.ErrUnknown) {
		t.Errorf("unknown type: %v", err)
	}
}
