package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/raqib-project/raqib/internal/review"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/web"
)

func runServe(ctx context.Context, c *Config) error {
	// `raqib ingest` on the same data directory hands its batches to us.
	c.shareQueue = true
	s, err := openSystem(ctx, c)
	if err != nil {
		return err
	}
	defer s.close()
	return s.serve(ctx, nil)
}

// serve runs the workers and the web server until ctx ends. ready, when not
// nil, is called with the URL once the server listens.
func (s *system) serve(ctx context.Context, ready func(url string)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	opts := web.Options{
		Store:    s.store,
		Metrics:  promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{Registry: s.metrics.reg}),
		Log:      s.log,
		Version:  Version,
		MediaDir: s.mediaDir(),
	}
	if b, ok := s.store.(store.Banks); ok {
		opts.Banks = b
	}
	roots, err := s.cfg.tsaRoots()
	if err == nil {
		opts.Evidence, err = s.cfg.keeper(s.store, roots)
	}
	if err != nil {
		ln.Close()
		return err
	}
	if opts.Review, err = review.For(s.store, s.log); err != nil {
		ln.Close()
		return err
	}
	opts.Review.Register(newReviewMetrics(s.metrics.reg))
	// Validated with the settings.
	opts.SLA, _ = review.ParseSLA(s.cfg.ReviewSLA)
	coll, err := s.startCollector(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	if coll != nil {
		opts.Collection, opts.Hooks = coll.Store(), coll
	} else if c, ok := s.store.(store.Collection); ok {
		opts.Collection = c
	}
	srv := &http.Server{
		Handler:           web.New(opts),
		ReadHeaderTimeout: 10 * time.Second,
	}
	errc := make(chan error, 2)
	go func() { errc <- s.work(ctx) }()
	go func() { errc <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String() + "/"
	s.log.Info("raqib is serving", "url", url, "data", s.cfg.Data, "embedded_nats", s.bus.Embedded(), "joined_nats", s.bus.Joined())
	if ready != nil {
		ready(url)
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutCtx, shutCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer shutCancel()
	if serr := srv.Shutdown(shutCtx); serr != nil && err == nil {
		err = serr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
