package sqlite

import (
	"testing"

	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/storetest"
)

func TestLiveness(t *testing.T) {
	storetest.RunLiveness(t, func(t *testing.T) store.Liveness { return openTest(t) })
}

// TestLivenessTwoStores claims through two stores on one file at once, as
// two raqib processes on one data directory would.
func TestLivenessTwoStores(t *testing.T) {
	var stores []store.Liveness
	for _, s := range openSameDir(t, 2) {
		stores = append(stores, s)
	}
	storetest.ClaimLivenessConcurrently(t, stores, 3, 200)
}
