package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/raqib-project/raqib/internal/auth"
	"github.com/raqib-project/raqib/internal/evidence"
	"github.com/raqib-project/raqib/internal/review"
	"github.com/raqib-project/raqib/internal/store"
	"github.com/raqib-project/raqib/internal/web"
)

// ErrInsecureListen is returned (wrapped, saying how to fix it) for a
// non-loopback address without TLS.
var ErrInsecureListen = errors.New("refusing to serve the network without TLS")

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

// checkListen refuses a listener that other machines can reach unless the
// traffic is encrypted or the operator said the network is trusted:
// sessions, passwords and case data would cross it in the clear.
func checkListen(addr net.Addr, c *Config) error {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsLoopback() || c.TLSCert != "" || c.InsecureListen {
		return nil
	}
	return fmt.Errorf("%w: --addr %s listens on %s, which other machines can reach, and passwords, session cookies and case data would cross the network in the clear. "+
		"Use --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS proxy (with --trusted-proxy), or pass --insecure-listen if this network is trusted", ErrInsecureListen, c.Addr, tcp)
}

// allowedHosts are the Host headers the server answers to: the --addr
// host (unless it is every address), the loopback names, and --hosts.
func allowedHosts(c *Config) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if h, _, err := net.SplitHostPort(c.Addr); err == nil && h != "" {
		if ip := net.ParseIP(h); ip == nil || !ip.IsUnspecified() {
			hosts = append(hosts, h)
		}
	}
	return append(hosts, c.Hosts...)
}

// webOptions wires the web UI's sign-in, network safety and stores.
func (s *system) webOptions() (web.Options, error) {
	users, ok := s.store.(store.Users)
	if !ok {
		return web.Options{}, ErrNoUsers
	}
	proxies, err := s.cfg.trustedProxies()
	if err != nil {
		return web.Options{}, err
	}
	opts := web.Options{
		Store:          s.store,
		Metrics:        promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{Registry: s.metrics.reg}),
		Log:            s.log,
		Version:        Version,
		MediaDir:       s.mediaDir(),
		Users:          users,
		Sessions:       auth.SessionPolicy{Idle: s.cfg.SessionIdle, Max: s.cfg.SessionMax},
		Logins:         auth.LoginPolicy{Window: s.cfg.LoginWindow, PerUser: s.cfg.LoginUserFailures, PerIP: s.cfg.LoginIPFailures},
		Hosts:          allowedHosts(s.cfg),
		TrustedProxies: proxies,
		MetricsOpen:    s.cfg.MetricsOpen,
		// nil when referrals are off; an untyped nil keeps the pages off.
		Referrals: s.referrals,
		Accounts:  s.accounts,
	}
	if b, ok := s.store.(store.Banks); ok {
		opts.Banks = b
	}
	var keeper *evidence.Keeper
	roots, err := s.cfg.tsaRoots()
	if err == nil {
		keeper, err = s.cfg.keeper(s.store, roots)
		opts.Evidence = keeper
	}
	if err == nil {
		opts.Review, err = review.For(s.store, s.log)
	}
	if err != nil {
		return opts, err
	}
	opts.Review.Register(newReviewMetrics(s.metrics.reg))
	// Evidence is captured before the referral hook sends anything.
	s.evidence = newEvidenceHook(keeper, s.log)
	opts.Review.Register(s.evidence)
	if s.referrals != nil {
		opts.Review.Register(referralHook{s.referrals})
	}
	// Validated with the settings.
	opts.SLA, _ = review.ParseSLA(s.cfg.ReviewSLA)
	return opts, nil
}

// serve runs the workers and the web server until ctx ends. ready, when not
// nil, is called with the URL once the server listens.
func (s *system) serve(ctx context.Context, ready func(url string)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts, err := s.webOptions()
	if err != nil {
		return err
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second}
	if s.cfg.TLSCert != "" {
		// Loaded before listening, so that a bad file stops serve at once.
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("--tls-cert %s, --tls-key %s: %w", s.cfg.TLSCert, s.cfg.TLSKey, err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	if err := checkListen(ln.Addr(), s.cfg); err != nil {
		ln.Close()
		return err
	}
	if s.cfg.InsecureListen && s.cfg.TLSCert == "" {
		s.log.Warn("serving the network without TLS (--insecure-listen): passwords and session cookies cross it in the clear", "addr", ln.Addr().String())
	}
	if us, err := opts.Users.ListUsers(ctx); err == nil && len(us) == 0 {
		s.log.Warn("no users can sign in yet: add one with `raqib user add NAME --role admin`")
	}
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
	srv.Handler = web.New(opts)
	// Before the workers start: they hand it every committed batch.
	if err := s.fetchAvatars(ctx); err != nil {
		ln.Close()
		return err
	}
	errc := make(chan error, 2)
	go func() { errc <- s.work(ctx) }()
	go s.checkLiveness(ctx)
	go s.evidence.run(ctx)
	sending := make(chan struct{})
	go func() { s.sendReferrals(ctx); close(sending) }()
	scheme := "http"
	if srv.TLSConfig != nil {
		scheme = "https"
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	url := scheme + "://" + ln.Addr().String() + "/"
	s.log.Info("raqib is serving", "url", url, "hosts", opts.Hosts, "data", s.cfg.Data, "embedded_nats", s.bus.Embedded(), "joined_nats", s.bus.Joined())
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
	cancel()
	<-sending // a send in flight is recorded before the store closes
	return err
}
