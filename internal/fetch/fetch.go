// Package fetch is raqib's one HTTP client for the outside world. Every
// outbound request (liveness checks, collection, referral webhooks,
// evidence capture) goes through it, because every URL it fetches came
// from hostile content or from a user: it refuses loopback, private,
// link-local, metadata and other non-public addresses after DNS resolution
// and on every redirect (the check runs on the address actually dialled,
// so DNS rebinding gains nothing), and it caps time, redirects and size.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

var (
	// ErrBlocked is returned (wrapped, naming the address) for a request
	// to an address that is not public and not in Config.Allow.
	ErrBlocked = errors.New("address not allowed")
	// ErrTooLarge is returned when a response body is longer than
	// Config.MaxBytes.
	ErrTooLarge = errors.New("response too large")
	// ErrScheme is returned for a URL or redirect that is not http(s).
	ErrScheme = errors.New("scheme not allowed")
	// ErrRedirects is returned after more than Config.MaxRedirects.
	ErrRedirects = errors.New("too many redirects")
)

// Defaults for the zero Config fields.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBytes     = 32 << 20
	DefaultMaxRedirects = 5
	DefaultUserAgent    = "raqib (+https://github.com/raqib-project/raqib)"
)

// Config sets up a Client.
type Config struct {
	// Allow lists addresses that are fetched although they are not public:
	// a test's 127.0.0.1, or a unit's own intranet service.
	Allow []netip.Prefix
	// UserAgent is sent when a request sets none.
	UserAgent string
	// Proxy, when set, carries every request. The proxy itself is trusted
	// (an administrator configured it), so only the URL's literal or
	// resolved address is checked before the request is handed to it.
	Proxy *url.URL
	// Timeout bounds a whole request including reading the body.
	Timeout time.Duration
	// MaxBytes caps a response body.
	MaxBytes int64
	// MaxRedirects caps the redirects followed.
	MaxRedirects int
}

// Client is the SSRF-safe HTTP client. It is safe for concurrent use.
type Client struct {
	cfg    Config
	http   *http.Client
	dialer *net.Dialer
}

// New returns a client configured by cfg, zero fields set to defaults.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxRedirects <= 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	c := &Client{cfg: cfg}
	c.dialer = &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: c.control}
	tr := &http.Transport{
		DialContext:           c.dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	if cfg.Proxy != nil {
		tr.Proxy = http.ProxyURL(cfg.Proxy)
		// The proxy is the one non-public address the dialler may reach.
		c.dialer.Control = nil
	}
	c.http = &http.Client{Transport: tr, Timeout: cfg.Timeout, CheckRedirect: c.checkRedirect}
	return c
}

// Do sends req. Its URL and every redirect must be http(s) to an allowed
// address; the response body fails with ErrTooLarge past MaxBytes. The
// caller closes the body.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	if err := c.checkURL(req.Context(), req.URL); err != nil {
		return nil, err
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > c.cfg.MaxBytes {
		resp.Body.Close()
		return nil, fmt.Errorf("fetch %s: %w: %d bytes announced, limit %d", redact(req.URL), ErrTooLarge, resp.ContentLength, c.cfg.MaxBytes)
	}
	resp.Body = &capped{rc: resp.Body, left: c.cfg.MaxBytes, url: redact(req.URL)}
	return resp, nil
}

// Get fetches rawURL.
func (c *Client) Get(ctx context.Context, rawURL string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	return c.Do(req)
}

// DialContext dials like the HTTP client does, refusing addresses that are
// not allowed: for other protocols (SMTP) to outside hosts.
func (c *Client) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := *c.dialer
	d.Control = c.control
	return d.DialContext(ctx, network, addr)
}

// checkRedirect bounds redirects and refuses non-http(s) targets; the
// address of each is checked when it is dialled.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.cfg.MaxRedirects {
		return fmt.Errorf("%w: more than %d", ErrRedirects, c.cfg.MaxRedirects)
	}
	return c.checkURL(req.Context(), req.URL)
}

// checkURL refuses schemes other than http(s) and userinfo in URLs. Behind
// a proxy, which resolves names itself, it also resolves the host here and
// checks every address, as the dialler cannot.
func (c *Client) checkURL(ctx context.Context, u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("fetch %s: %w", redact(u), ErrScheme)
	}
	if u.Host == "" {
		return fmt.Errorf("fetch %s: %w: no host", redact(u), ErrBlocked)
	}
	if c.cfg.Proxy == nil {
		return nil
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		return c.checkAddr(a)
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("fetch %s: resolve: %w", redact(u), err)
	}
	for _, a := range addrs {
		if err := c.checkAddr(a); err != nil {
			return err
		}
	}
	return nil
}

// control runs after DNS resolution, before each connection attempt, on
// the address actually dialled.
func (c *Client) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBlocked, address, err)
	}
	return c.checkAddr(ap.Addr())
}

func (c *Client) checkAddr(a netip.Addr) error {
	a = a.Unmap()
	for _, p := range c.cfg.Allow {
		if p.Contains(a) {
			return nil
		}
	}
	if !Public(a) {
		return fmt.Errorf("%w: %s is not a public address", ErrBlocked, a)
	}
	return nil
}

// nonPublic are the ranges beyond what netip's predicates name: shared
// address space, IETF protocol assignments, benchmarking, reserved and
// broadcast, and the IPv6 prefixes that embed an IPv4 address a router may
// forward to a private one (NAT64, 6to4, Teredo), documentation ranges.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001::/32"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("100::/64"),
}

// Public reports whether a is a globally routable unicast address: not
// loopback, private, link-local (which holds the cloud metadata address
// 169.254.169.254), multicast, unspecified or one of nonPublic.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// ParseAllow parses CIDRs or single addresses, as --fetch-allow takes them.
func ParseAllow(vs []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range vs {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("fetch allow %q: want a CIDR or an address", v)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// redact drops userinfo and the query, which may hold tokens, from a URL
// before it goes into an error or log.
func redact(u *url.URL) string {
	r := *u
	r.User = nil
	if r.RawQuery != "" {
		r.RawQuery = "…"
	}
	return r.String()
}

// capped fails a body read past its limit instead of truncating silently:
// a capture cut short must not pass for the whole page.
type capped struct {
	rc   io.ReadCloser
	left int64
	url  string
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, fmt.Errorf("fetch %s: %w", c.url, ErrTooLarge)
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.rc.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n + int(c.left), fmt.Errorf("fetch %s: %w", c.url, ErrTooLarge)
	}
	return n, err
}

func (c *capped) Close() error { return c.rc.Close() }
