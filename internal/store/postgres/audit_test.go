package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/raqib-project/raqib/internal/audit"
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
	stores := []*Store{openSchema(t, url, schema), openSchema(t, url, schema)}
	ctx := context.Background()
	const goroutines, each = 4, 20
	var wg sync.WaitGroup
	errs := make(chan error, len(stores)*goroutines)
	for i, s := range stores {
		for g := range goroutines {
			wg.Go(func() {
				for n := range each {
					e := audit.Entry{Actor: fmt.Sprintf("store%d", i), Source: fmt.Sprintf("worker:%d", g), Action: "test.append", Subject: fmt.Sprint(n)}
					if _, err := s.Append(ctx, e); err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, s := range stores {
		if r, err := audit.Verify(s.AuditLog(ctx)); err != nil || r.Entries != int64(len(stores)*goroutines*each) {
			t.Errorf("store %d: Verify = %+v, %v; want %d entries", i, r, err, len(stores)*goroutines*each)
		}
	}
}
