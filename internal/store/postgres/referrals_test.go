package postgres

import (
	"testing"

	"github.com/raqib-project/raqib/internal/store/storetest"
)

func TestReferrals(t *testing.T) {
	testURL(t)
	storetest.RunReferrals(t, func(t *testing.T) storetest.ReferralStore { return openTest(t) })
}

// TestReferralsTwoStores claims through two stores on one schema at once,
// as two workers would.
func TestReferralsTwoStores(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	storetest.ClaimReferralsConcurrently(t, []storetest.ReferralStore{openSchema(t, url, schema), openSchema(t, url, schema)}, 4, 30)
}
