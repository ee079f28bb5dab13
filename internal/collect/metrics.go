package collect

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the per-source collection metrics; source ids label them
// (never locations, which may be long or sensitive).
type metrics struct {
	polls   *prometheus.CounterVec
	posts   *prometheus.CounterVec
	seconds *prometheus.HistogramVec
	success *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "raqib_collect_polls_total", Help: "Polls of watched sources by result (ok, error, limited).",
		}, []string{"source", "result"}),
		posts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "raqib_collect_posts_total", Help: "Posts read from watched sources and committed, by outcome (inserted, duplicate, edited).",
		}, []string{"source", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "raqib_collect_poll_seconds", Help: "Time of one poll including the commit of its posts.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 8),
		}, []string{"source"}),
		success: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "raqib_collect_last_success_seconds", Help: "Unix time of the last successful poll of a source (lag = now - this).",
		}, []string{"source"}),
	}
	if reg != nil {
		reg.MustRegister(m.polls, m.posts, m.seconds, m.success)
	}
	return m
}

func (m *metrics) polled(id string, res Result, err error, took time.Duration) {
	result := "ok"
	var wait *WaitError
	switch {
	case errors.As(err, &wait):
		result = "limited"
	case err != nil:
		result = "error"
	default:
		m.success.WithLabelValues(id).Set(float64(time.Now().Unix()))
	}
	m.polls.WithLabelValues(id, result).Inc()
	m.seconds.WithLabelValues(id).Observe(took.Seconds())
	m.posts.WithLabelValues(id, "inserted").Add(float64(res.Counts.Inserted))
	m.posts.WithLabelValues(id, "duplicate").Add(float64(res.Counts.Duplicates))
	m.posts.WithLabelValues(id, "edited").Add(float64(res.Counts.Edited))
}
