package app

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/review"
)

func TestReviewMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	var h review.Hook = newReviewMetrics(reg)
	for _, a := range []string{"confirm", "confirm", "dismiss"} {
		if err := h.AfterEvent(context.Background(), post.Case{ID: 1}, review.Event{Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 {
		t.Fatalf("gathered %v, %v", mfs, err)
	}
	got := map[string]float64{}
	for _, m := range mfs[0].GetMetric() {
		got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
	}
	if got["confirm"] != 2 || got["dismiss"] != 1 {
		t.Errorf("counted %v", got)
	}
}
