package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/raqib-project/raqib/internal/enrich"
	"github.com/raqib-project/raqib/internal/pipeline"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/postgres"
	"github.com/raqib-project/raqib/internal/store/sqlite"
)

// system is what the pipeline commands share: the store, the queue, the
// detection stack and the metrics.
type system struct {
	cfg     *Config
	log     *slog.Logger
	store   store.Store
	bus     *pipeline.Bus
	det     *detection
	known   *knownContent
	metrics *metrics
}

func openSystem(ctx context.Context, c *Config) (*system, error) {
	s := &system{cfg: c, log: c.logger(), metrics: newMetrics()}
	det, err := newDetection(c, s.log)
	if err != nil {
		return nil, err
	}
	s.det = det
	if s.store, err = openStore(ctx, c); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if s.known, err = newKnownContent(ctx, s.store, s.log); err != nil {
		s.store.Close()
		return nil, fmt.Errorf("load known content: %w", err)
	}
	s.det.stack.Known = append(s.det.stack.Known, s.known.det)
	s.bus, err = pipeline.Open(ctx, pipeline.Config{
		URL: c.NATS, Dir: c.Data, Listen: c.NATSListen, Namespace: c.NATSNamespace, Log: s.log,
	})
	if err != nil {
		s.store.Close()
		return nil, fmt.Errorf("open queue: %w", err)
	}
	s.metrics.watchStore(s.store)
	return s, nil
}

// openStore opens PostgreSQL when --store names it, else the embedded
// SQLite database in the data directory.
func openStore(ctx context.Context, c *Config) (store.Store, error) {
	switch {
	case c.Store == "":
		return sqlite.Open(ctx, c.Data)
	case strings.HasPrefix(c.Store, "postgres://"), strings.HasPrefix(c.Store, "postgresql://"):
		return postgres.Open(ctx, c.Store)
	}
	return nil, fmt.Errorf("--store %q: want a postgres:// URL or nothing", c.Store)
}

func (s *system) close() {
	s.bus.Close()
	s.store.Close()
}

// process is the worker's handler: enrich, detect, decide, then commit the
// whole batch in one transaction.
func (s *system) process(ctx context.Context, ps []post.Post) (store.Counts, error) {
	start := time.Now()
	for i := range ps {
		enrich.Post(&ps[i])
		s.det.analyze(&ps[i])
	}
	c, err := s.store.SavePosts(ctx, ps)
	if err == nil {
		c.Cases, err = s.store.ProposeCases(ctx, post.ProposedCases(ps))
	}
	if err != nil {
		s.metrics.batchErrors.Inc()
		return c, err
	}
	for i := range ps {
		if d := ps[i].Decision; d.Violating {
			s.known.remember(ps[i].Key(), ps[i].Norm, d.Label)
		}
	}
	s.metrics.observeBatch(ps, c, time.Since(start))
	return c, nil
}

// work runs the configured number of pipeline workers until ctx ends.
func (s *system) work(ctx context.Context) error {
	go s.det.watchLexicon(ctx, 2*time.Second)
	go s.known.watch(ctx, 5*time.Second)
	return s.bus.Work(ctx, s.cfg.Workers, s.process)
}

// mediaDir is where imported images are kept, content-addressed.
func (s *system) mediaDir() string { return filepath.Join(s.cfg.Data, "media") }

func newRunID() string {
	var b [6]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}
