package sqlite

import (
	"context"
	"testing"

	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/storetest"
)

func TestAudit(t *testing.T) {
	storetest.RunAudit(t, func(t *testing.T) store.Auditor { return openTest(t) }, tamper)
}

// tamper checks that the triggers refuse stmt, then drops them and runs
// it.
func tamper(t *testing.T, a store.Auditor, stmt string) {
	t.Helper()
	ctx := context.Background()
	db := a.(*Store).db
	if _, err := db.ExecContext(ctx, stmt); err == nil {
		t.Fatalf("%s: the append-only triggers let it through", stmt)
	}
	for _, q := range []string{`DROP TRIGGER audit_no_update`, `DROP TRIGGER audit_no_delete`, stmt} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestAuditTwoStores appends through two stores on one file at once, as two
// raqib processes on one data directory would: BEGIN IMMEDIATE keeps one
// chain.
func TestAuditTwoStores(t *testing.T) {
	var stores []store.Auditor
	for _, s := range openSameDir(t, 2) {
		stores = append(stores, s)
	}
	storetest.AppendConcurrently(t, stores, 4, 20)
}
