package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/raqib-project/raqib/internal/collect"
	"github.com/raqib-project/raqib/internal/collect/feed"
	"github.com/raqib-project/raqib/internal/collect/rocketchat"
	"github.com/raqib-project/raqib/internal/collect/telegramweb"
	"github.com/raqib-project/raqib/internal/collect/web"
	"github.com/raqib-project/raqib/internal/collect/xapi"
	"github.com/raqib-project/raqib/internal/post"
	"github.com/raqib-project/raqib/internal/store"
)

// collectSettings are the settings of the processes that poll sources.
// (serve has the fetch settings through the evidence settings).
var collectSettings = []string{"collect", "collect-parallel", "collect-pages", "fetch-avatars"}

// leaseTTL is how long a source stays with a collector that stopped
// renewing its lease (it died) before another takes it over.
const leaseTTL = 30 * time.Second

// connectors are the connectors of the polled kinds (webhooks push).
func connectors() collect.Connectors {
	return collect.Connectors{
		collect.TelegramWeb: telegramweb.Connector{},
		collect.Feed:        feed.Connector{},
		collect.RocketChat:  rocketchat.Connector{},
		collect.XAPI:        xapi.Connector{},
		collect.Web:         web.Connector{},
	}
}

// errNoCollection means the store keeps no watched sources.
var errNoCollection = errors.New("this store keeps no watched sources")

func collection(st store.Store) (store.Collection, error) {
	c, ok := st.(store.Collection)
	if !ok {
		return nil, errNoCollection
	}
	return c, nil
}

// collectEnv is what connectors need, from the settings.
func (c *Config) collectEnv() (collect.Env, error) {
	client, err := c.fetcher()
	if err != nil {
		return collect.Env{}, err
	}
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return collect.Env{Client: client, UserAgent: c.UserAgent, Getenv: getenv, MaxPages: c.CollectPages}, nil
}

// newCollector wires the collector: the store's watched sources, the SSRF-
// safe fetcher, commits through the queue (so detection and cases apply
// as to imports) and leases in NATS, so that of several serve and worker
// processes exactly one polls each source.
func (s *system) newCollector(ctx context.Context) (*collect.Collector, error) {
	coll, err := collection(s.store)
	if err != nil {
		return nil, err
	}
	env, err := s.cfg.collectEnv()
	if err != nil {
		return nil, err
	}
	leases, err := s.bus.Leases(ctx, leaseTTL)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	return collect.New(collect.Config{
		Store: coll, Connectors: connectors(), Env: env, Leases: leases,
		Owner:    host + "/" + strconv.Itoa(os.Getpid()) + "/" + newRunID(),
		Parallel: s.cfg.CollectParallel, Log: s.log, Registerer: s.metrics.reg,
		Commit: func(ctx context.Context, ps []post.Post) (store.Counts, error) {
			return s.bus.Commit(ctx, "collect-"+newRunID(), ps)
		},
	}), nil
}

// startCollector runs the collector beside the workers until ctx ends,
// unless --collect=false; it returns nil then.
func (s *system) startCollector(ctx context.Context) (*collect.Collector, error) {
	if !s.cfg.Collect {
		return nil, nil
	}
	if _, err := collection(s.store); err != nil {
		s.log.Warn("live collection is off", "err", err)
		return nil, nil
	}
	c, err := s.newCollector(ctx)
	if err != nil {
		return nil, fmt.Errorf("live collection: %w", err)
	}
	go c.Run(ctx)
	return c, nil
}

// discover records the sources the flagged posts of a committed batch
// point to. It runs after the commit and must not fail it: an error is
// logged.
func (s *system) discover(ps []post.Post) {
	coll, err := collection(s.store)
	if err != nil {
		return
	}
	now := time.Now().UTC()
	var ptrs []store.Pointer
	for i := range ps {
		ptrs = append(ptrs, collect.Pointers(&ps[i], now)...)
	}
	if len(ptrs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := coll.Propose(ctx, ptrs); err != nil {
		s.log.Warn("discovery: record proposed sources", "err", fmt.Sprint(err))
	}
}
