package sqlite

import (
	"testing"

	"github.com/raqib-project/raqib/internal/store/storetest"
)

func TestReferrals(t *testing.T) {
	storetest.RunReferrals(t, func(t *testing.T) storetest.ReferralStore { return openTest(t) })
}

// TestReferralsTwoStores claims through two stores on one file at once, as
// two raqib processes on one data directory would.
func TestReferralsTwoStores(t *testing.T) {
	var stores []storetest.ReferralStore
	for _, s := range openSameDir(t, 2) {
		stores = append(stores, s)
	}
	storetest.ClaimReferralsConcurrently(t, stores, 4, 30)
}
