package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/post"
)

// removalHandler serves a store with three referred items: an X post
// removed after 30 min, a Telegram post removed after 2 h, and an X post
// still online.
func removalHandler(t *testing.T) http.Handler {
	t.Helper()
	ctx := context.Background()
	st := tempStore(t)
	at := testNow.Add(-48 * time.Hour)
	items := []liveness.Item{
		{URL: "https://x.com/a/status/1", Platform: post.X, Channel: liveness.Email, Label: post.Propaganda, Tier: post.TierOfficial, ReferredAt: at},
		{URL: "https://t.me/s/c/2", Platform: post.Telegram, Channel: liveness.Webhook, Label: post.Recruitment, Tier: post.TierOfficial, ReferredAt: at},
		{URL: "https://x.com/a/status/3", Platform: post.X, Channel: liveness.Bundle, Label: post.Propaganda, Tier: post.TierPromotional, ReferredAt: at},
	}
	if _, err := st.Track(ctx, items, at); err != nil {
		t.Fatal(err)
	}
	due, err := st.ClaimDue(ctx, testNow, time.Hour, 10)
	if err != nil || len(due) != 3 {
		t.Fatalf("ClaimDue = %d, %v", len(due), err)
	}
	for i, d := range []time.Duration{30 * time.Minute, 2 * time.Hour} {
		due[i].State, due[i].RemovedAt = liveness.Removed, due[i].ReferredAt.Add(d)
		due[i].ConfirmedAt = due[i].RemovedAt.Add(5 * time.Minute)
	}
	if _, err := st.RecordChecks(ctx, due); err != nil {
		t.Fatal(err)
	}
	return New(Options{Authenticate: as(auth.Auditor), Store: st, Version: "test", Now: func() time.Time { return testNow }})
}

func TestRemovalPage(t *testing.T) {
	h := removalHandler(t)
	for _, tt := range []struct {
		lang string
		want []string
	}{
		{"ar", []string{`dir="rtl"`, "زمن الإزالة لدى المنصات", "المنصة: <bdi>", "بريد إلكتروني", "<svg", "66.7%", "33.3%", "2.0 h"}},
		{"en", []string{`dir="ltr"`, "Time to removal by platform", "Platform: <bdi>", "e-mail", "<svg", "66.7%", "33.3%", "2.0 h", "30 min"}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			w := get(t, h, "/removal?lang="+tt.lang)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d:\n%s", w.Code, w.Body)
			}
			if m := inlineCode.FindString(w.Body.String()); m != "" {
				t.Errorf("inline style or script, which the CSP blocks: %q", m)
			}
			for _, s := range tt.want {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("page lacks %q", s)
				}
			}
		})
	}
	if w := get(t, h, "/removal?from=yesterday"); w.Code != http.StatusBadRequest {
		t.Errorf("bad from: status %d, want 400", w.Code)
	}
	if w := get(t, h, "/removal?lang=en&from=2000-01-01&to=2000-01-02"); !strings.Contains(w.Body.String(), "No items referred in this period.") {
		t.Errorf("an empty period does not say so:\n%s", w.Body)
	}
}

func TestRemovalAPI(t *testing.T) {
	h := removalHandler(t)
	w := get(t, h, "/api/removal?platform=x")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var r liveness.Report
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Overall.Items != 2 || r.Overall.Removed != 1 || r.Overall.MedianHours == nil || *r.Overall.MedianHours != 0.5 || r.Overall.Within1h != 0.5 {
		t.Errorf("X report %+v, want 2 items, 1 removed after 30 min (the median), half within the hour", r.Overall)
	}
}
