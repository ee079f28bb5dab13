package sqlite

import (
	"context"
	"testing"

	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/storetest"
)

func TestLiveness(t *testing.T) {
	storetest.RunLiveness(t, func(t *testing.T) store.Liveness {
		s, err := Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestLivenessTwoStores claims through two stores on one file at once, as
// two raqib processes on one data directory would.
func TestLivenessTwoStores(t *testing.T) {
	dir := t.TempDir()
	var stores []store.Liveness
	for range 2 {
		s, err := Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	storetest.ClaimConcurrently(t, stores, 3, 200)
}
