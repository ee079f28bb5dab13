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

	"github.com/raqib-project/raqib/internal/account"
	"github.com/raqib-project/raqib/internal/act/alert"
	"github.com/raqib-project/raqib/internal/act/liveness"
	"github.com/raqib-project/raqib/internal/act/referral"
	"github.com/raqib-project/raqib/internal/detect/recycled"
	"github.com/raqib-project/raqib/internal/neardup"
	"github.com/raqib-project/raqib/internal/ocr"
	"github.com/raqib-project/raqib/internal/pipeline"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/store/postgres"
	"github.com/raqib-project/raqib/internal/store/sqlite"
	"github.com/raqib-project/raqib/internal/worker"
)

// system is what the pipeline commands share: the store, the queue, the
// detection stack, the batch worker and the metrics.
type system struct {
	cfg     *Config
	log     *slog.Logger
	store   store.Store
	bus     *pipeline.Bus
	det     *detection
	banks   *bankMatcher
	worker  *worker.Worker
	metrics *metrics
	live    *liveness.Tracker // nil when the store keeps no liveness items
	// accounts is nil when the store keeps no account registry.
	accounts *account.Registry
	// avatars is nil unless --fetch-avatars.
	avatars *account.Avatars
	// referrals is nil when --referrals is empty.
	referrals *referral.Service
	// evidence captures confirmed cases; set by serve.
	evidence *evidenceHook
	// ocr reads the text inside imported media; nil when --ocr is off.
	ocr *ocr.Enricher
}

func openSystem(ctx context.Context, c *Config) (*system, error) {
	s := &system{cfg: c, log: c.logger(), metrics: newMetrics()}
	var err error
	if s.store, err = openStore(ctx, c); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := s.openLiveness(); err != nil {
		s.store.Close()
		return nil, err
	}
	if err := s.openWorker(ctx); err != nil {
		s.store.Close()
		return nil, err
	}
	s.bus, err = pipeline.Open(ctx, pipeline.Config{
		URL: c.NATS, Dir: c.Data, Listen: c.NATSListen, Share: c.shareQueue, Namespace: c.NATSNamespace, Log: s.log,
	})
	if err != nil {
		s.store.Close()
		return nil, fmt.Errorf("open queue: %w", err)
	}
	s.metrics.watchStore(s.store)
	if s.referrals, err = openReferrals(c, s.store, s.log, s.live, s.metrics.reg); err != nil {
		s.close()
		return nil, err
	}
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

// openWorker wires the detection stack (hash banks, recycled text,
// lexicon, classifier, rules) and the batch worker over the store.
func (s *system) openWorker(ctx context.Context) error {
	var err error
	if s.banks, err = newBankMatcher(ctx, s.store, s.log); err != nil {
		return fmt.Errorf("load hash banks: %w", err)
	}
	texts := recycled.New(neardup.New(neardup.Options{Capacity: s.cfg.RecycledTexts}))
	if s.det, err = newDetection(s.cfg, s.log, s.banks.det, texts, ocr.Carry{}); err != nil {
		return err
	}
	if s.ocr, err = s.openOCR(ctx); err != nil {
		return err
	}
	wc := worker.Config{
		Stack: s.det.stack, Store: s.store, Recycled: texts,
		Actors: []worker.Actor{&alert.Actor{Log: s.log}},
		Quota:  s.cfg.ActionQuota, Log: s.log, Observe: s.observeBatch,
	}
	if s.ocr != nil {
		wc.Enrich = s.ocr.Enrich
	}
	s.worker, err = worker.New(ctx, wc)
	return err
}

// process is the pipeline's handler: the worker's one batch path.
func (s *system) process(ctx context.Context, ps []post.Post) (store.Counts, error) {
	c, err := s.worker.Process(ctx, ps)
	if err != nil {
		s.metrics.batchErrors.Inc()
	}
	return c, err
}

// work runs the configured number of pipeline workers until ctx ends.
func (s *system) work(ctx context.Context) error {
	go s.det.watchLexicon(ctx, 2*time.Second)
	go s.banks.watch(ctx, 5*time.Second)
	return s.bus.Work(ctx, s.cfg.Workers, s.process)
}

// mediaDir is where imported images are kept, content-addressed.
func (s *system) mediaDir() string { return filepath.Join(s.cfg.Data, "media") }

func newRunID() string {
	var b [6]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}
