package postgres

import (
	"context"
	"testing"

	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/storetest"
)

func TestAudit(t *testing.T) {
	testURL(t)
	storetest.RunAudit(t, func(t *testing.T) store.Auditor { return openTest(t) }, tamper)
}

// tamper checks that the trigger refuses stmt, then drops it and runs it.
func tamper(t *testing.T, a store.Auditor, stmt string) {
	t.Helper()
	ctx := context.Background()
	pool := a.(*Store).pool
	if _, err := pool.Exec(ctx, stmt); err == nil {
		t.Fatalf("%s: the append-only trigger let it through", stmt)
	}
	for _, q := range []string{`DROP TRIGGER audit_no_change ON audit`, stmt} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestAuditTwoStores appends through two stores on one schema at once, as
// two raqib processes would: the advisory lock keeps one chain.
func TestAuditTwoStores(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	storetest.AppendConcurrently(t, []store.Auditor{openSchema(t, url, schema), openSchema(t, url, schema)}, 4, 20)
}
