package postgres

import (
	"testing"

	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/storetest"
)

func TestLiveness(t *testing.T) {
	testURL(t)
	storetest.RunLiveness(t, func(t *testing.T) store.Liveness { return openTest(t) })
}

// TestLivenessTwoStores claims through two stores on one schema at once,
// as two raqib workers would: SKIP LOCKED gives each item to one.
func TestLivenessTwoStores(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	storetest.ClaimConcurrently(t, []store.Liveness{openSchema(t, url, schema), openSchema(t, url, schema)}, 3, 200)
}
