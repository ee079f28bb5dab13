package app

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/review"
)

// reviewMetrics counts analysts' actions for Prometheus. It is a
// review.Hook, as referral, evidence capture and sharing hook on to
// decisions: it runs after each action is committed and audited.
type reviewMetrics struct{ events *prometheus.CounterVec }

func newReviewMetrics(reg prometheus.Registerer) reviewMetrics {
	m := reviewMetrics{events: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "raqib_review_events_total",
		Help: "Analysts' actions on cases (confirm, dismiss, escalate, assign, comment, merge, reopen, approve) and failed hooks.",
	}, []string{"action"})}
	reg.MustRegister(m.events)
	return m
}

func (reviewMetrics) Name() string { return "metrics" }

func (m reviewMetrics) AfterEvent(_ context.Context, _ post.Case, e review.Event) error {
	m.events.WithLabelValues(e.Action).Inc()
	return nil
}
