package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// metrics are raqib's Prometheus series, on a registry of their own so that
// tests can run several systems in one process.
type metrics struct {
	reg         *prometheus.Registry
	processed   *prometheus.CounterVec
	stored      *prometheus.CounterVec
	violating   *prometheus.CounterVec
	cases       prometheus.Counter
	batchTime   prometheus.Histogram
	batchErrors prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "raqib_posts_processed_total",
			Help: "Posts the pipeline enriched, analysed and committed, by platform.",
		}, []string{"platform"}),
		stored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "raqib_posts_stored_total",
			Help: "Committed posts by outcome: inserted, duplicate (same content seen before) or edited.",
		}, []string{"outcome"}),
		violating: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "raqib_posts_violating_total",
			Help: "Processed posts the rules found violating, by label.",
		}, []string{"label"}),
		cases: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "raqib_cases_opened_total",
			Help: "Review cases opened by the rules.",
		}),
		batchTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "raqib_batch_duration_seconds",
			Help:    "Time to enrich, detect and commit one batch of posts.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		batchErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "raqib_batch_errors_total",
			Help: "Batches whose commit failed (they are retried).",
		}),
	}
	m.reg.MustRegister(m.processed, m.stored, m.violating, m.cases, m.batchTime, m.batchErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observeBatch(ps []post.Post, c store.Counts, d time.Duration) {
	m.batchTime.Observe(d.Seconds())
	m.cases.Add(float64(c.Cases))
	m.stored.WithLabelValues("inserted").Add(float64(c.Inserted))
	m.stored.WithLabelValues("duplicate").Add(float64(c.Duplicates))
	m.stored.WithLabelValues("edited").Add(float64(c.Edited))
	for i := range ps {
		m.processed.WithLabelValues(string(ps[i].Platform)).Inc()
		if ps[i].Decision.Violating {
			m.violating.WithLabelValues(string(ps[i].Decision.Label)).Inc()
		}
	}
}

// storeCollector reports the store's totals at scrape time.
type storeCollector struct {
	s                          store.Store
	posts, violating, openCase *prometheus.Desc
}

func (m *metrics) watchStore(s store.Store) {
	m.reg.MustRegister(&storeCollector{
		s:         s,
		posts:     prometheus.NewDesc("raqib_store_posts", "Posts in the store.", nil, nil),
		violating: prometheus.NewDesc("raqib_store_violating_posts", "Stored posts the rules found violating.", nil, nil),
		openCase:  prometheus.NewDesc("raqib_store_open_cases", "Review cases waiting for an analyst.", nil, nil),
	})
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.posts
	ch <- c.violating
	ch <- c.openCase
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.s.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.posts, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.posts, prometheus.GaugeValue, float64(st.Posts))
	ch <- prometheus.MustNewConstMetric(c.violating, prometheus.GaugeValue, float64(st.Violating))
	ch <- prometheus.MustNewConstMetric(c.openCase, prometheus.GaugeValue, float64(st.OpenCases))
}
