package sqlite

import (
	"context"
	"testing"

	"github.com/raqib-project/raqib/internal/store/storetest"
)

func TestReferrals(t *testing.T) {
	storetest.RunReferrals(t, func(t *testing.T) storetest.ReferralStore {
		s, err := Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestReferralsTwoStores claims through two stores on one file at once, as
// two raqib processes on one data directory would.
func TestReferralsTwoStores(t *testing.T) {
	dir := t.TempDir()
	var stores []storetest.ReferralStore
	for range 2 {
		s, err := Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	storetest.ClaimReferralsConcurrently(t, stores, 4, 30)
}
